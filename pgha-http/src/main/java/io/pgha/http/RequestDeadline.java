package io.pgha.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection that does not deliver a whole request within the timeout: counted from the
 * connection's start (covering the TLS handshake) and again from each response sent. A trickle of
 * bytes does not reset it, unlike an idle timeout, so a client sending half a request (or one byte
 * a second) cannot hold the connection. While a request is being answered no deadline runs.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty's writes and closes report through listeners where it matters
final class RequestDeadline extends ChannelDuplexHandler {
    private final long timeoutMs;
    private ScheduledFuture<?> deadline;

    RequestDeadline(long timeoutMs) {
        this.timeoutMs = timeoutMs;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(ctx);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof FullHttpRequest) disarm();
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse) {
            promise = promise.unvoid();
            promise.addListener((ChannelFutureListener) f -> {
                if (f.isSuccess() && f.channel().isActive()) arm(ctx);
            });
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        super.channelInactive(ctx);
    }

    private void arm(ChannelHandlerContext ctx) {
        disarm();
        deadline = ctx.executor()
                .schedule(
                        () -> {
                            ctx.close();
                        },
                        timeoutMs,
                        TimeUnit.MILLISECONDS);
    }

    private void disarm() {
        if (deadline != null) deadline.cancel(false);
        deadline = null;
    }
}
