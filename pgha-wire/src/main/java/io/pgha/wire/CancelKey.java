package io.pgha.wire;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * What a client needs to cancel its query: the backend's process id and its secret key. The secret
 * is 4 bytes in protocol 3.0 and up to {@link #MAX_SECRET} bytes from protocol 3.2 (PostgreSQL 18
 * sends 32). Compared by value; {@link #toString()} never shows the secret.
 */
public final class CancelKey {
    /** The longest secret protocol 3.2 allows. */
    public static final int MAX_SECRET = 256;

    private final int processId;
    private final byte[] secret;

    public CancelKey(int processId, byte[] secret) {
        if (secret.length < 4 || secret.length > MAX_SECRET)
            throw new IllegalArgumentException(
                    "a cancel key's secret has 4 to " + MAX_SECRET + " bytes, not " + secret.length);
        this.processId = processId;
        this.secret = secret.clone();
    }

    /** The protocol 3.0 form: a 4-byte secret. */
    public static CancelKey of(int processId, int secret) {
        return new CancelKey(
                processId,
                new byte[] {(byte) (secret >>> 24), (byte) (secret >>> 16), (byte) (secret >>> 8), (byte) secret});
    }

    public int processId() {
        return processId;
    }

    public byte[] secret() {
        return secret.clone();
    }

    public int secretLength() {
        return secret.length;
    }

    /** The secret as hex, for tests. */
    public String secretHex() {
        return HexFormat.of().formatHex(secret);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CancelKey k && k.processId == processId && Arrays.equals(k.secret, secret);
    }

    @Override
    public int hashCode() {
        return 31 * processId + Arrays.hashCode(secret);
    }

    @Override
    public String toString() {
        return "CancelKey[pid " + processId + ", " + secret.length + "-byte secret]";
    }
}
