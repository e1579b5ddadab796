package io.pgha.wire.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * The client side of one SCRAM-SHA-256 exchange with PostgreSQL, either with a password or with a
 * ClientKey recovered by {@link ScramServer} and the verifier it checked (pass-through: the router
 * logs in as the client without knowing the password). With keys, the server's salt and iteration
 * count must be the verifier's: another verifier means another password, and the exchange is
 * refused before a proof is sent.
 */
public final class ScramClient {
    private final String password;
    private final byte[] clientKey;
    private final ScramVerifier verifier;
    private final String clientNonce;
    private String clientFirstBare;
    private byte[] expectedServerSignature;
    /** The gs2 header: n (no TLS), y (TLS, but the server offered no binding) or p=tls-server-end-point. */
    private String gs2Header = "n,,";

    private byte[] bindingData;

    private ScramClient(String password, byte[] clientKey, ScramVerifier verifier, String clientNonce) {
        this.password = password;
        this.clientKey = clientKey;
        this.verifier = verifier;
        this.clientNonce = clientNonce;
    }

    public static ScramClient withPassword(String password) {
        return new ScramClient(password, null, null, ScramServer.randomNonce());
    }

    /** Pass-through: the ClientKey from a {@link ScramServer} exchange and the verifier it used. */
    public static ScramClient withClientKey(byte[] clientKey, ScramVerifier verifier) {
        if (clientKey.length != 32) throw new IllegalArgumentException("a SCRAM-SHA-256 ClientKey has 32 bytes");
        if (!MessageDigest.isEqual(ScramVerifier.sha256(clientKey), verifier.storedKey()))
            throw new IllegalArgumentException("the ClientKey does not belong to this verifier");
        return new ScramClient(null, clientKey.clone(), verifier, ScramServer.randomNonce());
    }

    static ScramClient withPassword(String password, String nonce) {
        return new ScramClient(password, null, null, nonce);
    }

    /**
     * Binds the exchange to the TLS connection it runs on ({@link ChannelBinding}): with {@code
     * serverOffers} (the server listed SCRAM-SHA-256-PLUS) the proof covers {@code data}; without,
     * the client says it could have bound (flag y), so a server that does support binding refuses
     * a downgrade. {@code data} null: not on TLS, or no usable certificate (flag n).
     */
    public ScramClient bind(byte[] data, boolean serverOffers) {
        if (clientFirstBare != null) throw new IllegalStateException("bind before clientFirst()");
        if (data == null) gs2Header = "n,,";
        else if (serverOffers) {
            gs2Header = "p=" + ChannelBinding.TYPE + ",,";
            bindingData = data.clone();
        } else gs2Header = "y,,";
        return this;
    }

    /** The SASL mechanism of this exchange. */
    public String mechanism() {
        return bindingData != null ? ScramServer.MECHANISM_PLUS : ScramServer.MECHANISM;
    }

    /** The client-first-message (user name empty: PostgreSQL takes it from the startup packet). */
    public byte[] clientFirst() {
        clientFirstBare = "n=,r=" + clientNonce;
        return (gs2Header + clientFirstBare).getBytes(StandardCharsets.US_ASCII);
    }

    /** Answers the server-first-message with the client-final-message. */
    public byte[] clientFinal(byte[] serverFirstMessage) throws AuthFailure {
        if (clientFirstBare == null) throw new IllegalStateException("clientFirst() first");
        String serverFirst = new String(serverFirstMessage, StandardCharsets.UTF_8);
        String[] attrs = serverFirst.split(",", -1);
        if (attrs.length < 3 || !attrs[0].startsWith("r=") || !attrs[1].startsWith("s=") || !attrs[2].startsWith("i="))
            throw new AuthFailure("SCRAM: malformed server-first-message");
        String nonce = attrs[0].substring(2);
        if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length())
            throw new AuthFailure("SCRAM: the server's nonce does not extend ours");
        byte[] salt;
        int iterations;
        try {
            salt = Base64.getDecoder().decode(attrs[1].substring(2));
            iterations = Integer.parseInt(attrs[2].substring(2));
        } catch (IllegalArgumentException e) {
            throw new AuthFailure("SCRAM: malformed salt or iteration count from the server");
        }
        if (iterations < 1 || iterations > 10_000_000)
            throw new AuthFailure("SCRAM: iteration count " + iterations + " out of range");
        byte[] storedKey;
        byte[] serverKey;
        byte[] key;
        if (verifier != null) {
            if (iterations != verifier.iterations() || !Arrays.equals(salt, verifier.salt()))
                throw new AuthFailure("SCRAM: the server's salt and iteration count differ from the verifier the"
                        + " client was checked against (the password differs between them)");
            key = clientKey;
            storedKey = verifier.storedKey();
            serverKey = verifier.serverKey();
        } else {
            byte[] salted = ScramVerifier.saltedPassword(password, salt, iterations);
            key = ScramVerifier.hmac(salted, "Client Key");
            storedKey = ScramVerifier.sha256(key);
            serverKey = ScramVerifier.hmac(salted, "Server Key");
        }
        String withoutProof = "c="
                + Base64.getEncoder().encodeToString(ChannelBinding.attribute(gs2Header, bindingData)) + ",r=" + nonce;
        byte[] auth = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
        byte[] signature = ScramVerifier.hmac(storedKey, auth);
        byte[] proof = new byte[32];
        for (int i = 0; i < 32; i++) proof[i] = (byte) (key[i] ^ signature[i]);
        expectedServerSignature = ScramVerifier.hmac(serverKey, auth);
        return (withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)).getBytes(StandardCharsets.US_ASCII);
    }

    /** Checks the server-final-message: the server knew the verifier too. */
    public void serverFinal(byte[] serverFinalMessage) throws AuthFailure {
        if (expectedServerSignature == null) throw new IllegalStateException("clientFinal() first");
        String m = new String(serverFinalMessage, StandardCharsets.UTF_8);
        if (m.startsWith("e=")) throw new AuthFailure("SCRAM: the server refused: " + m.substring(2));
        int comma = m.indexOf(',');
        String v = comma < 0 ? m : m.substring(0, comma);
        if (!v.startsWith("v=")) throw new AuthFailure("SCRAM: malformed server-final-message");
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(v.substring(2));
        } catch (IllegalArgumentException e) {
            throw new AuthFailure("SCRAM: bad base64 in the server-final-message");
        }
        if (!MessageDigest.isEqual(signature, expectedServerSignature))
            throw new AuthFailure("SCRAM: the server's signature is wrong (it does not know the verifier)");
    }
}
