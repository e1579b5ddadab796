package io.pgha.wire.frontend;

import io.netty.buffer.ByteBuf;
import io.pgha.wire.ProtocolViolation;

/** SSLRequest: the client asks for TLS; the answer is one byte, 'S' or 'N'. */
public record SslRequest() implements StartupPacket {
    static SslRequest decode(ByteBuf body) throws ProtocolViolation {
        if (body.isReadable()) throw ProtocolViolation.of("invalid length of SSLRequest packet");
        return new SslRequest();
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(8).writeInt(SSL_CODE);
    }
}
