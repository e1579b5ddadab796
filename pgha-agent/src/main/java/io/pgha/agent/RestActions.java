package io.pgha.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.FailoverRequest;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Json;
import io.pgha.http.Request;
import io.pgha.http.Response;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The REST API's state-changing calls, for requests already authenticated by {@link RestApi}. They
 * may wait on the DCS, so they run on the API's worker threads, never on its event loop. Each
 * either changes what it says or nothing: 400 for a malformed body, 409 for a refusal with the
 * reason, 503 when the DCS cannot be reached.
 */
final class RestActions {
    private static final Set<String> PATHS = Set.of(
            "/switchover",
            "/failover",
            "/config",
            "/failsafe",
            "/pause",
            "/resume",
            "/restart",
            "/reinitialize",
            "/reload");

    private final AgentView agent;
    private final ClusterControl control;

    RestActions(AgentView agent, ClusterControl control) {
        this.agent = agent;
        this.control = control;
    }

    Response handle(Request r) {
        JsonNode body;
        try {
            body = body(r.body());
        } catch (IOException e) {
            return Response.error(
                    400, "request body is not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        try {
            return dispatch(r.method() + " " + r.path(), r, body);
        } catch (IllegalArgumentException e) {
            return Response.error(400, e.getMessage());
        } catch (ControlException e) {
            return Response.error(409, e.getMessage());
        } catch (DcsException e) {
            return Response.error(503, e.getMessage());
        }
    }

    private Response dispatch(String call, Request r, JsonNode body) throws ControlException, DcsException {
        return switch (call) {
            case "POST /switchover" -> switchover(body);
            case "DELETE /switchover" -> cancelSwitchover();
            case "POST /failover" -> failover(body);
            case "PATCH /config" -> json(200, DynamicSettings.toMap(control.updateConfig(changes(body))));
            case "POST /config" ->
                Response.error(405, "use PATCH /config with a JSON object of the settings to change");
            case "POST /failsafe" -> failsafe(body);
            case "POST /pause", "POST /resume" -> pause(r.path().equals("/pause"));
            case "POST /restart" -> restart();
            case "POST /reinitialize" -> reinitialize();
            case "POST /reload" -> reload();
            default ->
                PATHS.contains(r.path())
                        ? Response.error(405, "method " + r.method() + " not allowed on " + r.path())
                        : Response.error(404, "no such path: " + r.path());
        };
    }

    private Response switchover(JsonNode body) throws ControlException, DcsException {
        FailoverRequest fr =
                control.switchover(text(body, "leader"), text(body, "candidate"), time(text(body, "scheduled_at")));
        String to = fr.candidate() == null ? "the best standby" : fr.candidate();
        String when = fr.scheduledAt() > 0 ? " at " + Instant.ofEpochMilli(fr.scheduledAt()) : "";
        return json(202, Map.of("message", "switchover to " + to + " requested" + when, "request", fr));
    }

    private Response cancelSwitchover() throws ControlException, DcsException {
        Optional<FailoverRequest> cancelled = control.cancelSwitchover();
        if (cancelled.isEmpty()) return Response.error(404, "no scheduled switchover is pending");
        FailoverRequest fr = cancelled.get();
        return json(
                200,
                Map.of(
                        "message",
                        "cancelled the switchover to " + (fr.candidate() == null ? "the best standby" : fr.candidate())
                                + " scheduled for " + Instant.ofEpochMilli(fr.scheduledAt()),
                        "request",
                        fr));
    }

    private Response failover(JsonNode body) throws ControlException, DcsException {
        JsonNode assume = body.get("assume_primary_down");
        if (assume != null && !assume.isBoolean())
            throw new IllegalArgumentException("assume_primary_down: expected true or false");
        FailoverRequest fr = control.failover(text(body, "candidate"), assume != null && assume.booleanValue());
        return json(202, Map.of("message", "failover to " + fr.candidate() + " requested", "request", fr));
    }

    private Response failsafe(JsonNode body) {
        boolean accepted = agent.acceptFailsafe(text(body, "leader"));
        return json(
                accepted ? 200 : 409,
                Map.of("accepted", accepted, "member", agent.config().name()));
    }

    private Response pause(boolean on) throws DcsException {
        control.pause(on);
        return json(200, Map.of("message", on ? "cluster paused" : "cluster resumed"));
    }

    private Response restart() throws ControlException {
        agent.requestRestart();
        return json(202, Map.of("message", "restart of " + agent.config().name() + " started"));
    }

    private Response reload() throws ControlException {
        agent.requestReload();
        return json(200, Map.of("message", "PostgreSQL on " + agent.config().name() + " reloaded its configuration"));
    }

    private Response reinitialize() throws ControlException {
        agent.requestReinitialize();
        return json(202, Map.of("message", "reinitialize of " + agent.config().name() + " started"));
    }

    private static Map<String, Object> changes(JsonNode body) {
        Map<String, Object> changes = new LinkedHashMap<>();
        body.properties()
                .forEach(f -> changes.put(
                        f.getKey(),
                        f.getValue().isNull()
                                ? null
                                : f.getValue().isBoolean()
                                        ? f.getValue().booleanValue()
                                        : f.getValue().isNumber()
                                                ? f.getValue().numberValue()
                                                : f.getValue().asText()));
        return changes;
    }

    static Response json(int status, Object body) {
        return Response.json(status, Json.bytes(body));
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
            throw new IllegalArgumentException(
                    "scheduled_at: '" + iso + "' is not an ISO-8601 instant such as 2026-01-31T22:00:00Z");
        }
    }

    private static JsonNode body(byte[] data) throws IOException {
        if (data.length == 0) return Json.MAPPER.createObjectNode();
        JsonNode n = Json.MAPPER.readTree(data);
        if (n == null || !n.isObject()) throw new IOException("expected a JSON object");
        return n;
    }
}
