package io.pgha.router;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pgha.dcs.Json;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The router's read-only HTTP API: {@code GET /metrics} (Prometheus text format) and {@code GET
 * /router} (JSON: listeners, the leader it follows, sessions per backend, and one row per client
 * connection, like pgbouncer's SHOW CLIENTS). Nothing here changes anything, so nothing needs
 * authentication; the session list names users and databases but holds no secrets.
 */
public final class RouterApi implements AutoCloseable {
  private final Router router;
  private final HttpServer server;

  public RouterApi(Router router, String listen, int port) throws IOException {
    this.router = router;
    this.server = HttpServer.create(new InetSocketAddress(listen, port), 16);
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "router-api");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET")) {
        send(ex, 405, "application/json", "{\"error\":\"only GET is served here\"}");
        return;
      }
      switch (ex.getRequestURI().getPath()) {
        case "/metrics" -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", router.metrics().scrape());
        case "/router" -> send(ex, 200, "application/json", Json.pretty(describe(router)));
        default -> send(ex, 404, "application/json", "{\"error\":\"unknown path; try /router or /metrics\"}");
      }
    }
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

  private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, b.length);
    ex.getResponseBody().write(b);
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
