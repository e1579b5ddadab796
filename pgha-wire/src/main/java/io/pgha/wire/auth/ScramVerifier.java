package io.pgha.wire.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A SCRAM-SHA-256 verifier as PostgreSQL stores it in {@code pg_authid.rolpassword}: {@code
 * SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>} (base64 parts). It lets the router
 * check a client's proof without knowing the password. {@link #toString()} shows only the
 * iteration count.
 */
public final class ScramVerifier {
    public static final String PREFIX = "SCRAM-SHA-256$";

    private final int iterations;
    private final byte[] salt;
    private final byte[] storedKey;
    private final byte[] serverKey;

    public ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
        if (iterations < 1) throw new IllegalArgumentException("SCRAM iteration count must be positive");
        if (salt.length == 0) throw new IllegalArgumentException("SCRAM salt is empty");
        if (storedKey.length != 32 || serverKey.length != 32)
            throw new IllegalArgumentException("SCRAM-SHA-256 keys have 32 bytes");
        this.iterations = iterations;
        this.salt = salt.clone();
        this.storedKey = storedKey.clone();
        this.serverKey = serverKey.clone();
    }

    /** Whether {@code s} looks like a SCRAM-SHA-256 verifier (it may still fail {@link #parse}). */
    public static boolean looksLikeOne(String s) {
        return s != null && s.startsWith(PREFIX);
    }

    /**
     * Parses PostgreSQL's text form.
     *
     * @throws IllegalArgumentException naming the part that is wrong (never echoing the keys)
     */
    public static ScramVerifier parse(String s) {
        if (!looksLikeOne(s)) throw new IllegalArgumentException("not a SCRAM-SHA-256 verifier (no " + PREFIX + ")");
        String[] halves = s.substring(PREFIX.length()).split("\\$", -1);
        if (halves.length != 2)
            throw new IllegalArgumentException("SCRAM verifier: expected iterations:salt$StoredKey:ServerKey");
        String[] is = halves[0].split(":", -1);
        String[] keys = halves[1].split(":", -1);
        if (is.length != 2 || keys.length != 2)
            throw new IllegalArgumentException("SCRAM verifier: expected iterations:salt$StoredKey:ServerKey");
        int iterations;
        try {
            iterations = Integer.parseInt(is[0]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SCRAM verifier: iteration count is not a number");
        }
        Base64.Decoder b64 = Base64.getDecoder();
        try {
            return new ScramVerifier(iterations, b64.decode(is[1]), b64.decode(keys[0]), b64.decode(keys[1]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "SCRAM verifier: " + (e.getMessage().startsWith("SCRAM") ? e.getMessage() : "bad base64"));
        }
    }

    /** The verifier PostgreSQL would store for {@code password} with this salt and iteration count. */
    public static ScramVerifier fromPassword(String password, byte[] salt, int iterations) {
        byte[] salted = saltedPassword(password, salt, iterations);
        byte[] clientKey = hmac(salted, "Client Key");
        return new ScramVerifier(iterations, salt, sha256(clientKey), hmac(salted, "Server Key"));
    }

    /** Hi(password, salt, i) of RFC 5802: PBKDF2 with HMAC-SHA-256, 32 bytes. */
    static byte[] saltedPassword(String password, byte[] salt, int iterations) {
        try {
            SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
            PBEKeySpec spec = new PBEKeySpec(SaslPrep.prepare(password).toCharArray(), salt, iterations, 256);
            try {
                return f.generateSecret(spec).getEncoded();
            } finally {
                spec.clearPassword();
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JVM", e);
        }
    }

    static byte[] hmac(byte[] key, String data) {
        return hmac(key, data.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    public int iterations() {
        return iterations;
    }

    public byte[] salt() {
        return salt.clone();
    }

    byte[] storedKey() {
        return storedKey.clone();
    }

    byte[] serverKey() {
        return serverKey.clone();
    }

    /** PostgreSQL's text form. */
    public String encode() {
        Base64.Encoder b64 = Base64.getEncoder();
        return PREFIX + iterations + ":" + b64.encodeToString(salt) + "$" + b64.encodeToString(storedKey) + ":"
                + b64.encodeToString(serverKey);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramVerifier v
                && v.iterations == iterations
                && Arrays.equals(v.salt, salt)
                && MessageDigest.isEqual(v.storedKey, storedKey)
                && MessageDigest.isEqual(v.serverKey, serverKey);
    }

    @Override
    public int hashCode() {
        return 31 * iterations + Arrays.hashCode(salt);
    }

    @Override
    public String toString() {
        return "ScramVerifier[" + iterations + " iterations]";
    }
}
