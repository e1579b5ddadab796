package io.pgha.wire.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Logs the router in to a PostgreSQL server as a user, without I/O of its own: the caller hands
 * each Authentication message ('R') body to {@link #answer} and sends back what it returns. It
 * answers what pg_hba.conf may ask for with what it holds:
 *
 * <ul>
 *   <li>SCRAM-SHA-256: with the password, or with the ClientKey and verifier of a client the router
 *       checked itself ({@link ScramServer#clientKey()}: pass-through);
 *   <li>md5: with the password or the stored md5 hash;
 *   <li>a clear-text password: only with the password.
 * </ul>
 *
 * Anything else (GSSAPI, SSPI, SCRAM-SHA-256-PLUS only without TLS, a request it cannot answer with
 * what it holds) is an {@link AuthFailure} that says so.
 */
public final class BackendAuth {
    public static final int OK = 0;
    public static final int CLEARTEXT = 3;
    public static final int MD5 = 5;
    public static final int SASL = 10;
    public static final int SASL_CONTINUE = 11;
    public static final int SASL_FINAL = 12;

    private final String user;
    private final String password;
    private final String md5Hash;
    private final byte[] clientKey;
    private final ScramVerifier verifier;
    private ScramClient scram;
    private boolean scramDone;
    private boolean ok;
    /** The TLS connection's tls-server-end-point data; null without TLS. */
    private byte[] bindingData;

    private BackendAuth(String user, String password, String md5Hash, byte[] clientKey, ScramVerifier verifier) {
        this.user = user;
        this.password = password;
        this.md5Hash = md5Hash;
        this.clientKey = clientKey;
        this.verifier = verifier;
    }

    /** Logs in where the server asks for nothing (trust, cert): any request for a secret fails clearly. */
    public static BackendAuth withoutSecret(String user) {
        return new BackendAuth(user, null, null, null, null);
    }

    public static BackendAuth withPassword(String user, String password) {
        return new BackendAuth(user, password, null, null, null);
    }

    public static BackendAuth withMd5Hash(String user, String md5Hash) {
        if (!Md5Password.looksLikeOne(md5Hash)) throw new IllegalArgumentException("not an md5 password hash");
        return new BackendAuth(user, null, md5Hash, null, null);
    }

    public static BackendAuth withScramKey(String user, byte[] clientKey, ScramVerifier verifier) {
        ScramClient.withClientKey(clientKey, verifier); // checks that they belong together
        return new BackendAuth(user, null, null, clientKey.clone(), verifier);
    }

    /** The user it logs in as. */
    public String user() {
        return user;
    }

    /**
     * The login runs over TLS, with {@code data} the tls-server-end-point data of the server's
     * certificate ({@link ChannelBinding}): SCRAM binds its proof to it when the server offers
     * SCRAM-SHA-256-PLUS.
     */
    public void bindChannel(byte[] data) {
        bindingData = data == null ? null : data.clone();
    }

    /** Whether the SCRAM exchange was bound to the TLS connection (SCRAM-SHA-256-PLUS). */
    public boolean channelBound() {
        return scram != null && scram.mechanism().equals(ScramServer.MECHANISM_PLUS);
    }

    /** Whether AuthenticationOk has been seen. */
    public boolean ok() {
        return ok;
    }

    /**
     * Answers one Authentication message body (its code first).
     *
     * @return the whole message to send (type 'p', length, body), or null when none is due
     *     (AuthenticationOk, SASL final)
     */
    public byte[] answer(byte[] body) throws AuthFailure {
        if (body.length < 4) throw new AuthFailure("backend: an Authentication message without a code");
        ByteBuffer in = ByteBuffer.wrap(body);
        int code = in.getInt();
        switch (code) {
            case OK -> {
                if (scram != null && !scramDone) throw new AuthFailure("backend: AuthenticationOk before SCRAM ended");
                ok = true;
                return null;
            }
            case CLEARTEXT -> {
                if (password == null)
                    throw new AuthFailure("backend asks for a clear-text password for " + user
                            + ", and the router holds only a hash or a SCRAM key");
                return message(cstring(password));
            }
            case MD5 -> {
                if (body.length != 8) throw new AuthFailure("backend: an md5 request without its 4-byte salt");
                byte[] salt = new byte[4];
                in.get(salt);
                String hash = md5Hash != null ? md5Hash : password != null ? Md5Password.hash(user, password) : null;
                if (hash == null)
                    throw new AuthFailure("backend asks for md5 for " + user
                            + ", and the router holds only a SCRAM key (use SCRAM-SHA-256 in pg_hba.conf)");
                return message(cstring(Md5Password.response(hash, salt)));
            }
            case SASL -> {
                List<String> mechanisms = mechanisms(body);
                boolean plus = bindingData != null && mechanisms.contains(ScramServer.MECHANISM_PLUS);
                if (!mechanisms.contains(ScramServer.MECHANISM) && !plus)
                    throw new AuthFailure(
                            "backend offers SASL mechanisms " + mechanisms + ", none of which the router speaks");
                if (password == null && clientKey == null)
                    throw new AuthFailure(
                            "backend asks for SCRAM for " + user + ", and the router holds only an md5 hash");
                scram = (clientKey != null
                                ? ScramClient.withClientKey(clientKey, verifier)
                                : ScramClient.withPassword(password))
                        .bind(bindingData, plus);
                byte[] first = scram.clientFirst();
                byte[] mech = cstring(scram.mechanism());
                ByteBuffer b = ByteBuffer.allocate(mech.length + 4 + first.length);
                b.put(mech).putInt(first.length).put(first);
                return message(b.array());
            }
            case SASL_CONTINUE -> {
                if (scram == null) throw new AuthFailure("backend: SASL continue without SASL");
                return message(scram.clientFinal(java.util.Arrays.copyOfRange(body, 4, body.length)));
            }
            case SASL_FINAL -> {
                if (scram == null) throw new AuthFailure("backend: SASL final without SASL");
                scram.serverFinal(java.util.Arrays.copyOfRange(body, 4, body.length));
                scramDone = true;
                return null;
            }
            default ->
                throw new AuthFailure("backend asks for authentication method " + code
                        + " (GSSAPI, SSPI or Kerberos), which the router does not support");
        }
    }

    private static List<String> mechanisms(byte[] body) throws AuthFailure {
        List<String> out = new ArrayList<>();
        int i = 4;
        while (i < body.length && body[i] != 0) {
            int end = i;
            while (end < body.length && body[end] != 0) end++;
            if (end >= body.length) throw new AuthFailure("backend: unterminated SASL mechanism list");
            out.add(new String(body, i, end - i, StandardCharsets.UTF_8));
            i = end + 1;
        }
        return out;
    }

    private static byte[] cstring(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.copyOf(b, b.length + 1);
    }

    private static byte[] message(byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(5 + body.length);
        b.put((byte) 'p').putInt(4 + body.length).put(body);
        return b.array();
    }
}
