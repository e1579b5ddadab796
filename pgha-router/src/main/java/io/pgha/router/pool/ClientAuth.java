package io.pgha.router.pool;

import io.pgha.wire.auth.AuthFailure;
import io.pgha.wire.auth.BackendAuth;
import io.pgha.wire.auth.Md5Password;
import io.pgha.wire.auth.ScramServer;
import io.pgha.wire.auth.ScramVerifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The router's side of a client's authentication, without I/O: {@link #start()} gives the first
 * Authentication message, {@link #onPassword} takes each PasswordMessage-type ('p') body and gives
 * the reply. On success {@link #backendLogins()} logs the pool in to PostgreSQL as the same user: with
 * the password (auth file), the md5 hash, or the ClientKey recovered from the SCRAM exchange.
 *
 * <p>As PostgreSQL: {@code md5} with a stored SCRAM verifier runs SCRAM; {@code scram-sha-256} with a
 * stored md5 hash fails; an unknown user goes through a mock exchange and fails like a wrong
 * password.
 */
public final class ClientAuth {
    /** The method the router asks clients for (pg_hba.conf's names). */
    public enum Method {
        SCRAM_SHA_256("scram-sha-256"),
        MD5("md5");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Method of(String label) {
            for (Method m : values()) if (m.label.equals(label)) return m;
            throw new IllegalArgumentException("authentication method '" + label + "' is not scram-sha-256 or md5");
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String user;
    private final Secret secret;
    private ScramServer scram;
    private byte[] md5Salt;
    private int step;
    private boolean done;

    /**
     * @param secret the user's secret, null when the router does not know the user
     * @param mockSecret a per-router secret for the mock exchange of unknown users
     */
    public ClientAuth(String user, Secret secret, Method method, byte[] mockSecret) {
        this(user, secret, method, mockSecret, null);
    }

    /**
     * @param plainVerifier for a {@link Secret.Plain}: a verifier already derived from it (PBKDF2 is
     *     costly; the listener derives one per user), or null to derive one here
     */
    public ClientAuth(String user, Secret secret, Method method, byte[] mockSecret, ScramVerifier plainVerifier) {
        this.user = user;
        this.secret = secret;
        boolean useScram = method == Method.SCRAM_SHA_256 || secret instanceof Secret.Verifier || secret == null;
        if (useScram) {
            if (secret instanceof Secret.Verifier v) scram = new ScramServer(v.verifier());
            else if (secret instanceof Secret.Plain p)
                scram = new ScramServer(plainVerifier != null ? plainVerifier : derive(p.password()));
            else scram = ScramServer.mock(user, mockSecret); // unknown user, or an md5 hash with SCRAM asked
        } else {
            md5Salt = new byte[4];
            RANDOM.nextBytes(md5Salt);
        }
    }

    /** A SCRAM verifier for a password, with a fresh random salt. */
    static ScramVerifier derive(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return ScramVerifier.fromPassword(password, salt, 4096);
    }

    /** The client is on TLS with {@code data} as the tls-server-end-point data (null: none usable). */
    private byte[] bindingData;

    /**
     * The client connected over TLS: SCRAM-SHA-256-PLUS is offered too, bound to {@code data}, the
     * tls-server-end-point data of the router's certificate. Call before {@link #start}.
     */
    public void bindChannel(byte[] data) {
        bindingData = data == null ? null : data.clone();
    }

    /** Whether the client bound its SCRAM proof to the TLS connection. */
    public boolean channelBound() {
        return scram != null && scram.channelBound();
    }

    /** The first Authentication message: AuthenticationSASL or AuthenticationMD5Password. */
    public byte[] start() {
        if (scram != null) {
            String offered =
                    (bindingData != null ? ScramServer.MECHANISM_PLUS + "\0" : "") + ScramServer.MECHANISM + "\0\0";
            return auth(BackendAuth.SASL, offered.getBytes(StandardCharsets.US_ASCII));
        }
        return auth(BackendAuth.MD5, md5Salt);
    }

    /**
     * Takes one 'p' message body and returns the message(s) to send; after the last one {@link
     * #done()} is true (AuthenticationOk was among them).
     *
     * @throws AuthFailure the client failed, or sent something it should not have
     */
    public byte[] onPassword(byte[] body) throws AuthFailure {
        if (done) throw new AuthFailure("a password message after authentication ended");
        if (scram == null) return md5(body);
        if (step == 0) {
            step = 1;
            int nul = indexOfNul(body, 0);
            if (nul < 0 || body.length < nul + 5) throw new AuthFailure("SCRAM: malformed SASLInitialResponse");
            String mechanism = new String(body, 0, nul, StandardCharsets.UTF_8);
            boolean plus = bindingData != null && mechanism.equals(ScramServer.MECHANISM_PLUS);
            if (!mechanism.equals(ScramServer.MECHANISM) && !plus)
                throw new AuthFailure(
                        "SCRAM: the client chose mechanism '" + printable(mechanism) + "', which was not offered");
            scram.bind(mechanism, bindingData);
            int len = ByteBuffer.wrap(body, nul + 1, 4).getInt();
            if (len != body.length - nul - 5) throw new AuthFailure("SCRAM: the SASLInitialResponse length is wrong");
            return auth(BackendAuth.SASL_CONTINUE, scram.clientFirst(Arrays.copyOfRange(body, nul + 5, body.length)));
        }
        if (step == 1) {
            step = 2;
            byte[] fin = scram.clientFinal(body);
            if (secret == null || secret instanceof Secret.Md5)
                throw new AuthFailure(
                        secret == null ? "no such user" : "SCRAM asked, but only an md5 hash is stored for " + user);
            done = true;
            return concat(auth(BackendAuth.SASL_FINAL, fin), auth(BackendAuth.OK, new byte[0]));
        }
        throw new AuthFailure("SCRAM: an extra message");
    }

    private byte[] md5(byte[] body) throws AuthFailure {
        if (body.length == 0 || body[body.length - 1] != 0) throw new AuthFailure("md5: malformed password message");
        String response = new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
        if (secret == null) throw new AuthFailure("no such user");
        String hash =
                secret instanceof Secret.Md5 m ? m.hash() : Md5Password.hash(user, ((Secret.Plain) secret).password());
        if (!Md5Password.matches(hash, md5Salt, response)) throw new AuthFailure("md5: wrong password");
        done = true;
        return auth(BackendAuth.OK, new byte[0]);
    }

    public boolean done() {
        return done;
    }

    /**
     * How the pool logs in to PostgreSQL as this user, one fresh exchange per server connection:
     * with the password (auth file), the md5 hash, or the ClientKey recovered from the SCRAM
     * exchange and the verifier it was checked against.
     */
    public Supplier<BackendAuth> backendLogins() {
        if (!done) throw new IllegalStateException("the client is not authenticated");
        if (!(secret instanceof Secret.Verifier sv)) return withSecret(user, secret);
        byte[] key = scram.clientKey();
        return () -> BackendAuth.withScramKey(user, key, sv.verifier());
    }

    /**
     * How the pool logs in as {@code user} with only a stored secret (no client's proof): the
     * password, the md5 hash, or nothing (a verifier cannot answer a challenge by itself; the server
     * must not ask, as with trust or cert).
     */
    static Supplier<BackendAuth> withSecret(String user, Secret secret) {
        if (secret instanceof Secret.Plain p) return () -> BackendAuth.withPassword(user, p.password());
        if (secret instanceof Secret.Md5 m) return () -> BackendAuth.withMd5Hash(user, m.hash());
        return () -> BackendAuth.withoutSecret(user);
    }

    static byte[] auth(int code, byte[] rest) {
        return ByteBuffer.allocate(9 + rest.length)
                .put((byte) 'R')
                .putInt(8 + rest.length)
                .putInt(code)
                .put(rest)
                .array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int indexOfNul(byte[] b, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == 0) return i;
        return -1;
    }

    private static String printable(String s) {
        String t = s.length() > 30 ? s.substring(0, 30) : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
