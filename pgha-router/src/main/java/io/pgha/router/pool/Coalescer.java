package io.pgha.router.pool;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.util.ArrayList;
import java.util.List;

/**
 * Gathers the messages written between two flushes into one buffer. An answer of several messages
 * (RowDescription, DataRows, CommandComplete, ReadyForQuery) then leaves in one send(2) of one
 * contiguous buffer, and over TLS in one record, instead of a writev(2) over one pooled buffer per
 * message. {@link Frame}s are encoded straight into the buffer; a small {@link ByteBuf} is copied
 * into it; anything else (a large buffer, another type) first sends what was gathered, so the order
 * of the bytes is the order of the writes. The promises of gathered writes complete with the write
 * of the buffer that carries them.
 */
@SuppressWarnings("FutureReturnValueIgnored") // the outcome travels in the promises passed down
final class Coalescer extends ChannelOutboundHandlerAdapter {
    /** A gathered buffer this large goes to the channel before the flush (the flush still sends it). */
    static final int LIMIT = 64 * 1024;
    /** A buffer this large is passed on as it is rather than copied. */
    private static final int COPY_AT_MOST = 4096;

    private ByteBuf pending;
    private final List<ChannelPromise> promises = new ArrayList<>(4);

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof Frame f) {
            room(ctx, 5 + f.body().length);
            f.encode(pending);
        } else if (msg instanceof ByteBuf b && b.readableBytes() <= COPY_AT_MOST) {
            room(ctx, b.readableBytes());
            pending.writeBytes(b);
            b.release();
        } else {
            spill(ctx);
            ctx.write(msg, promise);
            return;
        }
        if (!promise.isVoid()) promises.add(promise);
        if (pending.readableBytes() >= LIMIT) spill(ctx);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        spill(ctx);
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        spill(ctx); // unflushed, as it would have been without this handler: the close discards it
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        spill(ctx);
    }

    private void room(ChannelHandlerContext ctx, int bytes) {
        if (pending == null) pending = ctx.alloc().ioBuffer(Math.max(1024, bytes));
    }

    /** Passes what was gathered on to the channel (without flushing it). */
    private void spill(ChannelHandlerContext ctx) {
        ByteBuf b = pending;
        if (b == null) return;
        pending = null;
        if (promises.isEmpty()) {
            ctx.write(b, ctx.voidPromise());
            return;
        }
        if (promises.size() == 1) {
            ctx.write(b, promises.remove(0));
            return;
        }
        ChannelPromise[] waiting = promises.toArray(new ChannelPromise[0]);
        promises.clear();
        ctx.write(b).addListener(done -> {
            for (ChannelPromise p : waiting) {
                if (done.isSuccess()) p.trySuccess();
                else p.tryFailure(done.cause());
            }
        });
    }
}
