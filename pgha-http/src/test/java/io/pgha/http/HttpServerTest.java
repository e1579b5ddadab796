package io.pgha.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.ApiListener;
import io.pgha.core.config.Cidr;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared HTTP server against real sockets on 127.0.0.1: timeouts, allowlist, TLS, limits. */
class HttpServerTest {
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(2);
    private final List<AutoCloseable> open = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    /** Answers every path with 200 and the path; "/boom" fails, "/busy" is rejected, "/cert" tells whether a client certificate came. */
    private static CompletableFuture<Response> echo(Request r) {
        return switch (r.path()) {
            case "/boom" -> throw new IllegalStateException("boom");
            case "/busy" -> CompletableFuture.failedFuture(new RejectedExecutionException("full"));
            case "/cert" ->
                CompletableFuture.completedFuture(
                        Response.text(200, "text/plain", String.valueOf(r.clientCertificate())));
            default ->
                CompletableFuture.completedFuture(
                        Response.text(200, "text/plain", r.method() + " " + r.path() + " " + r.body().length));
        };
    }

    private HttpServer start(ApiListener l, int maxBody) throws IOException {
        HttpServer s = HttpServer.start("test-api", "127.0.0.1", 0, l, maxBody, HttpServerTest::echo);
        open.add(s);
        return s;
    }

    private static ApiListener listener(long timeoutMs, String... allow) {
        List<Cidr> nets = new ArrayList<>();
        for (String a : allow) nets.add(Cidr.parse("allowlist", a));
        return new ApiListener(null, null, null, ApiListener.VerifyClient.NONE, nets, timeoutMs);
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(CLIENT_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpClient plain() {
        return HttpClient.newBuilder().connectTimeout(CLIENT_TIMEOUT).build();
    }

    private Socket halfRequest(int port) throws IOException {
        Socket s = new Socket();
        open.add(s);
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        s.getOutputStream().write("GET /primary HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }

    /** Reads until the server closes the connection; a timeout fails the test. */
    private static void assertClosedByServer(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        while (in.read() >= 0) {
            // drain whatever came (nothing, or a response)
        }
    }

    @Test
    void sixteenHalfSentRequestsDoNotStopTheServerAndAreClosedAfterTheTimeout() throws Exception {
        HttpServer server = start(listener(1_000), 1024);
        List<Socket> stalled = new ArrayList<>();
        for (int i = 0; i < 16; i++) stalled.add(halfRequest(server.port()));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.openConnections() == 16);

        HttpResponse<String> r = get(plain(), "http://127.0.0.1:" + server.port() + "/primary");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("GET /primary 0");

        for (Socket s : stalled) assertClosedByServer(s);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.openConnections() == 0);
    }

    @Test
    void anIdleKeptAliveConnectionIsClosedAfterTheTimeoutToo() throws Exception {
        HttpServer server = start(listener(500), 1024);
        Socket s = halfRequest(server.port());
        s.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
        s.setSoTimeout(5_000);
        String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
        assertThat(head).isEqualTo("HTTP/1.1 200");
        assertClosedByServer(s);
    }

    /**
     * The first byte answered to a whole request, or -1 when the server closed the connection instead
     * (it may do so before the request is even sent: then writing or reading fails with a reset).
     */
    private static int answerToAWholeRequest(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write("GET /primary HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return s.getInputStream().read();
        } catch (java.net.SocketException closed) {
            return -1;
        }
    }

    @Test
    void aClientOutsideTheAllowlistIsDisconnectedUnanswered() throws Exception {
        HttpServer refusing = start(listener(5_000, "10.0.0.0/8", "fd00::/8"), 1024);
        assertThat(answerToAWholeRequest(refusing.port()))
                .as("closed without an answer")
                .isEqualTo(-1);
        assertThatThrownBy(() -> get(plain(), "http://127.0.0.1:" + refusing.port() + "/primary"))
                .isInstanceOf(IOException.class);

        HttpServer admitting = start(listener(5_000, "10.0.0.0/8", "127.0.0.0/8"), 1024);
        assertThat(get(plain(), "http://127.0.0.1:" + admitting.port() + "/primary")
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void servesHttpsWithTheConfiguredCertificate() throws Exception {
        Path[] ck = TestCertificates.make(dir, "node", "IP:127.0.0.1");
        ApiListener l = new ApiListener(
                ck[0].toString(), ck[1].toString(), ck[0].toString(), ApiListener.VerifyClient.NONE, List.of(), 5_000);
        HttpServer server = start(l, 1024);
        HttpClient https = HttpClient.newBuilder()
                .sslContext(Tls.client(l))
                .connectTimeout(CLIENT_TIMEOUT)
                .build();

        HttpResponse<String> r = get(https, "https://127.0.0.1:" + server.port() + "/cert");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).as("no client certificate was asked for").isEqualTo("false");
        assertThatThrownBy(() -> get(plain(), "http://127.0.0.1:" + server.port() + "/primary"))
                .as("plain HTTP to a TLS port")
                .isInstanceOf(IOException.class);
    }

    @Test
    void aPlainHttpMemberVerifiesHttpsPeersAgainstTheSystemTrustStoreReadAtFirstUse() throws Exception {
        Path[] ck = TestCertificates.make(dir, "node", "IP:127.0.0.1");
        HttpServer server = httpsWithoutCa(ck);
        String url = "https://127.0.0.1:" + server.port() + "/primary";
        HttpClient systemTrust = HttpClient.newBuilder()
                .sslContext(Tls.systemTrustOnFirstUse())
                .connectTimeout(CLIENT_TIMEOUT)
                .build();
        assertThatThrownBy(() -> get(systemTrust, url))
                .as("a certificate from a CA the system does not trust")
                .isInstanceOf(IOException.class);

        // The system's store is read when the first https peer is checked, not when the client is
        // built: a store named after the client was made is the one used.
        HttpClient builtBefore = HttpClient.newBuilder()
                .sslContext(Tls.systemTrustOnFirstUse())
                .connectTimeout(CLIENT_TIMEOUT)
                .build();
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (var in = Files.newInputStream(ck[0])) {
            ks.setCertificateEntry(
                    "node",
                    java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        Path store = dir.resolve("trust.p12");
        try (var out = Files.newOutputStream(store)) {
            ks.store(out, "changeit".toCharArray());
        }
        String oldStore = System.getProperty("javax.net.ssl.trustStore");
        String oldPassword = System.getProperty("javax.net.ssl.trustStorePassword");
        try {
            System.setProperty("javax.net.ssl.trustStore", store.toString());
            System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
            assertThat(get(builtBefore, url).statusCode()).isEqualTo(200);
        } finally {
            restore("javax.net.ssl.trustStore", oldStore);
            restore("javax.net.ssl.trustStorePassword", oldPassword);
        }
    }

    @Test
    void theJvmsDefaultContextStillVerifiesWhenItReadsTheTrustStoreLate() throws Exception {
        HttpServer server = httpsWithoutCa(TestCertificates.make(dir, "node", "IP:127.0.0.1"));
        SSLContext before = SSLContext.getDefault();
        try {
            Tls.defaultTrustOnFirstUse();
            assertThat(SSLContext.getDefault()).isNotSameAs(before);
            assertThat(SSLContext.getDefault().getSupportedSSLParameters().getProtocols())
                    .as("what ZooKeeper asks the default for")
                    .contains("TLSv1.3", "TLSv1.2");
            HttpClient byDefault =
                    HttpClient.newBuilder().connectTimeout(CLIENT_TIMEOUT).build();
            assertThatThrownBy(() -> get(byDefault, "https://127.0.0.1:" + server.port() + "/primary"))
                    .as("a certificate from a CA the system does not trust")
                    .isInstanceOf(IOException.class);
        } finally {
            SSLContext.setDefault(before);
        }
    }

    /** A TLS server with the certificate and key {@code ck}, no CA of its own, no client certificates. */
    private HttpServer httpsWithoutCa(Path[] ck) throws IOException {
        return start(
                new ApiListener(
                        ck[0].toString(), ck[1].toString(), null, ApiListener.VerifyClient.NONE, List.of(), 5_000),
                1024);
    }

    private static void restore(String property, String value) {
        if (value == null) System.clearProperty(property);
        else System.setProperty(property, value);
    }

    @Test
    void peerCallsVerifyTheServersNameAndCertificate() throws Exception {
        Path[] elsewhere = TestCertificates.make(dir, "elsewhere", "DNS:elsewhere.invalid");
        ApiListener served = new ApiListener(
                elsewhere[0].toString(),
                elsewhere[1].toString(),
                null,
                ApiListener.VerifyClient.NONE,
                List.of(),
                5_000);
        HttpServer server = start(served, 1024);
        String url = "https://127.0.0.1:" + server.port() + "/primary";

        HttpClient trustingItsCa = HttpClient.newBuilder()
                .sslContext(Tls.client(new ApiListener(
                        elsewhere[0].toString(),
                        elsewhere[1].toString(),
                        elsewhere[0].toString(),
                        ApiListener.VerifyClient.NONE,
                        List.of(),
                        5_000)))
                .build();
        assertThatThrownBy(() -> get(trustingItsCa, url))
                .as("certificate for another name")
                .isInstanceOf(IOException.class);
        HttpClient systemTrust =
                HttpClient.newBuilder().sslContext(SSLContext.getDefault()).build();
        assertThatThrownBy(() -> get(systemTrust, url))
                .as("certificate from an unknown CA")
                .isInstanceOf(IOException.class);
    }

    @Test
    void requiredClientCertificatesAreCheckedAgainstTheCa() throws Exception {
        Path[] ck = TestCertificates.make(dir, "member", "IP:127.0.0.1");
        ApiListener l = new ApiListener(
                ck[0].toString(),
                ck[1].toString(),
                ck[0].toString(),
                ApiListener.VerifyClient.REQUIRED,
                List.of(),
                5_000);
        HttpServer server = start(l, 1024);
        String url = "https://127.0.0.1:" + server.port() + "/cert";

        HttpClient withCert = HttpClient.newBuilder()
                .sslContext(Tls.client(l))
                .connectTimeout(CLIENT_TIMEOUT)
                .build();
        HttpResponse<String> r = get(withCert, url);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("true");

        ApiListener noClientCert = new ApiListener(
                ck[0].toString(), ck[1].toString(), ck[0].toString(), ApiListener.VerifyClient.NONE, List.of(), 5_000);
        HttpClient without = HttpClient.newBuilder()
                .sslContext(Tls.client(noClientCert))
                .connectTimeout(CLIENT_TIMEOUT)
                .build();
        assertThatThrownBy(() -> get(without, url)).isInstanceOf(IOException.class);
    }

    @Test
    void refusesBodiesOverTheLimitAndAnswersThoseWithin() throws Exception {
        HttpServer server = start(listener(5_000), 1024);
        String url = "http://127.0.0.1:" + server.port() + "/switchover";
        HttpResponse<String> big = plain().send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(CLIENT_TIMEOUT)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[4096]))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(big.statusCode()).isEqualTo(413);
        HttpResponse<String> small = plain().send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(CLIENT_TIMEOUT)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1000]))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(small.statusCode()).isEqualTo(200);
        assertThat(small.body()).isEqualTo("POST /switchover 1000");
    }

    @Test
    void refusesHugeHeadersAndAnswersHandlerFailuresWithoutDying() throws Exception {
        HttpServer server = start(listener(5_000), 1024);
        String base = "http://127.0.0.1:" + server.port();
        HttpResponse<String> huge = plain().send(
                        HttpRequest.newBuilder(URI.create(base + "/x"))
                                .timeout(CLIENT_TIMEOUT)
                                .header("X-Big", "y".repeat(10_000))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(huge.statusCode()).isEqualTo(431);
        HttpResponse<String> boom = get(plain(), base + "/boom");
        assertThat(boom.statusCode()).isEqualTo(500);
        assertThat(boom.body()).contains("internal error");
        assertThat(get(plain(), base + "/busy").statusCode()).isEqualTo(503);
        assertThat(get(plain(), base + "/primary").statusCode()).isEqualTo(200);
    }

    @Test
    void headAnswersWithoutABodyAndQueriesAreDecoded() throws Exception {
        HttpServer server = HttpServer.start(
                "test-api",
                "127.0.0.1",
                0,
                listener(5_000),
                1024,
                r -> CompletableFuture.completedFuture(Response.text(
                        200, "text/plain", r.param("lag") + "|" + r.query().get("tag_a"))));
        open.add(server);
        String url = "http://127.0.0.1:" + server.port() + "/replica?lag=1%20MB&tag_a=x&tag_a=y";
        assertThat(get(plain(), url).body()).isEqualTo("1 MB|[x, y]");
        HttpResponse<String> head = plain().send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(CLIENT_TIMEOUT)
                                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void anAddressInUseIsAClearError() throws Exception {
        HttpServer first = start(listener(5_000), 1024);
        assertThatThrownBy(() -> HttpServer.start(
                        "second", "127.0.0.1", first.port(), listener(5_000), 1024, HttpServerTest::echo))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot listen on 127.0.0.1:" + first.port());
    }

    @Test
    void basicAuthMatchesOnlyTheExactCredentials() {
        var c = new io.pgha.core.config.Credentials("admin", "s3cret");
        assertThat(BasicAuth.matches(BasicAuth.header(c), c)).isTrue();
        assertThat(BasicAuth.matches("basic " + BasicAuth.header(c).substring(6), c))
                .isTrue();
        assertThat(BasicAuth.matches(BasicAuth.header(new io.pgha.core.config.Credentials("admin", "s3cre")), c))
                .isFalse();
        assertThat(BasicAuth.matches(BasicAuth.header(new io.pgha.core.config.Credentials("admin", "s3cret2")), c))
                .isFalse();
        assertThat(BasicAuth.matches("Bearer abc", c)).isFalse();
        assertThat(BasicAuth.matches("Basic !!!", c)).isFalse();
        assertThat(BasicAuth.matches(null, c)).isFalse();
        assertThat(BasicAuth.matches(BasicAuth.header(c), null)).isFalse();
    }

    @Test
    void errorBodiesAreJson() {
        assertThat(new String(Response.error(400, "bad \"x\"\n").body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"bad \\\"x\\\"\\n\"}");
    }
}
