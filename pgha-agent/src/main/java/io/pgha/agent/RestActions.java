package io.pgha.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Member;
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
import java.util.function.Supplier;

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

    /** How long a member action passed on to another member's agent may take. */
    static final long FORWARD_TIMEOUT_MS = 10_000;

    private final AgentView agent;
    private final ClusterControl control;
    private final Supplier<PeerClient> peers;

    RestActions(AgentView agent, ClusterControl control, Supplier<PeerClient> peers) {
        this.agent = agent;
        this.control = control;
        this.peers = peers;
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
            case "POST /restart" -> other(body) != null ? forward(other(body), "/restart") : restart();
            case "POST /reinitialize" -> other(body) != null ? forward(other(body), "/reinitialize") : reinitialize();
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

    /** The member named by the body's {@code member} when it is another than this one; else null. */
    private String other(JsonNode body) {
        String name = text(body, "member");
        return name == null || name.equals(agent.config().name()) ? null : name;
    }

    /**
     * Passes a member action on to the agent of member {@code name} (the dashboard, served by any
     * agent, restarting another member): POST {@code path} to the {@code api_url} that member
     * published, with this node's credentials, and its answer back with the member's name in front.
     * The caller was authenticated here already; all members are meant to share the credentials,
     * and a member that refuses this node's is reported as such (502), not as the caller's 401.
     */
    private Response forward(String name, String path) throws ControlException {
        Member m = agent.cluster()
                .member(name)
                .orElseThrow(() -> new IllegalArgumentException("member: no member named '" + name + "' (members: "
                        + agent.cluster().sortedMembers().keySet() + ")"));
        if (m.apiUrl() == null) throw new ControlException(name + " has published no REST API address");
        PeerClient.Answer a;
        try {
            a = peers.get().post(m, path, agent.config().restapi().auth(), FORWARD_TIMEOUT_MS);
        } catch (IOException e) {
            return Response.error(502, "cannot reach the agent of " + name + " at " + m.apiUrl() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Response.error(503, "interrupted while asking " + name);
        }
        JsonNode answer;
        try {
            answer = Json.MAPPER.readTree(a.body());
        } catch (IOException e) {
            answer = null;
        }
        String text = answer == null
                ? null
                : answer.hasNonNull("message")
                        ? answer.get("message").asText()
                        : answer.hasNonNull("error") ? answer.get("error").asText() : null;
        if (text == null) return Response.error(502, name + " answered " + a.status() + " without a message");
        if (a.status() == 401 || a.status() == 403) {
            return Response.error(
                    502,
                    name + " refused this node's credentials (" + a.status() + "): " + text
                            + " (all members should use the same restapi credentials)");
        }
        if (a.status() / 100 == 2) return json(a.status(), Map.of("message", name + ": " + text, "member", name));
        return Response.error(a.status(), name + ": " + text);
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
