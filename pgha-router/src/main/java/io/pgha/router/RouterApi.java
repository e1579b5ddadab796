package io.pgha.router;

import io.pgha.dcs.Json;
import io.pgha.http.HttpServer;
import io.pgha.http.Request;
import io.pgha.http.Response;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The router's read-only HTTP API: {@code GET /metrics} (Prometheus text format) and {@code GET
 * /router} (JSON: listeners, the leader it follows, sessions per backend, and one row per client
 * connection, like pgbouncer's SHOW CLIENTS). Nothing here changes anything, so nothing needs
 * authentication; the session list names users and databases but holds no secrets. TLS, the client
 * allowlist and the request timeout come from {@code router.api} ({@link
 * io.pgha.core.config.RouterConfig#apiListener()}). Every answer is computed on the server's event
 * loop from the router's in-memory state.
 */
public final class RouterApi implements AutoCloseable {
    private static final int MAX_BODY = 4096;
    private final Router router;
    private final HttpServer server;

    public RouterApi(Router router, String listen, int port) throws IOException {
        this.router = router;
        this.server =
                HttpServer.start("router-api", listen, port, router.config().apiListener(), MAX_BODY, this::handle);
    }

    public int port() {
        return server.port();
    }

    private CompletionStage<Response> handle(Request r) {
        return CompletableFuture.completedFuture(answer(r));
    }

    private Response answer(Request r) {
        if (!r.method().equals("GET") && !r.method().equals("HEAD"))
            return Response.error(405, "only GET is served here");
        return switch (r.path()) {
            case "/metrics" ->
                Response.text(
                        200,
                        "text/plain; version=0.0.4; charset=utf-8",
                        router.metrics().scrape());
            case "/router" ->
                Response.json(200, Json.pretty(describe(router)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            default -> Response.error(404, "unknown path; try /router or /metrics");
        };
    }

    /** The router's state as JSON-ready maps. */
    public static Map<String, Object> describe(Router router) {
        Map<String, Object> m = new LinkedHashMap<>();
        var st = router.status();
        m.put("name", st.name());
        m.put("read_write", st.readWrite());
        m.put("read_only", st.readOnly());
        m.put("leader", router.view().leader());
        m.put("sessions_per_backend", st.sessions());
        m.put("waiting", st.waiting());
        m.put("routed", st.routed());
        m.put("sessions", router.sessions());
        return m;
    }

    @Override
    public void close() {
        server.close();
    }
}
