package io.pgha.wire.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * PostgreSQL's md5 password scheme: the stored hash is {@code "md5" + md5(password + user)}, and
 * the response to a 4-byte salt is {@code "md5" + md5(hex(stored hash) + salt)}. Knowing the stored
 * hash is enough to answer, which is why md5 is weaker than SCRAM; the router supports it where
 * pg_hba.conf still asks for it.
 */
public final class Md5Password {
    private Md5Password() {}

    /** Whether {@code s} is a stored md5 hash: "md5" and 32 lower-case hex digits. */
    public static boolean looksLikeOne(String s) {
        return s != null
                && s.length() == 35
                && s.startsWith("md5")
                && s.substring(3).matches("[0-9a-f]{32}");
    }

    /** The hash PostgreSQL stores for {@code password} of {@code user}. */
    public static String hash(String user, String password) {
        return "md5" + md5Hex((password + user).getBytes(StandardCharsets.UTF_8));
    }

    /** The response to {@code salt} from the stored hash (or from the password through {@link #hash}). */
    public static String response(String storedHash, byte[] salt) {
        if (!looksLikeOne(storedHash)) throw new IllegalArgumentException("not an md5 password hash");
        if (salt.length != 4) throw new IllegalArgumentException("an md5 salt has 4 bytes");
        byte[] hex = storedHash.substring(3).getBytes(StandardCharsets.US_ASCII);
        byte[] input = new byte[hex.length + 4];
        System.arraycopy(hex, 0, input, 0, hex.length);
        System.arraycopy(salt, 0, input, hex.length, 4);
        return "md5" + md5Hex(input);
    }

    /** Checks a client's response in constant time. */
    public static boolean matches(String storedHash, byte[] salt, String clientResponse) {
        return MessageDigest.isEqual(
                response(storedHash, salt).getBytes(StandardCharsets.US_ASCII),
                clientResponse.getBytes(StandardCharsets.US_ASCII));
    }

    private static String md5Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("MD5 is missing from this JVM", e);
        }
    }
}
