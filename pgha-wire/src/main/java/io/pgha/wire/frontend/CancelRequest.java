package io.pgha.wire.frontend;

import io.netty.buffer.ByteBuf;
import io.pgha.wire.ProtocolViolation;

/** CancelRequest: cancel the query of the backend that sent this key in its BackendKeyData. */
public record CancelRequest(int processId, int secretKey) implements StartupPacket {
    static CancelRequest decode(ByteBuf body) throws ProtocolViolation {
        if (body.readableBytes() != 8) throw ProtocolViolation.of("invalid length of CancelRequest packet");
        return new CancelRequest(body.getInt(body.readerIndex()), body.getInt(body.readerIndex() + 4));
    }

    /** Process id and secret in one value, the way the router looks sessions up. */
    public long key() {
        return ((long) processId << 32) | (secretKey & 0xffffffffL);
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(16).writeInt(CANCEL_CODE).writeInt(processId).writeInt(secretKey);
    }
}
