package io.pgha.router.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pgha.router.pool.ClientAuth.Method;
import io.pgha.wire.auth.AuthFailure;
import io.pgha.wire.auth.BackendAuth;
import io.pgha.wire.auth.Md5Password;
import io.pgha.wire.auth.ScramServer;
import io.pgha.wire.auth.ScramVerifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The router authenticating a client, with the client played by BackendAuth (the same code a
 * PostgreSQL client library runs, message for message), and the pool's login checked against a
 * ScramServer that holds the same verifier as PostgreSQL would.
 */
class ClientAuthTest {
    private static final byte[] MOCK = "router-secret".getBytes(StandardCharsets.US_ASCII);
    private static final ScramVerifier VERIFIER =
            ScramVerifier.fromPassword("s3cret", "0123456789abcdef".getBytes(StandardCharsets.US_ASCII), 4096);

    /** Runs the exchange; returns true when the client got AuthenticationOk. */
    private static boolean exchange(ClientAuth router, BackendAuth client) throws AuthFailure {
        byte[] out = router.start();
        while (true) {
            ByteBuffer b = ByteBuffer.wrap(out);
            byte[] reply = null;
            while (b.hasRemaining()) {
                assertThat(b.get()).isEqualTo((byte) 'R');
                byte[] body = new byte[b.getInt() - 4];
                b.get(body);
                byte[] r = client.answer(body);
                if (r != null) reply = r;
            }
            if (client.ok()) return true;
            if (reply == null) return false;
            out = router.onPassword(Arrays.copyOfRange(reply, 5, reply.length));
        }
    }

    private static void loginToPostgres(ClientAuth router) throws AuthFailure {
        BackendAuth login = router.backendLogins().get();
        ScramServer postgres = new ScramServer(VERIFIER);
        byte[] first = login.answer(req(BackendAuth.SASL, "SCRAM-SHA-256\0\0".getBytes(StandardCharsets.US_ASCII)));
        byte[] initial = Arrays.copyOfRange(first, 5, first.length);
        byte[] cf = Arrays.copyOfRange(initial, 14 + 4, initial.length);
        byte[] fin = login.answer(req(BackendAuth.SASL_CONTINUE, postgres.clientFirst(cf)));
        login.answer(req(BackendAuth.SASL_FINAL, postgres.clientFinal(Arrays.copyOfRange(fin, 5, fin.length))));
        login.answer(req(BackendAuth.OK, new byte[0]));
        assertThat(login.ok()).isTrue();
    }

    private static byte[] req(int code, byte[] rest) {
        return ByteBuffer.allocate(4 + rest.length).putInt(code).put(rest).array();
    }

    @Test
    void scramAgainstAVerifierAndThePoolLogsInWithTheRecoveredKey() throws Exception {
        ClientAuth router = new ClientAuth("alice", new Secret.Verifier(VERIFIER), Method.SCRAM_SHA_256, MOCK);
        assertThat(exchange(router, BackendAuth.withPassword("alice", "s3cret")))
                .isTrue();
        assertThat(router.done()).isTrue();
        loginToPostgres(router);
        loginToPostgres(router); // a second server connection, a second exchange
    }

    @Test
    void scramAgainstAPasswordFromTheAuthFile() throws Exception {
        ClientAuth router = new ClientAuth("alice", new Secret.Plain("s3cret"), Method.SCRAM_SHA_256, MOCK);
        assertThat(exchange(router, BackendAuth.withPassword("alice", "s3cret")))
                .isTrue();
        loginToPostgres(router);
    }

    @Test
    void md5AgainstAHashAndAPassword() throws Exception {
        String hash = Md5Password.hash("alice", "s3cret");
        ClientAuth router = new ClientAuth("alice", new Secret.Md5(hash), Method.MD5, MOCK);
        assertThat(exchange(router, BackendAuth.withPassword("alice", "s3cret")))
                .isTrue();
        BackendAuth login = router.backendLogins().get();
        byte[] r = login.answer(req(BackendAuth.MD5, new byte[] {1, 2, 3, 4}));
        assertThat(Md5Password.matches(
                        hash, new byte[] {1, 2, 3, 4}, new String(r, 5, r.length - 6, StandardCharsets.US_ASCII)))
                .isTrue();
        ClientAuth plain = new ClientAuth("alice", new Secret.Plain("s3cret"), Method.MD5, MOCK);
        assertThat(exchange(plain, BackendAuth.withPassword("alice", "s3cret"))).isTrue();
    }

    /** As PostgreSQL: md5 asked but a SCRAM verifier stored runs SCRAM. */
    @Test
    void md5WithAStoredVerifierRunsScram() throws Exception {
        ClientAuth router = new ClientAuth("alice", new Secret.Verifier(VERIFIER), Method.MD5, MOCK);
        assertThat(ByteBuffer.wrap(router.start(), 5, 4).getInt()).isEqualTo(BackendAuth.SASL);
        assertThat(exchange(router, BackendAuth.withPassword("alice", "s3cret")))
                .isTrue();
    }

    @Test
    void wrongPasswordsUnknownUsersAndHashesThatCannotAnswerScramAllFail() {
        assertFails(
                new ClientAuth("alice", new Secret.Verifier(VERIFIER), Method.SCRAM_SHA_256, MOCK),
                "wrong",
                "wrong password");
        assertFails(new ClientAuth("nobody", null, Method.SCRAM_SHA_256, MOCK), "anything", "no verifier");
        assertFails(new ClientAuth("nobody", null, Method.MD5, MOCK), "anything", "no verifier");
        assertFails(
                new ClientAuth(
                        "alice", new Secret.Md5(Md5Password.hash("alice", "s3cret")), Method.SCRAM_SHA_256, MOCK),
                "s3cret",
                "no verifier");
        assertFails(
                new ClientAuth("alice", new Secret.Md5(Md5Password.hash("alice", "s3cret")), Method.MD5, MOCK),
                "wrong",
                "md5: wrong password");
        assertThatThrownBy(() -> new ClientAuth("alice", null, Method.SCRAM_SHA_256, MOCK).backendLogins())
                .isInstanceOf(IllegalStateException.class);
    }

    private static void assertFails(ClientAuth router, String password, String detail) {
        assertThatThrownBy(() -> exchange(router, BackendAuth.withPassword("alice", password)))
                .isInstanceOfSatisfying(AuthFailure.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("password authentication failed");
                    assertThat(e.detail()).contains(detail);
                });
        assertThat(router.done()).isFalse();
    }

    @Test
    void aMechanismThatWasNotOfferedIsRefused() {
        ClientAuth router = new ClientAuth("alice", new Secret.Verifier(VERIFIER), Method.SCRAM_SHA_256, MOCK);
        router.start();
        byte[] body = "SCRAM-SHA-256-PLUS\0\0\0\0\0".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> router.onPassword(body))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("not offered"));
    }

    @Test
    void methodNamesAreThoseOfPgHba() {
        assertThat(Method.of("scram-sha-256")).isEqualTo(Method.SCRAM_SHA_256);
        assertThat(Method.of("md5")).isEqualTo(Method.MD5);
        assertThatThrownBy(() -> Method.of("trust")).hasMessageContaining("'trust' is not scram-sha-256 or md5");
    }

    /** Untrusted bytes from a client that has not authenticated: only AuthFailure comes out. */
    @FuzzTest(maxDuration = "30s")
    void anyPasswordMessages(FuzzedDataProvider in) {
        Secret secret = switch (in.consumeInt(0, 3)) {
            case 0 -> new Secret.Verifier(VERIFIER);
            case 1 -> new Secret.Plain("s3cret");
            case 2 -> new Secret.Md5(Md5Password.hash("alice", "s3cret"));
            default -> null;
        };
        ClientAuth router =
                new ClientAuth("alice", secret, in.consumeBoolean() ? Method.MD5 : Method.SCRAM_SHA_256, MOCK);
        router.start();
        try {
            while (in.remainingBytes() > 0) router.onPassword(in.consumeBytes(in.consumeInt(0, 300)));
        } catch (AuthFailure expected) {
            assertThat(expected.detail()).isNotBlank();
        }
        assertThat(router.done()).isFalse();
    }
}
