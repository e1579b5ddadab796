package io.pgha.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.config.ApiListener;
import io.pgha.core.config.Cidr;
import io.pgha.core.config.RouterConfig;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.StubDcs;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The router's HTTP API on the shared server: its two paths, read-only, and the allowlist of router.api. */
class RouterApiTest {
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Router router;
    private RouterApi api;

    @AfterEach
    void stop() {
        if (api != null) api.close();
        if (router != null) router.close();
    }

    private void start(List<String> allow) throws Exception {
        List<Cidr> nets =
                allow.stream().map(a -> Cidr.parse("router.api.allowlist", a)).toList();
        int port = FreePorts.one();
        RouterConfig cfg = new RouterConfig(
                "r1",
                "127.0.0.1",
                0,
                0,
                1024,
                false,
                800,
                500,
                4096,
                null,
                null,
                "127.0.0.1",
                port,
                new ApiListener(null, null, null, ApiListener.VerifyClient.NONE, nets, 2_000));
        router = new Router("test", cfg, new StubDcs()).start();
        api = new RouterApi(router, "127.0.0.1", port);
    }

    private HttpResponse<String> call(String method, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                        .timeout(Duration.ofSeconds(2))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesRouterStateAndMetricsAndChangesNothing() throws Exception {
        start(List.of());
        HttpResponse<String> state = call("GET", "/router");
        assertThat(state.statusCode()).isEqualTo(200);
        assertThat(state.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(state.body()).contains("\"name\" : \"r1\"");
        HttpResponse<String> metrics = call("GET", "/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("pgha_router_sessions_waiting");
        assertThat(call("POST", "/router").statusCode()).isEqualTo(405);
        assertThat(call("GET", "/nope").statusCode()).isEqualTo(404);
    }

    @Test
    void refusesClientsOutsideTheAllowlist() throws Exception {
        start(List.of("10.0.0.0/8"));
        assertThatThrownBy(() -> call("GET", "/metrics")).isInstanceOf(IOException.class);
    }
}
