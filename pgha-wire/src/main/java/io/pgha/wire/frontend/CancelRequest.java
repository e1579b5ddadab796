package io.pgha.wire.frontend;

import io.netty.buffer.ByteBuf;
import io.pgha.wire.CancelKey;
import io.pgha.wire.ProtocolViolation;

/**
 * CancelRequest: cancel the query of the backend that sent this key in its BackendKeyData. The
 * secret is 4 bytes in protocol 3.0, and 4 to 256 bytes from protocol 3.2.
 */
public record CancelRequest(CancelKey key) implements StartupPacket {
    static CancelRequest decode(ByteBuf body) throws ProtocolViolation {
        int secret = body.readableBytes() - 4;
        if (secret < 4 || secret > CancelKey.MAX_SECRET)
            throw ProtocolViolation.of("invalid length of CancelRequest packet");
        byte[] bytes = new byte[secret];
        body.getBytes(body.readerIndex() + 4, bytes);
        return new CancelRequest(new CancelKey(body.getInt(body.readerIndex()), bytes));
    }

    @Override
    public void encode(ByteBuf out) {
        out.writeInt(12 + key.secretLength())
                .writeInt(CANCEL_CODE)
                .writeInt(key.processId())
                .writeBytes(key.secret());
    }
}
