package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.Credentials;
import io.pgha.http.BasicAuth;
import io.pgha.http.Request;
import io.pgha.http.Response;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.InMemoryDcs;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dashboard's static files as the REST API serves them, without a browser: which paths exist,
 * credentials, security headers, and that no path leads anywhere else.
 */
class DashboardTest {
    private static final Credentials ADMIN = new Credentials("admin", "s3cret");
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<AutoCloseable> open = new ArrayList<>();
    private int port;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    private RestApi start(boolean auth) throws Exception {
        port = FreePorts.one();
        FakeView v = FakeView.of()
                .with(
                        auth
                                ? Map.of(
                                        "restapi.listen",
                                        "127.0.0.1",
                                        "restapi.port",
                                        port,
                                        "restapi.authentication.username",
                                        ADMIN.username(),
                                        "restapi.authentication.password",
                                        ADMIN.password())
                                : Map.of("restapi.listen", "127.0.0.1", "restapi.port", port))
                .primary()
                .lease();
        RestApi api = new RestApi(
                v, new ClusterControl(new InMemoryDcs.Store().load(v.cluster()).connect(), () -> 0L));
        open.add(api);
        api.start();
        return api;
    }

    private HttpResponse<String> get(String path, Credentials auth, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(2))
                .GET();
        if (auth != null) b.header("Authorization", BasicAuth.header(auth));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withCredentialsConfiguredThePageAsksForThemAndServesEveryFileWithThem() throws Exception {
        start(true);
        for (String path : Dashboard.PATHS.keySet()) {
            HttpResponse<String> without = get(path, null);
            assertThat(without.statusCode()).as(path).isEqualTo(401);
            assertThat(without.headers().firstValue("WWW-Authenticate"))
                    .as("a browser asks for the API's credentials")
                    .hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm=\"pgha\""));
            assertThat(without.body()).doesNotContain("<script");
            assertThat(get(path, new Credentials("admin", "wrong")).statusCode())
                    .as(path)
                    .isEqualTo(401);
            HttpResponse<String> with = get(path, ADMIN);
            assertThat(with.statusCode()).as(path).isEqualTo(200);
            assertThat(with.body()).isNotEmpty();
        }
        assertThat(get("/ui/", ADMIN).headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
        assertThat(get("/ui/app.js", ADMIN).headers().firstValue("Content-Type"))
                .contains("text/javascript; charset=utf-8");
        assertThat(get("/ui/app.css", ADMIN).headers().firstValue("Content-Type"))
                .contains("text/css; charset=utf-8");
        assertThat(get("/ui/favicon.svg", ADMIN).headers().firstValue("Content-Type"))
                .contains("image/svg+xml");
        assertThat(get("/ui", ADMIN).body())
                .isEqualTo(get("/ui/index.html", ADMIN).body());
    }

    @Test
    void withoutCredentialsConfiguredThePageIsReadableLikeTheOtherGetPaths() throws Exception {
        start(false);
        HttpResponse<String> page = get("/ui/", null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"/ui/app.js\"");
        assertThat(get("/ui/app.js", null).statusCode()).isEqualTo(200);
    }

    @Test
    void everyAnswerCarriesTheSecurityHeaders() throws Exception {
        start(true);
        for (HttpResponse<String> r : List.of(get("/ui/", ADMIN), get("/ui/", null), get("/ui/nope", ADMIN))) {
            assertThat(r.headers().firstValue("Content-Security-Policy"))
                    .as("status " + r.statusCode())
                    .hasValueSatisfying(csp -> assertThat(csp)
                            .contains("default-src 'self'", "frame-ancestors 'none'", "object-src 'none'")
                            .doesNotContain("unsafe-inline", "unsafe-eval"));
            assertThat(r.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
            assertThat(r.headers().firstValue("X-Frame-Options")).contains("DENY");
            assertThat(r.headers().firstValue("Cache-Control")).contains("no-cache");
            assertThat(r.headers().firstValue("Referrer-Policy")).contains("no-referrer");
        }
    }

    @Test
    void anUnchangedFileIsRevalidatedWith304() throws Exception {
        start(true);
        HttpResponse<String> first = get("/ui/app.js", ADMIN);
        String etag = first.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = get("/ui/app.js", ADMIN, "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(get("/ui/app.js", ADMIN, "If-None-Match", "\"other\"").statusCode())
                .isEqualTo(200);
        assertThat(get("/ui/app.js", null, "If-None-Match", etag).statusCode())
                .as("credentials come first")
                .isEqualTo(401);
    }

    /** Paths as the server hands them to the API, that is decoded: none reaches anything but the fixed files. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "/ui/../cluster",
                "/ui/../../etc/passwd",
                "/ui/./app.js",
                "/ui//app.js",
                "/ui/app.js/",
                "/ui/APP.JS",
                "/ui/app.js\u0000.css",
                "/ui/io/pgha/agent/RestApi.class",
                "/ui/../RestApi.class",
                "/ui/..\\RestApi.class",
                "/ui/ui/index.html",
                "/ui/index.html/..",
                "/uix",
                "/ui/%2e%2e/cluster"
            })
    void noOtherPathIsServed(String path) throws Exception {
        RestApi api = start(true);
        Response r = api.handle(new Request(
                        "GET",
                        path,
                        Map.of(),
                        Map.of("authorization", BasicAuth.header(ADMIN)),
                        new byte[0],
                        new InetSocketAddress("127.0.0.1", 1),
                        false))
                .toCompletableFuture()
                .get();
        assertThat(r.status()).as(path).isEqualTo(404);
    }

    @Test
    void encodedDotsOnTheWireAreRefusedToo() throws Exception {
        start(true);
        for (String target : List.of("/ui/%2e%2e/cluster", "/ui/..%2fpom.xml", "/ui/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd")) {
            String answer = raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                    + BasicAuth.header(ADMIN) + "\r\nConnection: close\r\n\r\n");
            assertThat(answer).as(target).startsWith("HTTP/1.1 404");
        }
    }

    @Test
    void thePageNeedsNothingFromAnotherOrigin() throws Exception {
        start(false);
        Pattern url = Pattern.compile("(?i)(https?:)?//[a-z0-9.-]+");
        for (String path : List.of("/ui/", "/ui/app.js", "/ui/app.css")) {
            String body = get(path, null).body();
            Matcher m = url.matcher(body);
            while (m.find()) {
                assertThat(m.group()).as(path + " refers to another origin").isIn("http://www.w3.org", "//www.w3.org");
            }
            assertThat(body).doesNotContain("innerHTML", "eval(", "document.write");
        }
        String page = get("/ui/", null).body();
        assertThat(page).contains("id=\"leader\"", "id=\"switchover\"", "id=\"confirm\"");
        assertThat(page).as("no inline script or style (the CSP forbids them)").doesNotContain("<script>", "style=");
    }

    private String raw(String request) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }
}
