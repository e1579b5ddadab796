package io.pgha.wire.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ScramTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** RFC 7677 section 3: user "user", password "pencil". */
    @Test
    void theExchangeOfRfc7677() throws Exception {
        ScramVerifier v =
                ScramVerifier.fromPassword("pencil", Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
        ScramServer server = new ScramServer(v, false, () -> "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        assertThat(s(server.clientFirst(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))))
                .isEqualTo("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assertThat(s(server.clientFinal(b("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))))
                .isEqualTo("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        assertThat(server.clientKey()).hasSize(32);
        assertThat(ScramVerifier.sha256(server.clientKey())).isEqualTo(v.storedKey());
    }

    @Test
    void aClientWithThePasswordLogsInAndChecksTheServer() throws Exception {
        ScramVerifier v = ScramVerifier.fromPassword("s3cret", b("0123456789abcdef"), 4096);
        ScramClient client = ScramClient.withPassword("s3cret");
        ScramServer server = new ScramServer(v);
        client.serverFinal(server.clientFinal(client.clientFinal(server.clientFirst(client.clientFirst()))));
        assertThat(server.clientKey()).isNotNull();
    }

    /**
     * Channel binding (tls-server-end-point): a client that binds to the same certificate hash logs
     * in with SCRAM-SHA-256-PLUS; one whose TLS connection ends elsewhere (another hash: a man in
     * the middle) is refused, as are a downgrade (flag y while binding was offered), binding with
     * the plain mechanism, the PLUS mechanism without binding, and another binding type.
     */
    @Test
    void channelBindingTiesTheProofToTheTlsConnection() throws Exception {
        ScramVerifier v = ScramVerifier.fromPassword("s3cret", b("0123456789abcdef"), 4096);
        byte[] cert = new byte[32];
        java.util.Arrays.fill(cert, (byte) 7);
        ScramClient client = ScramClient.withPassword("s3cret").bind(cert, true);
        assertThat(client.mechanism()).isEqualTo(ScramServer.MECHANISM_PLUS);
        ScramServer server = new ScramServer(v).bind(client.mechanism(), cert);
        client.serverFinal(server.clientFinal(client.clientFinal(server.clientFirst(client.clientFirst()))));
        assertThat(server.channelBound()).isTrue();

        byte[] other = cert.clone();
        other[0] = 8;
        ScramClient elsewhere = ScramClient.withPassword("s3cret").bind(other, true);
        ScramServer s2 = new ScramServer(v).bind(elsewhere.mechanism(), cert);
        byte[] fin = elsewhere.clientFinal(s2.clientFirst(elsewhere.clientFirst()));
        assertThatThrownBy(() -> s2.clientFinal(fin))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("does not match this TLS connection"));

        ScramClient notOffered = ScramClient.withPassword("s3cret").bind(cert, false);
        assertThat(notOffered.mechanism()).isEqualTo(ScramServer.MECHANISM);
        assertThatThrownBy(() ->
                        new ScramServer(v).bind(ScramServer.MECHANISM, cert).clientFirst(notOffered.clientFirst()))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("a downgrade"));
        assertThat(new ScramServer(v)
                        .clientFirst(ScramClient.withPassword("s3cret")
                                .bind(cert, false)
                                .clientFirst()))
                .as("flag y where nothing was offered (no TLS) is fine")
                .isNotEmpty();
        assertThatThrownBy(() -> new ScramServer(v)
                        .bind(ScramServer.MECHANISM, cert)
                        .clientFirst(b("p=tls-server-end-point,,n=,r=abc")))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("choose SCRAM-SHA-256-PLUS"));
        assertThatThrownBy(() -> new ScramServer(v)
                        .bind(ScramServer.MECHANISM_PLUS, cert)
                        .clientFirst(b("n,,n=,r=abc")))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("without channel binding"));
        assertThatThrownBy(() -> new ScramServer(v)
                        .bind(ScramServer.MECHANISM_PLUS, cert)
                        .clientFirst(b("p=tls-unique,,n=,r=abc")))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("tls-server-end-point only"));
    }

    @Test
    void aWrongPasswordFailsWithoutSayingWhy() throws Exception {
        ScramVerifier v = ScramVerifier.fromPassword("s3cret", b("0123456789abcdef"), 4096);
        ScramClient client = ScramClient.withPassword("wrong");
        ScramServer server = new ScramServer(v);
        byte[] fin = client.clientFinal(server.clientFirst(client.clientFirst()));
        assertThatThrownBy(() -> server.clientFinal(fin)).isInstanceOfSatisfying(AuthFailure.class, e -> {
            assertThat(e.getMessage()).isEqualTo("password authentication failed");
            assertThat(e.detail()).contains("wrong password");
        });
        assertThat(server.clientKey()).isNull();
    }

    /** An unknown user gets a salt like anyone else's, the same one each time, and then fails. */
    @Test
    void anUnknownUserLooksLikeAWrongPassword() throws Exception {
        byte[] secret = b("router-secret");
        ScramServer a = ScramServer.mock("nobody", secret);
        ScramServer a2 = ScramServer.mock("nobody", secret);
        ScramClient client = ScramClient.withPassword("anything");
        String first = s(a.clientFirst(client.clientFirst()));
        assertThat(first).contains(",s=", ",i=4096");
        String salt = first.substring(first.indexOf(",s=") + 3, first.indexOf(",i="));
        assertThat(s(a2.clientFirst(ScramClient.withPassword("x").clientFirst())))
                .contains(",s=" + salt + ",");
        byte[] fin = client.clientFinal(b(first));
        assertThatThrownBy(() -> a.clientFinal(fin)).isInstanceOf(AuthFailure.class);
    }

    /**
     * Pass-through: the router checks the client against the verifier, then logs in to a server that
     * has the same verifier with the recovered ClientKey alone; a server whose verifier differs is
     * refused before any proof is sent.
     */
    @Test
    void theRecoveredClientKeyLogsInWhereTheVerifierIsTheSame() throws Exception {
        ScramVerifier v = ScramVerifier.fromPassword("s3cret", b("0123456789abcdef"), 4096);
        ScramClient app = ScramClient.withPassword("s3cret");
        ScramServer router = new ScramServer(v);
        app.serverFinal(router.clientFinal(app.clientFinal(router.clientFirst(app.clientFirst()))));

        ScramServer postgres = new ScramServer(ScramVerifier.parse(v.encode()));
        ScramClient asApp = ScramClient.withClientKey(router.clientKey(), v);
        asApp.serverFinal(postgres.clientFinal(asApp.clientFinal(postgres.clientFirst(asApp.clientFirst()))));
        assertThat(postgres.clientKey()).isEqualTo(router.clientKey());

        ScramServer other = new ScramServer(ScramVerifier.fromPassword("s3cret", b("another salt"), 4096));
        ScramClient again = ScramClient.withClientKey(router.clientKey(), v);
        byte[] first = other.clientFirst(again.clientFirst());
        assertThatThrownBy(() -> again.clientFinal(first))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("differ"));
        assertThatThrownBy(() -> ScramClient.withClientKey(new byte[32], v)).hasMessageContaining("does not belong");
    }

    @Test
    void aServerThatDoesNotKnowTheVerifierIsCaught() throws Exception {
        ScramClient client = ScramClient.withPassword("s3cret");
        ScramServer server = new ScramServer(ScramVerifier.fromPassword("s3cret", b("0123456789abcdef"), 4096));
        client.clientFinal(server.clientFirst(client.clientFirst()));
        assertThatThrownBy(() -> client.serverFinal(b("v=" + Base64.getEncoder().encodeToString(new byte[32]))))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("signature"));
        assertThatThrownBy(() -> client.serverFinal(b("e=invalid-proof")))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("invalid-proof"));
    }

    @Test
    void malformedClientMessagesAreRefusedWithTheirReason() throws Exception {
        ScramVerifier v = ScramVerifier.fromPassword("pw", b("salt"), 4096);
        assertRefused(v, "p=tls-server-end-point,,n=,r=abc", "channel binding, which is offered only over TLS");
        assertRefused(v, "n,a=admin,n=,r=abc", "authorization identities");
        assertRefused(v, "n,,m=ext,n=,r=abc", "mandatory extensions");
        assertRefused(v, "x,,n=,r=abc", "channel binding flag");
        assertRefused(v, "n,,n=,r=", "no nonce");
        assertRefused(v, "n,,n=,r=a b", "nonce has characters");
        assertRefused(v, "n,,r=abc,x=1", "no user name");
        assertRefused(v, "n,,r=abc", "malformed client-first-message");
        assertRefused(v, "garbage", "no gs2 header");
        ScramServer server = new ScramServer(v);
        server.clientFirst(b("n,,n=,r=abc"));
        assertThatThrownBy(() -> server.clientFinal(
                        b("c=biws,r=abcWRONG,p=" + Base64.getEncoder().encodeToString(new byte[32]))))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("nonce does not match"));
        assertThatThrownBy(() -> server.clientFinal(b("c=biws,r=abc,p=AAAA")))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("out of order"));
        ScramServer s2 = new ScramServer(v);
        String nonce = s(s2.clientFirst(b("n,,n=,r=abc"))).split(",")[0].substring(2);
        assertThatThrownBy(() -> s2.clientFinal(
                        b("c=eSws,r=" + nonce + ",p=" + Base64.getEncoder().encodeToString(new byte[32]))))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains("channel binding attribute"));
    }

    private static void assertRefused(ScramVerifier v, String clientFirst, String detail) {
        assertThatThrownBy(() -> new ScramServer(v).clientFirst(b(clientFirst)))
                .isInstanceOfSatisfying(
                        AuthFailure.class, e -> assertThat(e.detail()).contains(detail));
    }

    @Test
    void verifiersParseAndEncodeAsPostgresWritesThem() {
        String pg = "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
                + "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
        ScramVerifier v = ScramVerifier.parse(pg);
        assertThat(v.encode()).isEqualTo(pg);
        assertThat(v)
                .isEqualTo(ScramVerifier.fromPassword(
                        "pencil", Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096));
        assertThat(v.toString()).doesNotContain("WG5d8").isEqualTo("ScramVerifier[4096 iterations]");
        assertThatThrownBy(() -> ScramVerifier.parse("md5abc")).hasMessageContaining("not a SCRAM-SHA-256 verifier");
        assertThatThrownBy(() -> ScramVerifier.parse("SCRAM-SHA-256$x:c2FsdA==$a:b"))
                .hasMessageContaining("iteration count");
        assertThatThrownBy(() -> ScramVerifier.parse("SCRAM-SHA-256$4096:c2FsdA==$a"))
                .hasMessageContaining("expected");
        assertThatThrownBy(() -> ScramVerifier.parse("SCRAM-SHA-256$4096:c2FsdA==$!!:!!"))
                .hasMessageContaining("bad base64")
                .hasMessageNotContaining("!!");
        assertThatThrownBy(() -> ScramVerifier.parse("SCRAM-SHA-256$4096:c2FsdA==$c2FsdA==:c2FsdA=="))
                .hasMessageContaining("32 bytes");
    }

    /** RFC 4013 section 3's examples, and a prohibited character that leaves the password as it is. */
    @Test
    void saslPrepAsPostgresAppliesIt() {
        assertThat(SaslPrep.prepare("plain ascii")).isEqualTo("plain ascii");
        assertThat(SaslPrep.prepare("I\u00ADX")).isEqualTo("IX");
        assertThat(SaslPrep.prepare("\u00AA")).isEqualTo("a");
        assertThat(SaslPrep.prepare("\u2168")).isEqualTo("IX");
        assertThat(SaslPrep.prepare("a\u00A0b\u00e9")).isEqualTo("a b\u00e9");
        assertThat(SaslPrep.prepare("\u00e9\u0007")).isEqualTo("\u00e9\u0007");
    }

    @Test
    void md5AsPostgresComputesIt() {
        assertThat(Md5Password.hash("postgres", "secret")).isEqualTo("md553f48b7c4b76a86ce72276c5755f217d");
        assertThat(Md5Password.response("md553f48b7c4b76a86ce72276c5755f217d", new byte[] {1, 2, 3, 4}))
                .isEqualTo("md5bb41a296aab6baccb36ff243a562abff");
        assertThat(Md5Password.matches(
                        "md553f48b7c4b76a86ce72276c5755f217d",
                        new byte[] {1, 2, 3, 4},
                        "md5bb41a296aab6baccb36ff243a562abff"))
                .isTrue();
        assertThat(Md5Password.matches(
                        "md553f48b7c4b76a86ce72276c5755f217d",
                        new byte[] {1, 2, 3, 5},
                        "md5bb41a296aab6baccb36ff243a562abff"))
                .isFalse();
        assertThat(Md5Password.looksLikeOne("md553f48b7c4b76a86ce72276c5755f217d"))
                .isTrue();
        assertThat(Md5Password.looksLikeOne("SCRAM-SHA-256$...")).isFalse();
    }

    /** The server side reads untrusted bytes: only AuthFailure comes out, whatever they are. */
    @FuzzTest(maxDuration = "30s")
    void serverMessagesFromAnyBytes(FuzzedDataProvider in) {
        ScramServer server = new ScramServer(ScramVerifier.fromPassword("pw", b("salt"), 4096));
        try {
            server.clientFirst(in.consumeBytes(in.consumeInt(0, 200)));
            server.clientFinal(in.consumeRemainingAsBytes());
        } catch (AuthFailure expected) {
            assertThat(expected.detail()).isNotBlank();
        }
        assertThat(server.clientKey()).isNull();
    }

    /** The client side reads the server's bytes: only AuthFailure comes out. */
    @FuzzTest(maxDuration = "30s")
    void clientMessagesFromAnyBytes(FuzzedDataProvider in) {
        ScramClient client = ScramClient.withPassword("pw");
        client.clientFirst();
        try {
            client.clientFinal(in.consumeBytes(in.consumeInt(0, 200)));
            client.serverFinal(in.consumeRemainingAsBytes());
        } catch (AuthFailure expected) {
            assertThat(expected.detail()).isNotBlank();
        }
    }
}
