package io.pgha.wire.backend;

import io.netty.buffer.ByteBuf;

/** ReadyForQuery ('Z'): the server waits for a new query; carries the transaction status. */
public record ReadyForQuery(byte status) {
    public static final byte TYPE = 'Z';
    public static final byte IDLE = 'I';
    public static final byte IN_TRANSACTION = 'T';
    public static final byte FAILED = 'E';

    public static ReadyForQuery decode(byte[] body) {
        return new ReadyForQuery(body.length == 1 ? body[0] : 0);
    }

    public boolean idle() {
        return status == IDLE;
    }

    public void encode(ByteBuf out) {
        out.writeByte(TYPE).writeInt(5).writeByte(status);
    }
}
