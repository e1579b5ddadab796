package io.pgha.cli;

import io.pgha.agent.RestView;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.RouterStatus;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code pgha list}: the cluster at a glance. */
@Command(name = "list", description = "Show the members, their roles, lag and the last decision of each agent.")
final class ListCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    FormatOption output;

    @Override
    public Integer call() throws Exception {
        NodeConfig cfg = cluster.load();
        try (Dcs dcs = cluster.connect(cfg)) {
            ClusterState c = dcs.read();
            List<RouterStatus> routers = dcs.routers();
            if (output.json()) {
                Map<String, Object> v = new LinkedHashMap<>(RestView.cluster(cfg.cluster(), c));
                v.put("routers", routers);
                System.out.print(Json.pretty(v) + "\n");
            } else {
                System.out.print(render(cfg.cluster(), c) + routers(routers));
            }
        }
        return 0;
    }

    /** The first word of the watchdog state: off, ready, armed, unavailable (the details are in JSON). */
    static String watchdog(String state) {
        if (state == null || state.isBlank()) return "";
        int space = state.indexOf(' ');
        String word = space < 0 ? state : state.substring(0, space);
        return word.endsWith(":") ? word.substring(0, word.length() - 1) : word;
    }

    static String routers(List<RouterStatus> routers) {
        if (routers.isEmpty()) return "";
        Table t = new Table("Router", "Read-write", "Read-only", "Sessions", "Waiting", "Routed");
        for (RouterStatus r : routers) {
            StringBuilder per = new StringBuilder();
            new java.util.TreeMap<>(r.sessions())
                    .forEach((k, n) -> per.append(per.length() == 0 ? "" : " ")
                            .append(k)
                            .append(':')
                            .append(n));
            t.add(
                    r.name(),
                    r.readWrite(),
                    r.readOnly() == null ? "" : r.readOnly(),
                    per.length() == 0 ? "0" : per.toString(),
                    r.waiting(),
                    r.routed());
        }
        return t.render();
    }

    static String render(String name, ClusterState c) {
        StringBuilder s = new StringBuilder();
        s.append("Cluster: ")
                .append(name)
                .append("   leader: ")
                .append(c.leader() == null ? "none" : c.leader())
                .append("   timeline: ")
                .append(c.currentTimeline());
        if (c.config().paused()) s.append("   ** PAUSED: no automatic action **");
        s.append('\n');
        if (c.config().standby()) {
            s.append("Standby cluster of: ").append(c.config().standbyCluster().describe());
            s.append("   standby leader: ").append(c.leader() == null ? "none" : c.leader());
            Long siteLag = c.leaderMember().map(RestView::siteLagBytes).orElse(null);
            s.append("   lag between sites: ").append(siteLag == null ? "unknown" : Table.bytes(siteLag));
            s.append('\n');
        }
        var dc = c.config();
        s.append("Synchronous mode: ").append(dc.synchronousMode().label());
        if (dc.synchronous()) {
            s.append(dc.synchronousModeStrict() ? " (strict)" : "")
                    .append(", node count ")
                    .append(dc.synchronousNodeCount())
                    .append("   synchronous: ")
                    .append(c.sync().describe());
        }
        s.append("   failover candidates: ")
                .append(RestView.failoverCandidates(c))
                .append('\n');
        if (!c.initialized()) s.append("(not initialized yet)\n");
        if (!c.unreadable().isEmpty()) {
            s.append("** WARNING: DCS entries that do not parse were skipped or replaced: ")
                    .append(String.join(", ", c.unreadable()))
                    .append(" (see docs/security.md) **\n");
        }
        Table t = new Table(
                "Member", "Address", "Role", "Sync", "State", "TL", "Lag", "Watchdog", "Tags", "Last decision");
        for (Member m : c.sortedMembers().values()) {
            Long lag = RestView.lagBytes(c, m);
            String sync = RestView.syncRole(c, m);
            t.add(
                    m.name(),
                    m.address(),
                    RestView.role(c, m),
                    sync == null ? "" : sync,
                    m.state().label() + (m.pendingRestart() ? " *" : ""),
                    m.timeline() == 0 ? "" : m.timeline(),
                    lag == null ? "" : Table.bytes(lag),
                    watchdog(m.watchdog()),
                    m.tags().describe(),
                    m.lastDecision());
        }
        s.append(t.render());
        if (c.members().values().stream().anyMatch(Member::pendingRestart)) {
            s.append("* pending restart: settings that take effect only after PostgreSQL restarts\n");
        }
        for (Member m : c.sortedMembers().values()) {
            if (m.archive() == null) continue;
            var a = m.archive();
            s.append("WAL archive (from ").append(m.name()).append("): ").append(a.summary());
            if (a.pending() > 0)
                s.append(" (").append(Table.bytes(a.pendingBytes())).append(" behind)");
            if (a.lastArchived() != null) s.append(", last archived ").append(a.lastArchived());
            if (a.failedCount() > 0) s.append(", ").append(a.failedCount()).append(" failed attempts");
            s.append('\n');
        }
        if (c.failover() != null) {
            var fr = c.failover();
            s.append(
                    fr.isSwitchover()
                            ? "Pending switchover: " + fr.leader() + " -> " + fr.candidate()
                            : "Pending failover to " + fr.candidate());
            if (fr.scheduledAt() > 0) s.append(" at ").append(java.time.Instant.ofEpochMilli(fr.scheduledAt()));
            s.append('\n');
        }
        return s.toString();
    }
}
