package io.pgha.agent;

import io.pgha.core.config.DynamicSettings;
import io.pgha.core.decide.LocalState;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Tags;
import io.pgha.http.Request;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Patroni's health paths: which status code each path answers, from the agent's latest view. Load
 * balancers (HAProxy {@code option httpchk}, Kubernetes probes) send traffic where the answer is
 * 200 and nowhere else, so a path answers 200 only when its claim holds right now:
 *
 * <pre>
 * /, /primary, /read-write, /master   running primary holding a valid lease
 * /leader                             holds a valid lease (whatever PostgreSQL does)
 * /standby-leader, /standby_leader    standby cluster: running standby holding a valid lease (the standby leader)
 * /replica                            running standby, not tagged noloadbalance
 * /read-only                          /primary or /replica
 * /synchronous, /sync                 running standby the current leader's sync record counts (quorum > 0)
 * /asynchronous, /async               running standby that is not synchronous
 * /health                             PostgreSQL running, any role
 * /liveness                           the agent's loop ran within the last ttl
 * /readiness                          /primary, or a running standby that streams
 * </pre>
 *
 * <p>{@code /replica}, {@code /read-only}, {@code /synchronous} and {@code /asynchronous} also take
 * filters: {@code ?lag=16MB} (replay at most that far behind the leader's last published position)
 * and {@code ?tag_NAME=VALUE} (this member's tag NAME has that value). Every answer that is not 200
 * is 503.
 */
final class HealthChecks {
    private HealthChecks() {}

    /** The status code of health path {@code r.path()}, or 0 when it is not a health path. */
    static int status(Request r, AgentView v) {
        Boolean ok = check(r, v);
        return ok == null ? 0 : ok ? 200 : 503;
    }

    private static Boolean check(Request r, AgentView v) {
        return switch (r.path()) {
            case "/", "/primary", "/read-write", "/master" -> primary(v);
            case "/leader" -> v.leaseValid();
            case "/standby-leader", "/standby_leader" -> standbyLeader(v);
            case "/replica" -> replica(v) && filtersMatch(r, v);
            case "/read-only" -> (primary(v) || replica(v)) && filtersMatch(r, v);
            case "/synchronous", "/sync" -> runningStandby(v) && synchronous(v) && filtersMatch(r, v);
            case "/asynchronous", "/async" -> runningStandby(v) && !synchronous(v) && filtersMatch(r, v);
            case "/health" -> v.local().running();
            case "/liveness" -> v.alive();
            case "/readiness" -> primary(v) || (runningStandby(v) && v.local().streaming());
            default -> null;
        };
    }

    /** The standby leader of a standby cluster: it replicates from the primary cluster for the others. */
    static boolean standbyLeader(AgentView v) {
        return v.cluster().config().standby() && v.local().runningStandby() && v.leaseValid();
    }

    static boolean primary(AgentView v) {
        return v.local().runningPrimary() && v.leaseValid();
    }

    /** A standby PostgreSQL that runs, with no action (restart, rewind, clone) under way. */
    private static boolean runningStandby(AgentView v) {
        Member me = v.status();
        return v.local().runningStandby() && me != null && me.state() == MemberState.RUNNING;
    }

    private static boolean replica(AgentView v) {
        return runningStandby(v) && !v.config().tags().noLoadBalance();
    }

    /** Named in the current leader's synchronous record, and that record counts at least one standby. */
    private static boolean synchronous(AgentView v) {
        ClusterState c = v.cluster();
        return c.config().synchronous()
                && c.leader() != null
                && Objects.equals(c.sync().leader(), c.leader())
                && c.sync().quorum() > 0
                && c.sync().contains(v.config().name());
    }

    private static boolean filtersMatch(Request r, AgentView v) {
        return lagWithin(r.param("lag"), v) && tagsMatch(r.query(), v.config().tags());
    }

    /** No {@code lag} parameter, or replay within that many bytes of the leader's published position; an unreadable value fails. */
    private static boolean lagWithin(String lag, AgentView v) {
        if (lag == null) return true;
        long max;
        try {
            max = DynamicSettings.parseSize(lag);
        } catch (IllegalArgumentException | ArithmeticException e) {
            return false;
        }
        LocalState local = v.local();
        if (!local.inRecovery()) return true;
        return v.cluster().leaderOptime().minus(local.replayPosition()) <= max;
    }

    /** Every {@code tag_NAME=VALUE} parameter names a tag this member has with that value (booleans in any case). */
    static boolean tagsMatch(Map<String, List<String>> query, Tags tags) {
        for (Map.Entry<String, List<String>> q : query.entrySet()) {
            if (!q.getKey().startsWith("tag_")) continue;
            String have = tag(tags, q.getKey().substring(4));
            for (String want : q.getValue()) {
                if (have == null || !have.equalsIgnoreCase(want.trim())) return false;
            }
        }
        return true;
    }

    /** The value of tag {@code name} as text, or null for a tag pgha does not know. */
    private static String tag(Tags t, String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "nofailover" -> String.valueOf(t.noFailover());
            case "noloadbalance" -> String.valueOf(t.noLoadBalance());
            case "nosync" -> String.valueOf(t.noSync());
            case "priority", "failover_priority" -> String.valueOf(t.priority());
            case "sync_priority" -> String.valueOf(t.syncPriority());
            default -> null;
        };
    }
}
