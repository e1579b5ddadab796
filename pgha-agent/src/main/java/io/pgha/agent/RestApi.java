package io.pgha.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.pgha.core.config.Credentials;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.decide.LocalState;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Member;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's REST API, with Patroni's health paths so that existing HAProxy checks work unchanged.
 *
 * <p>GET: {@code /primary} (200 only on the running primary holding the lease), {@code /replica}
 * ({@code ?lag=BYTES}), {@code /read-only}, {@code /health}, {@code /liveness}, {@code /readiness},
 * {@code /status}, {@code /cluster}, {@code /history}, {@code /config}. PATCH {@code /config} and POST (HTTP basic authentication as configured
 * under {@code restapi.authentication}; 401 and no change without it): {@code /switchover}, {@code
 * /failover}, {@code /restart}, {@code /reinitialize}, {@code /pause}, {@code /resume}.
 */
final class RestApi implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);
  private static final int MAX_BODY = 64 * 1024;

  private final Agent agent;
  private final ClusterControl control;
  private final HttpServer server;

  RestApi(Agent agent, ClusterControl control) throws IOException {
    this.agent = agent;
    this.control = control;
    var api = agent.config().restapi();
    this.server = HttpServer.create(new InetSocketAddress(api.listen(), api.port()), 32);
    server.setExecutor(Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "rest-api");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
  }

  void start() {
    server.start();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
        get(ex, path);
      } else if (method.equals("POST") || (method.equals("PATCH") && path.equals("/config"))) {
        post(ex, path);
      } else {
        send(ex, 405, Map.of("error", "method " + method + " not allowed"));
      }
    } catch (RuntimeException e) {
      LOG.error("REST API {} {}: {}", ex.getRequestMethod(), ex.getRequestURI().getPath(), e.toString());
      sendQuietly(ex, 500, Map.of("error", "internal error: " + e.getClass().getSimpleName()));
    }
  }

  // ------------------------------------------------------------------ GET

  private void get(HttpExchange ex, String path) throws IOException {
    LocalState local = agent.local();
    Member me = agent.status();
    switch (path) {
      case "/", "/status", "/patroni" -> send(ex, me == null ? 503 : 200, me == null ? Map.of("state", "starting") : me);
      case "/primary", "/master", "/leader", "/read-write" ->
          send(ex, local.runningPrimary() && agent.leaseValid() ? 200 : 503, me);
      case "/replica" -> send(ex, replicaOk(ex, local, me) ? 200 : 503, me);
      case "/read-only" -> send(ex, local.running() && (local.inRecovery() || agent.leaseValid()) ? 200 : 503, me);
      case "/health" -> send(ex, local.running() ? 200 : 503, me);
      case "/liveness" -> send(ex, agent.alive() ? 200 : 503, Map.of("alive", agent.alive()));
      case "/readiness" -> send(ex, (local.runningPrimary() && agent.leaseValid()) || (local.runningStandby() && local.streaming()) ? 200 : 503, me);
      case "/cluster" -> send(ex, 200, RestView.cluster(agent.config().cluster(), agent.cluster()));
      case "/history" -> send(ex, 200, agent.cluster().history());
      case "/metrics" -> sendText(ex, metrics(local, me));
      case "/config" -> send(ex, 200, DynamicSettings.toMap(agent.cluster().config()));
      default -> send(ex, 404, Map.of("error", "no such path: " + path));
    }
  }

  private boolean replicaOk(HttpExchange ex, LocalState local, Member me) {
    if (!local.runningStandby() || me == null || me.tags().noLoadBalance()) return false;
    String lag = query(ex, "lag");
    if (lag == null) return true;
    long max;
    try {
      max = DynamicSettings.parseSize(lag);
    } catch (IllegalArgumentException | ArithmeticException e) {
      return false;
    }
    return agent.cluster().leaderOptime().minus(local.replayPosition()) <= max;
  }

  private static String query(HttpExchange ex, String name) {
    String q = ex.getRequestURI().getRawQuery();
    if (q == null) return null;
    for (String part : q.split("&")) {
      String[] kv = part.split("=", 2);
      if (kv[0].equals(name)) return kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "";
    }
    return null;
  }

  // ------------------------------------------------------------------ POST

  private void post(HttpExchange ex, String path) throws IOException {
    if (!authorized(ex)) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"pgha\"");
      send(ex, 401, Map.of("error", agent.config().restapi().auth() == null
          ? "state-changing calls are disabled: no restapi.authentication in this node's config"
          : "authentication required"));
      return;
    }
    JsonNode body;
    try {
      body = readBody(ex);
    } catch (IOException e) {
      send(ex, 400, Map.of("error", "request body is not valid JSON: " + e.getMessage().split("\n")[0]));
      return;
    }
    try {
      switch (path) {
        case "/switchover" -> {
          FailoverRequest fr = control.switchover(text(body, "leader"), text(body, "candidate"), time(text(body, "scheduled_at")));
          send(ex, 202, Map.of("message", "switchover to " + fr.candidate() + " requested", "request", fr));
        }
        case "/failover" -> {
          FailoverRequest fr = control.failover(text(body, "candidate"));
          send(ex, 202, Map.of("message", "failover to " + fr.candidate() + " requested", "request", fr));
        }
        case "/config" -> {
          if (!ex.getRequestMethod().equals("PATCH")) {
            send(ex, 405, Map.of("error", "use PATCH /config with a JSON object of the settings to change"));
            return;
          }
          Map<String, Object> changes = new java.util.LinkedHashMap<>();
          body.fields().forEachRemaining(f -> changes.put(f.getKey(), f.getValue().isNull() ? null
              : f.getValue().isBoolean() ? f.getValue().booleanValue()
              : f.getValue().isNumber() ? f.getValue().numberValue()
              : f.getValue().isContainerNode() ? Json.MAPPER.convertValue(f.getValue(), Object.class) : f.getValue().asText()));
          send(ex, 200, DynamicSettings.toMap(control.updateConfig(changes)));
        }
        case "/failsafe" -> {
          String leader = text(body, "leader");
          if (agent.acceptFailsafe(leader)) send(ex, 200, Map.of("accepted", true, "member", agent.config().name()));
          else send(ex, 409, Map.of("accepted", false, "member", agent.config().name()));
        }
        case "/pause", "/resume" -> {
          control.pause(path.equals("/pause"));
          send(ex, 200, Map.of("message", path.equals("/pause") ? "cluster paused" : "cluster resumed"));
        }
        case "/restart" -> {
          agent.requestRestart();
          send(ex, 202, Map.of("message", "restart of " + agent.config().name() + " started"));
        }
        case "/reinitialize" -> {
          agent.requestReinitialize();
          send(ex, 202, Map.of("message", "reinitialize of " + agent.config().name() + " started"));
        }
        default -> send(ex, 404, Map.of("error", "no such path: " + path));
      }
    } catch (IllegalArgumentException e) {
      send(ex, 400, Map.of("error", e.getMessage()));
    } catch (ControlException e) {
      send(ex, 409, Map.of("error", e.getMessage()));
    } catch (DcsException e) {
      send(ex, 503, Map.of("error", e.getMessage()));
    }
  }

  private static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    return n == null || n.isNull() || n.asText().isBlank() ? null : n.asText();
  }

  private static long time(String iso) {
    if (iso == null) return 0;
    try {
      return Instant.parse(iso).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("scheduled_at: '" + iso + "' is not an ISO-8601 instant such as 2026-01-31T22:00:00Z");
    }
  }

  private static JsonNode readBody(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] data = in.readNBytes(MAX_BODY + 1);
      if (data.length > MAX_BODY) throw new IOException("larger than " + MAX_BODY + " bytes");
      if (data.length == 0) return Json.MAPPER.createObjectNode();
      JsonNode n = Json.MAPPER.readTree(data);
      if (n == null || !n.isObject()) throw new IOException("expected a JSON object");
      return n;
    }
  }

  private boolean authorized(HttpExchange ex) {
    Credentials auth = agent.config().restapi().auth();
    if (auth == null) return false;
    String header = ex.getRequestHeaders().getFirst("Authorization");
    if (header == null || !header.startsWith("Basic ")) return false;
    byte[] expected = (auth.username() + ":" + auth.password()).getBytes(StandardCharsets.UTF_8);
    byte[] given;
    try {
      given = Base64.getDecoder().decode(header.substring(6).trim());
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(expected, given);
  }

  /** Prometheus text exposition of this member and, on an archiving primary, of its WAL archive. */
  private String metrics(LocalState local, Member me) {
    StringBuilder b = new StringBuilder();
    String l = "{cluster=\"" + agent.config().cluster() + "\",member=\"" + agent.config().name() + "\"}";
    gauge(b, "pgha_postgres_running", "1 when PostgreSQL answers", l, local.running() ? 1 : 0);
    gauge(b, "pgha_primary", "1 when this member is a running primary", l, local.runningPrimary() ? 1 : 0);
    gauge(b, "pgha_lease_held", "1 when this member holds the leader lease", l, agent.leaseValid() ? 1 : 0);
    gauge(b, "pgha_timeline", "PostgreSQL timeline", l, local.timeline());
    gauge(b, "pgha_wal_position_bytes", "WAL position (write on a primary, received or replayed on a standby)", l, local.walPosition().value());
    io.pgha.core.model.ArchiveStatus a = me == null ? null : me.archive();
    if (a != null) {
      gauge(b, "pgha_archive_pending_files", "WAL files finished but not archived yet (the archive's lag)", l, a.pending());
      gauge(b, "pgha_archive_pending_bytes", "bytes of WAL finished but not archived yet", l, a.pendingBytes());
      counter(b, "pgha_archive_archived_files_total", "WAL files archived (pg_stat_archiver)", l, a.archivedCount());
      counter(b, "pgha_archive_failed_total", "failed archive_command calls (pg_stat_archiver)", l, a.failedCount());
      gauge(b, "pgha_archive_failing", "1 when the last archive attempt failed", l, a.failing() ? 1 : 0);
    }
    return b.toString();
  }

  private static void gauge(StringBuilder b, String name, String help, String labels, long value) {
    b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n")
        .append(name).append(labels).append(' ').append(value).append('\n');
  }

  private static void counter(StringBuilder b, String name, String help, String labels, long value) {
    b.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n")
        .append(name).append(labels).append(' ').append(value).append('\n');
  }

  private static void sendText(HttpExchange ex, String text) throws IOException {
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    ex.sendResponseHeaders(200, bytes.length);
    try (var out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void send(HttpExchange ex, int status, Object body) throws IOException {
    byte[] data = Json.bytes(body == null ? Map.of("state", "unknown") : body);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, data.length);
    ex.getResponseBody().write(data);
  }

  private static void sendQuietly(HttpExchange ex, int status, Object body) {
    try {
      send(ex, status, body);
    } catch (IOException | RuntimeException e) {
      // headers already sent or client gone
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
