package io.pgha.wire.frontend;

import io.netty.buffer.ByteBuf;
import io.pgha.wire.ProtocolViolation;

/** GSSENCRequest: the client asks for GSSAPI encryption, which the router refuses with 'N'. */
public record GssEncRequest() implements StartupPacket {
    static GssEncRequest decode(ByteBuf body) throws ProtocolViolation {
        if (body.isReadable()) throw ProtocolViolation.of("invalid length of GSSENCRequest packet");
        return new GssEncRequest();
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(8).writeInt(GSSENC_CODE);
    }
}
