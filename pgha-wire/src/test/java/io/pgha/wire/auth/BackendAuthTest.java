package io.pgha.wire.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** BackendAuth against the server side of each method, message by message. */
class BackendAuthTest {
    private static final ScramVerifier VERIFIER =
            ScramVerifier.fromPassword("s3cret", "0123456789abcdef".getBytes(StandardCharsets.US_ASCII), 4096);

    private static byte[] request(int code, byte[] rest) {
        return ByteBuffer.allocate(4 + rest.length).putInt(code).put(rest).array();
    }

    /** The body of a 'p' message, checking its frame. */
    private static byte[] body(byte[] message) {
        assertThat(message[0]).isEqualTo((byte) 'p');
        assertThat(ByteBuffer.wrap(message, 1, 4).getInt()).isEqualTo(message.length - 1);
        return Arrays.copyOfRange(message, 5, message.length);
    }

    private static void scramAgainst(BackendAuth auth, ScramServer server) throws AuthFailure {
        byte[] initial = body(auth.answer(request(
                BackendAuth.SASL, "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII))));
        byte[] mech = "SCRAM-SHA-256\0".getBytes(StandardCharsets.US_ASCII);
        assertThat(Arrays.copyOf(initial, mech.length)).isEqualTo(mech);
        int len = ByteBuffer.wrap(initial, mech.length, 4).getInt();
        byte[] first = Arrays.copyOfRange(initial, mech.length + 4, initial.length);
        assertThat(first).hasSize(len);
        byte[] fin = body(auth.answer(request(BackendAuth.SASL_CONTINUE, server.clientFirst(first))));
        assertThat(auth.answer(request(BackendAuth.SASL_FINAL, server.clientFinal(fin))))
                .isNull();
        assertThat(auth.answer(request(BackendAuth.OK, new byte[0]))).isNull();
        assertThat(auth.ok()).isTrue();
    }

    @Test
    void scramWithThePasswordOrWithARecoveredClientKey() throws Exception {
        scramAgainst(BackendAuth.withPassword("alice", "s3cret"), new ScramServer(VERIFIER));
        ScramClient app = ScramClient.withPassword("s3cret");
        ScramServer router = new ScramServer(VERIFIER);
        app.serverFinal(router.clientFinal(app.clientFinal(router.clientFirst(app.clientFirst()))));
        scramAgainst(BackendAuth.withScramKey("alice", router.clientKey(), VERIFIER), new ScramServer(VERIFIER));
    }

    @Test
    void md5WithThePasswordOrTheStoredHash() throws Exception {
        byte[] salt = {9, 8, 7, 6};
        String hash = Md5Password.hash("alice", "s3cret");
        for (BackendAuth auth :
                new BackendAuth[] {BackendAuth.withPassword("alice", "s3cret"), BackendAuth.withMd5Hash("alice", hash)
                }) {
            byte[] b = body(auth.answer(request(BackendAuth.MD5, salt)));
            String response = new String(b, 0, b.length - 1, StandardCharsets.US_ASCII);
            assertThat(Md5Password.matches(hash, salt, response)).isTrue();
        }
    }

    @Test
    void whatCannotBeAnsweredSaysWhy() throws Exception {
        ScramClient app = ScramClient.withPassword("s3cret");
        ScramServer router = new ScramServer(VERIFIER);
        app.serverFinal(router.clientFinal(app.clientFinal(router.clientFirst(app.clientFirst()))));
        BackendAuth key = BackendAuth.withScramKey("alice", router.clientKey(), VERIFIER);
        assertFails(key, request(BackendAuth.CLEARTEXT, new byte[0]), "clear-text");
        assertFails(key, request(BackendAuth.MD5, new byte[] {1, 2, 3, 4}), "use SCRAM-SHA-256 in pg_hba.conf");
        assertFails(
                BackendAuth.withMd5Hash("alice", Md5Password.hash("alice", "x")),
                request(BackendAuth.SASL, "SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII)),
                "only an md5 hash");
        assertFails(
                key,
                request(BackendAuth.SASL, "SCRAM-SHA-256-PLUS\0\0".getBytes(StandardCharsets.US_ASCII)),
                "none of which");
        assertFails(key, request(7, new byte[0]), "GSSAPI");
        assertFails(key, new byte[] {0, 0}, "without a code");
        assertFails(key, request(BackendAuth.MD5, new byte[] {1}), "4-byte salt");
        assertFails(
                BackendAuth.withPassword("alice", "s3cret"),
                request(BackendAuth.SASL_CONTINUE, new byte[0]),
                "without SASL");
        byte[] cleartext =
                body(BackendAuth.withPassword("alice", "s3cret").answer(request(BackendAuth.CLEARTEXT, new byte[0])));
        assertThat(cleartext).isEqualTo("s3cret\0".getBytes(StandardCharsets.US_ASCII));
    }

    private static void assertFails(BackendAuth auth, byte[] request, String detail) {
        assertThatThrownBy(() -> auth.answer(request))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains(detail));
    }
}
