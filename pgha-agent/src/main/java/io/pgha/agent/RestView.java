package io.pgha.agent;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster as shown to people and programs: {@code /cluster}, {@code pgha list --format json}.
 * Where a field means what Patroni's {@code /cluster} field means it has Patroni's name ({@code
 * pause}, {@code scheduled_switchover}, and per member {@code host}, {@code port}, {@code
 * timeline}, {@code lag}, {@code api_url}), so jq scripts written for Patroni keep working; the
 * differences that remain are listed in docs/rest-api.md.
 */
public final class RestView {
    private RestView() {}

    public static Map<String, Object> cluster(String name, ClusterState c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster", name);
        out.put("initialized", c.initialized());
        out.put("leader", c.leader());
        out.put("pause", c.config().paused());
        out.put("timeline", c.currentTimeline());
        out.put("leader_optime", c.leaderOptime().toString());
        out.put("config", io.pgha.core.config.DynamicSettings.toDisplayMap(c.config()));
        if (c.config().standby()) {
            Map<String, Object> sc = new LinkedHashMap<>();
            sc.put("source", c.config().standbyCluster().describe());
            sc.put("standby_leader", c.leader());
            c.leaderMember().map(RestView::siteLagBytes).ifPresent(l -> sc.put("lag_between_sites", l));
            out.put("standby_cluster", sc);
        }
        Map<String, Object> sync = new LinkedHashMap<>();
        sync.put("mode", c.config().synchronousMode().label());
        sync.put("strict", c.config().synchronousModeStrict());
        sync.put("recorded_by", c.sync().leader());
        sync.put("quorum", c.sync().quorum());
        sync.put("members", c.sync().members());
        sync.put("failover_candidates", failoverCandidates(c));
        out.put("synchronous", sync);
        out.put("failover", c.failover());
        if (c.failover() != null && c.failover().isSwitchover() && c.failover().scheduledAt() > 0) {
            out.put("scheduled_switchover", scheduledSwitchover(c.failover()));
        }
        List<Map<String, Object>> members = new ArrayList<>();
        for (Member m : c.sortedMembers().values()) members.add(member(c, m));
        out.put("members", members);
        return out;
    }

    public static Map<String, Object> member(ClusterState c, Member m) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", m.name());
        v.put("host", m.host());
        v.put("port", m.pgPort());
        v.put("api_url", m.apiUrl());
        v.put("role", role(c, m));
        v.put("state", m.state().label());
        v.put("timeline", m.timeline());
        v.put("wal_position", m.walPosition().toString());
        v.put("replay_position", m.replayPosition().toString());
        Long lag = lagBytes(c, m);
        if (lag != null) v.put("lag", lag);
        v.put("following", m.following());
        if (m.upstreamPosition() != null)
            v.put("upstream_position", m.upstreamPosition().toString());
        v.put("streaming", m.streaming());
        // in this order in every JVM (Map.of's order changes from one JVM to the next)
        Map<String, Object> tags = new LinkedHashMap<>();
        tags.put("nofailover", m.tags().noFailover());
        tags.put("noloadbalance", m.tags().noLoadBalance());
        tags.put("priority", m.tags().priority());
        tags.put("nosync", m.tags().noSync());
        tags.put("sync_priority", m.tags().syncPriority());
        v.put("tags", tags);
        v.put("synchronous", syncRole(c, m));
        v.put("watchdog", m.watchdog());
        v.put("pending_restart", m.pendingRestart());
        if (m.archive() != null) v.put("archive", archive(m.archive()));
        if (m.scheduledRestart() != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put(
                    "schedule",
                    java.time.Instant.ofEpochMilli(m.scheduledRestart().at()).toString());
            r.put("restart_pending", m.scheduledRestart().pendingOnly());
            if (m.scheduledRestart().role() != null)
                r.put("role", m.scheduledRestart().role());
            v.put("scheduled_restart", r);
        }
        v.put("version", m.version());
        v.put("last_decision", m.lastDecision());
        v.put("updated_at", m.updatedAt());
        return v;
    }

    /** A primary's WAL archiving as it publishes it (only members that archive have it). */
    private static Map<String, Object> archive(io.pgha.core.model.ArchiveStatus a) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("summary", a.summary());
        v.put("pending", a.pending());
        v.put("pending_bytes", a.pendingBytes());
        v.put("archived_count", a.archivedCount());
        v.put("last_archived", a.lastArchived());
        v.put("failed_count", a.failedCount());
        v.put("last_failed", a.lastFailed());
        v.put("failing", a.failing());
        return v;
    }

    /** Patroni's {@code scheduled_switchover}: {@code at} (ISO-8601), {@code from}, {@code to} (absent: the best standby). */
    private static Map<String, Object> scheduledSwitchover(io.pgha.core.model.FailoverRequest fr) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("at", java.time.Instant.ofEpochMilli(fr.scheduledAt()).toString());
        s.put("from", fr.leader());
        if (fr.candidate() != null) s.put("to", fr.candidate());
        return s;
    }

    /**
     * Bytes a standby's replay is behind the leader's published position; for the standby leader of
     * a standby cluster, behind the primary cluster (the lag between the sites); null when not a
     * standby or not known.
     */
    public static Long lagBytes(ClusterState c, Member m) {
        if (m.role() != Role.STANDBY) return null;
        if (c.config().standby() && m.name().equals(c.leader())) return siteLagBytes(m);
        long leaderPos = c.leaderMember()
                .map(l -> l.walPosition().value())
                .orElse(c.leaderOptime().value());
        return Math.max(0, leaderPos - m.replayPosition().value());
    }

    /** How far the standby leader's replay is behind the primary cluster's last reported position; null when unknown. */
    public static Long siteLagBytes(Member standbyLeader) {
        if (standbyLeader.upstreamPosition() == null) return null;
        return Math.max(
                0,
                standbyLeader.upstreamPosition().value()
                        - standbyLeader.replayPosition().value());
    }

    /** "sync" / "quorum" for a standby the DCS records as synchronous (confirmed), "joining" before that, else null. */
    public static String syncRole(ClusterState c, Member m) {
        if (!c.config().synchronous() || !c.sync().contains(m.name())) return null;
        if (c.sync().quorum() == 0) return "joining";
        return c.sync().quorum() == c.sync().members().size() ? "sync" : "quorum";
    }

    /**
     * Who could be promoted without losing an acknowledged commit if the primary failed now, in
     * words; in asynchronous mode, any healthy standby within maximum_lag_on_failover.
     */
    public static String failoverCandidates(ClusterState c) {
        if (!c.config().synchronous())
            return "any standby within maximum_lag_on_failover (asynchronous: the last commits may be lost)";
        var s = c.sync();
        if (s.quorum() == 0) {
            return "none: "
                    + (s.leader() == null
                            ? "no synchronous standby recorded yet"
                            : s.leader() + " has no confirmed synchronous standby");
        }
        return s.quorum() == s.members().size()
                ? String.join(", ", s.members())
                : "the most advanced of any " + s.neededForFailover() + " of " + String.join(", ", s.members());
    }

    /** "primary" only for the lease holder; a writable member without the lease says so. */
    public static String role(ClusterState c, Member m) {
        if (m.role() == Role.PRIMARY) return m.name().equals(c.leader()) ? "primary" : "primary (no lease)";
        if (m.role() == Role.STANDBY && c.config().standby() && m.name().equals(c.leader())) return "standby leader";
        return m.role().label();
    }

    /**
     * {@code GET /resources} (and {@code pgha status --format json}): every resource with where it
     * should run, why, and its state on each member, in the API's snake_case.
     */
    public static java.util.List<Map<String, Object>> resources(ClusterState c) {
        java.util.List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (io.pgha.core.resource.ResourceReport.Row r : io.pgha.core.resource.ResourceReport.rows(c)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("kind", r.kind());
            m.put("agent", r.agent());
            m.put("with", r.with());
            m.put("disabled", r.disabled());
            m.put("target", r.target());
            m.put("why", r.why());
            m.put("running_on", r.runningOn());
            Map<String, Object> members = new LinkedHashMap<>();
            r.members().forEach((name, st) -> {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("state", st.state().label());
                if (st.promoted()) e.put("promoted", true);
                e.put("fail_count", st.failCount());
                e.put("last_result", st.lastResult());
                e.put("since", st.since());
                e.put("reason", st.reason());
                members.put(name, e);
            });
            m.put("members", members);
            out.add(m);
        }
        return out;
    }
}
