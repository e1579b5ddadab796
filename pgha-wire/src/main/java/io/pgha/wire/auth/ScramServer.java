package io.pgha.wire.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The server side of one SCRAM-SHA-256 exchange (RFC 5802, RFC 7677), as PostgreSQL runs it:
 * {@link #clientFirst} answers the client-first-message with the server-first-message, {@link
 * #clientFinal} checks the proof and answers with the server signature. On a TLS connection
 * ({@link #bind}) it takes channel binding of type {@code tls-server-end-point} with
 * SCRAM-SHA-256-PLUS, and refuses a client that says it could have bound (flag {@code y}) while
 * binding was offered: a downgrade. An authorization identity is refused.
 *
 * <p>After a successful exchange {@link #clientKey()} is the client's ClientKey, recovered from its
 * proof. With it (and the verifier) the router can answer the same user's SCRAM exchange with a
 * PostgreSQL server whose verifier is the same, without ever knowing the password: how PgBouncer's
 * auth_query works with SCRAM.
 *
 * <p>For a user without a verifier, {@link #mock} runs the same exchange with a made-up salt, so
 * that a client cannot tell an unknown user from a wrong password.
 */
public final class ScramServer {
    public static final String MECHANISM = "SCRAM-SHA-256";
    public static final String MECHANISM_PLUS = "SCRAM-SHA-256-PLUS";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ScramVerifier verifier;
    private final boolean mock;
    private final Supplier<String> nonceSuffix;
    private String clientFirstBare;
    private String serverFirst;
    private String gs2Header;
    private String nonce;
    private byte[] clientKey;
    private boolean done;
    /** This connection's tls-server-end-point data (null: not on TLS, nothing offered). */
    private byte[] bindingData;

    private boolean plus;
    private boolean bound;

    /**
     * The exchange runs on a TLS connection with {@code data} as its tls-server-end-point data
     * (binding is offered), and the client chose {@code mechanism}. Call before {@link
     * #clientFirst}.
     */
    public ScramServer bind(String mechanism, byte[] data) {
        this.plus = MECHANISM_PLUS.equals(mechanism);
        this.bindingData = data == null ? null : data.clone();
        return this;
    }

    /** Whether the client bound its proof to this TLS connection (SCRAM-SHA-256-PLUS). */
    public boolean channelBound() {
        return bound && clientKey != null;
    }

    public ScramServer(ScramVerifier verifier) {
        this(verifier, false, ScramServer::randomNonce);
    }

    ScramServer(ScramVerifier verifier, boolean mock, Supplier<String> nonceSuffix) {
        this.verifier = verifier;
        this.mock = mock;
        this.nonceSuffix = nonceSuffix;
    }

    /**
     * An exchange for a user that has no verifier: the salt is derived from the user name and a
     * secret of the router (stable, like a real one), and the proof never matches.
     */
    public static ScramServer mock(String user, byte[] secret) {
        byte[] salt = java.util.Arrays.copyOf(ScramVerifier.hmac(secret, "salt:" + user), 16);
        byte[] keys = new byte[32];
        RANDOM.nextBytes(keys);
        return new ScramServer(new ScramVerifier(4096, salt, keys, keys), true, ScramServer::randomNonce);
    }

    static String randomNonce() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    /** Reads the client-first-message and returns the server-first-message. */
    public byte[] clientFirst(byte[] message) throws AuthFailure {
        if (serverFirst != null) throw new AuthFailure("SCRAM: a second client-first-message");
        String m = text(message);
        // gs2-header: cbind-flag "," [authzid] ","
        int c1 = m.indexOf(',');
        int c2 = c1 < 0 ? -1 : m.indexOf(',', c1 + 1);
        if (c2 < 0) throw new AuthFailure("SCRAM: malformed client-first-message (no gs2 header)");
        String flag = m.substring(0, c1);
        if (flag.startsWith("p=")) {
            if (bindingData == null)
                throw new AuthFailure("SCRAM: the client requires channel binding, which is offered only over TLS");
            if (!plus)
                throw new AuthFailure(
                        "SCRAM: channel binding requested with " + MECHANISM + " (choose " + MECHANISM_PLUS + ")");
            if (!flag.equals("p=" + ChannelBinding.TYPE))
                throw new AuthFailure("SCRAM: channel binding type '" + printable(flag.substring(2))
                        + "' is not supported (" + ChannelBinding.TYPE + " only)");
            bound = true;
        } else if (plus) {
            throw new AuthFailure("SCRAM: " + MECHANISM_PLUS + " chosen without channel binding");
        } else if (flag.equals("y") && bindingData != null) {
            throw new AuthFailure("SCRAM: the client could bind to the channel and did not, though binding was"
                    + " offered (a downgrade?)");
        } else if (!flag.equals("n") && !flag.equals("y"))
            throw new AuthFailure(
                    "SCRAM: malformed client-first-message (channel binding flag '" + printable(flag) + "')");
        if (c2 != c1 + 1) throw new AuthFailure("SCRAM: authorization identities are not supported");
        gs2Header = m.substring(0, c2 + 1);
        clientFirstBare = m.substring(c2 + 1);
        String[] attrs = clientFirstBare.split(",", -1);
        if (attrs.length < 2) throw new AuthFailure("SCRAM: malformed client-first-message");
        if (attrs[0].startsWith("m=")) throw new AuthFailure("SCRAM: mandatory extensions are not supported");
        if (!attrs[0].startsWith("n=")) throw new AuthFailure("SCRAM: malformed client-first-message (no user name)");
        if (!attrs[1].startsWith("r=") || attrs[1].length() < 3)
            throw new AuthFailure("SCRAM: malformed client-first-message (no nonce)");
        String clientNonce = attrs[1].substring(2);
        if (!printableNonce(clientNonce))
            throw new AuthFailure("SCRAM: the client nonce has characters it may not have");
        nonce = clientNonce + nonceSuffix.get();
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(verifier.salt()) + ",i="
                + verifier.iterations();
        return serverFirst.getBytes(StandardCharsets.US_ASCII);
    }

    /** Checks the client-final-message's proof and returns the server-final-message. */
    public byte[] clientFinal(byte[] message) throws AuthFailure {
        if (serverFirst == null || done) throw new AuthFailure("SCRAM: client-final-message out of order");
        done = true;
        String m = text(message);
        int p = m.lastIndexOf(",p=");
        if (p < 0) throw new AuthFailure("SCRAM: malformed client-final-message (no proof)");
        String withoutProof = m.substring(0, p);
        String[] attrs = withoutProof.split(",", -1);
        if (attrs.length < 2 || !attrs[0].startsWith("c=") || !attrs[1].startsWith("r="))
            throw new AuthFailure("SCRAM: malformed client-final-message");
        byte[] binding;
        byte[] proof;
        try {
            binding = Base64.getDecoder().decode(attrs[0].substring(2));
            proof = Base64.getDecoder().decode(m.substring(p + 3));
        } catch (IllegalArgumentException e) {
            throw new AuthFailure("SCRAM: bad base64 in the client-final-message");
        }
        if (!MessageDigest.isEqual(binding, ChannelBinding.attribute(gs2Header, bound ? bindingData : null)))
            throw new AuthFailure(
                    bound
                            ? "SCRAM: the channel binding does not match this TLS connection (a man in the middle?)"
                            : "SCRAM: the channel binding attribute does not match the gs2 header");
        if (!attrs[1].substring(2).equals(nonce)) throw new AuthFailure("SCRAM: the nonce does not match");
        if (proof.length != 32) throw new AuthFailure("SCRAM: the proof has " + proof.length + " bytes, not 32");
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] auth = authMessage.getBytes(StandardCharsets.UTF_8);
        byte[] signature = ScramVerifier.hmac(verifier.storedKey(), auth);
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) key[i] = (byte) (proof[i] ^ signature[i]);
        if (mock || !MessageDigest.isEqual(ScramVerifier.sha256(key), verifier.storedKey()))
            throw new AuthFailure(
                    mock ? "SCRAM: no verifier for this user" : "SCRAM: wrong password (the proof does not match)");
        clientKey = key;
        return ("v=" + Base64.getEncoder().encodeToString(ScramVerifier.hmac(verifier.serverKey(), auth)))
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The client's ClientKey, once {@link #clientFinal} succeeded; null before. */
    public byte[] clientKey() {
        return clientKey == null ? null : clientKey.clone();
    }

    public ScramVerifier verifier() {
        return verifier;
    }

    private static String text(byte[] message) throws AuthFailure {
        var dec = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        try {
            String s = dec.decode(java.nio.ByteBuffer.wrap(message)).toString();
            if (s.indexOf('\0') >= 0) throw new AuthFailure("SCRAM: a NUL byte in the message");
            return s;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new AuthFailure("SCRAM: the message is not UTF-8");
        }
    }

    /** RFC 5802: printable ASCII except ','. */
    private static boolean printableNonce(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c > 0x7e || c == ',') return false;
        }
        return true;
    }

    private static String printable(String s) {
        String t = s.length() > 20 ? s.substring(0, 20) : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
