package io.pgha.router.pool;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.pgha.wire.ProtocolViolation;
import io.pgha.wire.SqlState;
import io.pgha.wire.frontend.StartupMessage;
import io.pgha.wire.frontend.StartupPacket;
import java.util.List;

/**
 * Cuts a byte stream into protocol messages: on a client connection first the untyped startup
 * packets ({@link StartupPacket}, until the StartupMessage), then typed {@link Frame}s; on a server
 * connection typed frames only. A bad length is a {@link ProtocolViolation} passed down the
 * pipeline as an exception.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    private boolean startup;
    /** The client sent more after an SSLRequest or GSSENCRequest, before the answer. */
    boolean dataAfterEncryptionRequest;

    private final long maxBody;

    FrameDecoder(boolean startup, long maxBody) {
        this.startup = startup;
        this.maxBody = maxBody;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws ProtocolViolation {
        while (true) {
            if (startup) {
                StartupPacket p = StartupPacket.decode(in);
                if (p == null) return;
                if (p instanceof StartupMessage) startup = false;
                out.add(p);
                if (p instanceof io.pgha.wire.frontend.SslRequest || p instanceof io.pgha.wire.frontend.GssEncRequest) {
                    // bytes after an encryption request, before its answer, could come from anyone on the
                    // path (CVE-2021-23214): the client is refused
                    dataAfterEncryptionRequest = in.isReadable();
                    return;
                }
                continue;
            }
            if (in.readableBytes() < 5) return;
            int at = in.readerIndex();
            byte type = in.getByte(at);
            int len = in.getInt(at + 1);
            if (len < 4) throw ProtocolViolation.of("invalid message length " + len);
            if (len - 4 > maxBody)
                throw new ProtocolViolation(
                        SqlState.PROGRAM_LIMIT_EXCEEDED,
                        "message of " + (len - 4) + " bytes is larger than max_message_size of " + maxBody);
            if (in.readableBytes() < 1 + len) return;
            byte[] body = new byte[len - 4];
            in.getBytes(at + 5, body);
            in.skipBytes(1 + len);
            out.add(new Frame(type, body));
        }
    }
}
