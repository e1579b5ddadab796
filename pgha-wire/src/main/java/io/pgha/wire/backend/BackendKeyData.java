package io.pgha.wire.backend;

import io.netty.buffer.ByteBuf;
import io.pgha.wire.CancelKey;

/**
 * BackendKeyData ('K'): the process id and secret a client needs to cancel its query. The secret
 * is 4 bytes in protocol 3.0, and 4 to 256 bytes from protocol 3.2 (PostgreSQL 18 sends 32).
 */
public record BackendKeyData(CancelKey key) {
    public static final byte TYPE = 'K';

    /** Null when the body is not a process id followed by a 4- to 256-byte secret. */
    public static BackendKeyData decode(byte[] body) {
        if (body.length < 8 || body.length > 4 + CancelKey.MAX_SECRET) return null;
        int pid = ((body[0] & 0xff) << 24) | ((body[1] & 0xff) << 16) | ((body[2] & 0xff) << 8) | (body[3] & 0xff);
        return new BackendKeyData(new CancelKey(pid, java.util.Arrays.copyOfRange(body, 4, body.length)));
    }

    public void encode(ByteBuf out) {
        out.writeByte(TYPE)
                .writeInt(8 + key.secretLength())
                .writeInt(key.processId())
                .writeBytes(key.secret());
    }
}
