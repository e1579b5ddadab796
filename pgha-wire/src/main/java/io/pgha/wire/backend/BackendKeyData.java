package io.pgha.wire.backend;

import io.netty.buffer.ByteBuf;

/** BackendKeyData ('K'): the process id and secret a client needs to cancel its query. */
public record BackendKeyData(int processId, int secretKey) {
    public static final byte TYPE = 'K';

    /** Null when the body does not have the 8 bytes of protocol 3.0. */
    public static BackendKeyData decode(byte[] body) {
        if (body.length != 8) return null;
        int pid = ((body[0] & 0xff) << 24) | ((body[1] & 0xff) << 16) | ((body[2] & 0xff) << 8) | (body[3] & 0xff);
        int key = ((body[4] & 0xff) << 24) | ((body[5] & 0xff) << 16) | ((body[6] & 0xff) << 8) | (body[7] & 0xff);
        return new BackendKeyData(pid, key);
    }

    /** The same value as {@code CancelRequest.key()}. */
    public long key() {
        return ((long) processId << 32) | (secretKey & 0xffffffffL);
    }

    public void encode(ByteBuf out) {
        out.writeByte(TYPE).writeInt(12).writeInt(processId).writeInt(secretKey);
    }
}
