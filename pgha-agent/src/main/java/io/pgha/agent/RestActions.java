package io.pgha.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.config.ParameterCheck;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Member;
import io.pgha.core.model.ScheduledRestart;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Json;
import io.pgha.http.Request;
import io.pgha.http.Response;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
            "/resources/cleanup",
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
            case "PATCH /config" -> patchConfig(r, body);
            case "POST /config" ->
                Response.error(405, "use PATCH /config with a JSON object of the settings to change");
            case "POST /failsafe" -> failsafe(body);
            case "POST /pause", "POST /resume" -> pause(r.path().equals("/pause"));
            case "POST /restart" -> other(body) != null ? forward(other(body), "/restart") : restart(body);
            case "DELETE /restart" -> cancelRestart();
            case "POST /reinitialize" -> other(body) != null ? forward(other(body), "/reinitialize") : reinitialize();
            case "POST /reload" -> reload();
            case "POST /resources/cleanup" ->
                other(body) != null ? forward(other(body), "/resources/cleanup") : cleanup(body);
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
        return json(202, ordered("message", "switchover to " + to + " requested" + when, "request", fr));
    }

    private Response cancelSwitchover() throws ControlException, DcsException {
        Optional<FailoverRequest> cancelled = control.cancelSwitchover();
        if (cancelled.isEmpty()) return Response.error(404, "no scheduled switchover is pending");
        FailoverRequest fr = cancelled.get();
        return json(
                200,
                ordered(
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
        return json(202, ordered("message", "failover to " + fr.candidate() + " requested", "request", fr));
    }

    private Response failsafe(JsonNode body) {
        boolean accepted = agent.acceptFailsafe(text(body, "leader"));
        return json(
                accepted ? 200 : 409,
                ordered("accepted", accepted, "member", agent.config().name()));
    }

    private Response pause(boolean on) throws DcsException {
        control.pause(on);
        return json(200, ordered("message", on ? "cluster paused" : "cluster resumed"));
    }

    /**
     * Restarts now, or keeps the restart for {@code schedule} (Patroni's body: {@code schedule},
     * {@code restart_pending}, {@code role}). The conditions are checked when the restart happens.
     */
    private Response restart(JsonNode body) throws ControlException {
        JsonNode pending = body.get("restart_pending");
        if (pending != null && !pending.isNull() && !pending.isBoolean())
            throw new IllegalArgumentException("restart_pending: expected true or false");
        String role = text(body, "role");
        if (role != null && !role.equals("primary") && !role.equals("replica"))
            throw new IllegalArgumentException("role: '" + role + "' is not primary or replica");
        boolean pendingOnly = pending != null && pending.asBoolean();
        String name = agent.config().name();
        long at = time("schedule", text(body, "schedule"));
        if (at > 0) {
            ScheduledRestart r = new ScheduledRestart(at, pendingOnly, role);
            agent.scheduleRestart(r);
            return json(
                    202, ordered("message", "restart of " + name + " scheduled for " + r.describe(), "schedule", r));
        }
        var local = agent.local();
        String skip = new ScheduledRestart(0, pendingOnly, role)
                .skipReason(local != null && local.running() && !local.inRecovery(), agent.pendingRestart());
        if (skip != null) throw new ControlException("restart of " + name + " not needed: " + skip);
        agent.requestRestart();
        return json(202, ordered("message", "restart of " + name + " started"));
    }

    private Response cancelRestart() {
        Optional<ScheduledRestart> r = agent.cancelScheduledRestart();
        if (r.isEmpty())
            return Response.error(
                    404, "no restart is scheduled on " + agent.config().name());
        return json(
                200,
                ordered(
                        "message",
                        "cancelled the restart of " + agent.config().name() + " scheduled for "
                                + r.get().describe()));
    }

    private Response reload() throws ControlException {
        agent.requestReload();
        return json(200, ordered("message", "PostgreSQL on " + agent.config().name() + " reloaded its configuration"));
    }

    /** {@code POST /resources/cleanup {"resource": NAME}}: forgets the resource's failures on this member. */
    private Response cleanup(JsonNode body) throws ControlException {
        String name = text(body, "resource");
        if (name == null || name.isBlank())
            return Response.error(400, "resource: is required (the name of the resource to clean up)");
        agent.cleanupResource(name);
        return json(
                200,
                ordered(
                        "message",
                        "resource " + name + ": failures cleared on "
                                + agent.config().name()));
    }

    private Response reinitialize() throws ControlException {
        agent.requestReinitialize();
        return json(202, ordered("message", "reinitialize of " + agent.config().name() + " started"));
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
        if (a.status() / 100 == 2) return json(a.status(), ordered("message", name + ": " + text, "member", name));
        return Response.error(a.status(), name + ": " + text);
    }

    /**
     * Changes the dynamic config. PostgreSQL parameters are checked first against this member's
     * running server ({@code pg_settings}): an unknown name or a bad value is refused with its name
     * (400), unless {@code ?check=false}.
     */
    private Response patchConfig(Request r, JsonNode body) throws ControlException, DcsException {
        Map<String, Object> changes = changes(body);
        if (!"false".equals(r.param("check"))) {
            Map<String, String> changed = changedParameters(agent.cluster().config(), changes);
            if (!changed.isEmpty()) {
                List<String> problems = ParameterCheck.problems(changed, agent.settingsCatalog());
                if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
            }
        }
        return json(200, DynamicSettings.toDisplayMap(control.updateConfig(changes)));
    }

    /** The PostgreSQL parameters {@code changes} sets to a new value (removals need no check). */
    static Map<String, String> changedParameters(DynamicConfig current, Map<String, ?> changes) {
        if (changes.keySet().stream().noneMatch(k -> k.startsWith(DynamicSettings.POSTGRESQL))) return Map.of();
        Map<String, String> before = current.postgresql().parameters();
        Map<String, String> out = new TreeMap<>();
        try {
            DynamicSettings.apply(current, changes).postgresql().parameters().forEach((k, v) -> {
                if (!v.equals(before.get(k))) out.put(k, v);
            });
        } catch (io.pgha.core.config.ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return out;
    }

    /**
     * The body as settings. {@code postgresql} is merged as Patroni's PATCH does: {@code
     * {"postgresql": {"parameters": {"work_mem": "8MB", "old": null}}}} sets one parameter and
     * removes another, leaving the rest; {@code pg_hba} replaces the list.
     */
    static Map<String, Object> changes(JsonNode body) {
        Map<String, Object> changes = new LinkedHashMap<>();
        body.properties().forEach(f -> {
            String key = f.getKey();
            JsonNode v = f.getValue();
            if (!key.equals(DynamicSettings.POSTGRESQL) || !v.isObject()) {
                changes.put(key, value(v));
                return;
            }
            v.properties().forEach(p -> {
                switch (p.getKey()) {
                    case "parameters" -> {
                        if (!p.getValue().isObject())
                            throw new IllegalArgumentException(
                                    "postgresql.parameters: expected an object of name: value");
                        p.getValue()
                                .properties()
                                .forEach(q -> changes.put("postgresql.parameters." + q.getKey(), value(q.getValue())));
                    }
                    case "pg_hba" -> changes.put("postgresql.pg_hba", value(p.getValue()));
                    default ->
                        throw new IllegalArgumentException(
                                "postgresql." + p.getKey() + ": unknown key (known: parameters, pg_hba)");
                }
            });
        });
        return changes;
    }

    private static Object value(JsonNode v) {
        if (v.isNull()) return null;
        if (v.isBoolean()) return v.booleanValue();
        if (v.isNumber()) return v.numberValue();
        if (v.isContainerNode()) return Json.MAPPER.convertValue(v, Object.class);
        return v.asText();
    }

    /** A JSON object whose keys keep the order given (Map.of's order changes from one JVM to the next). */
    static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    static Response json(int status, Object body) {
        return Response.json(status, Json.bytes(body));
    }

    private static String text(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n == null || n.isNull() || n.asText().isBlank() ? null : n.asText();
    }

    private static long time(String iso) {
        return time("scheduled_at", iso);
    }

    private static long time(String field, String iso) {
        if (iso == null) return 0;
        try {
            return java.time.OffsetDateTime.parse(iso).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    field + ": '" + iso
                            + "' is not an ISO-8601 time with a zone, such as 2026-01-31T22:00:00Z or 2026-01-31T23:00:00+01:00");
        }
    }

    private static JsonNode body(byte[] data) throws IOException {
        if (data.length == 0) return Json.MAPPER.createObjectNode();
        JsonNode n = Json.MAPPER.readTree(data);
        if (n == null || !n.isObject()) throw new IOException("expected a JSON object");
        return n;
    }
}
