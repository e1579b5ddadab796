package io.pgha.cli;

import io.pgha.agent.RestView;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.RouterStatus;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgha list}: the cluster at a glance; with {@code --watch}, again and again, so that an
 * operator can keep it open beside a switchover or a failure and see each step as it happens.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "list",
        description = "Show the members, their roles, lag and the last decision of each agent.")
final class ListCommand implements Callable<Integer> {
    /** Home the cursor and clear the screen (ANSI): each round of --watch replaces the last one. */
    static final String CLEAR = "\033[H\033[2J";

    @Mixin
    ClusterOptions cluster;

    @Mixin
    FormatOption output;

    @Mixin
    WatchOption watch;

    @Override
    public Integer call() throws Exception {
        boolean watching = watch.on();
        ClientConfig cfg = cluster.client();
        if (!watching && cluster.printedByLocalAgent(cfg, "list", output.json())) return 0;
        try (Dcs dcs = cluster.connect(cfg)) {
            if (!watching) {
                System.out.print(show(cfg.cluster(), dcs, output.json(), true));
                return 0;
            }
            watch.run(dcs, cfg.cluster(), output.json(), "pgha list", ListCommand::show);
        }
        return 0;
    }

    /** What {@code pgha list} prints for one read of the DCS (JSON pretty or on one line). */
    static String show(String name, Dcs dcs, boolean json, boolean pretty) throws DcsException {
        ClusterState c = dcs.read();
        List<RouterStatus> routers = dcs.routers();
        if (json) {
            Map<String, Object> v = new LinkedHashMap<>(RestView.cluster(name, c));
            v.put("routers", routers);
            return (pretty ? Json.pretty(v) : Json.text(v)) + "\n";
        }
        return render(name, c) + routers(routers);
    }

    /** What one round of --watch prints for one read of the DCS. */
    @FunctionalInterface
    interface Show {
        String show(String name, Dcs dcs, boolean json, boolean pretty) throws DcsException;
    }

    /** How --watch waits between rounds; tests change the cluster here instead of sleeping. */
    @FunctionalInterface
    interface Pause {
        void sleep(long millis) throws InterruptedException;
    }

    /**
     * The rounds of {@code --watch}: a whole screen built before it is printed (no flicker), rounds
     * started at fixed times however long a read takes, and a DCS that cannot be read shown as such
     * in that round instead of ending the watch, since an outage is what one may be watching.
     *
     * @param clear clear the screen before each round (stdout is a terminal); otherwise rounds of
     *     text are separated by a blank line, so that a log of them stays readable
     */
    record Watch(Dcs dcs, String name, boolean json, long periodMs, boolean clear, String command, Show show) {
        Watch(Dcs dcs, String name, boolean json, long periodMs, boolean clear) {
            this(dcs, name, json, periodMs, clear, "pgha list", ListCommand::show);
        }

        /** Runs {@code rounds} rounds, or until interrupted (Ctrl-C ends the JVM) when 0. */
        void run(java.io.PrintStream out, int rounds, Pause pause) throws InterruptedException {
            long start = System.nanoTime();
            for (int round = 1; rounds <= 0 || round <= rounds; round++) {
                out.print(frame(round));
                out.flush();
                if (rounds > 0 && round == rounds) break;
                long next = start + round * periodMs * 1_000_000;
                pause.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
            }
        }

        String frame(int round) {
            String body;
            try {
                body = show.show(name, dcs, json, false);
            } catch (DcsException e) {
                String why = "cannot read the cluster from the DCS: " + e.getMessage();
                if (json) {
                    System.err.println("pgha: "
                            + java.time.OffsetDateTime.now(java.time.ZoneId.systemDefault())
                                    .withNano(0) + " " + why);
                    return "";
                }
                body = why + "\n";
            }
            if (json) return body;
            String title = "Every " + seconds() + ": " + command + "   "
                    + java.time.OffsetDateTime.now(java.time.ZoneId.systemDefault())
                            .withNano(0) + "   (Ctrl-C to stop)\n\n";
            return (clear ? CLEAR : round > 1 ? "\n" : "") + title + body;
        }

        private String seconds() {
            return periodMs % 1000 == 0 ? periodMs / 1000 + "s" : periodMs / 1000.0 + "s";
        }
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
                "Member",
                "Address",
                "Role",
                "Sync",
                "State",
                "TL",
                "Lag",
                "Watchdog",
                "Tags",
                "Version",
                "Last decision");
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
                    m.version() == null ? "" : m.version(),
                    m.lastDecision());
        }
        s.append(t.render());
        if (c.members().values().stream().anyMatch(Member::pendingRestart)) {
            s.append("* pending restart: settings that take effect only after PostgreSQL restarts\n");
        }
        for (Member m : c.sortedMembers().values()) {
            if (m.scheduledRestart() != null)
                s.append("Scheduled restart of ")
                        .append(m.name())
                        .append(": ")
                        .append(m.scheduledRestart().describe())
                        .append('\n');
        }
        if (c.members().values().stream()
                        .map(Member::version)
                        .filter(v -> v != null)
                        .distinct()
                        .count()
                > 1) s.append("** pgha versions differ between members: finish the upgrade (docs/operations.md) **\n");
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
        var rc = c.config().resources();
        if (!rc.resources().isEmpty()) {
            List<String> where = new java.util.ArrayList<>();
            for (var r : io.pgha.core.resource.ResourceReport.rows(c)) {
                where.add(r.name() + (r.runningOn().isEmpty() ? " stopped" : " on " + String.join(",", r.runningOn())));
            }
            s.append("Resources: ").append(String.join(", ", where)).append("   (details: pgha status)\n");
        }
        if (!rc.maintenance().isEmpty())
            s.append("In maintenance (resources left alone): ")
                    .append(String.join(", ", rc.maintenance()))
                    .append('\n');
        if (rc.fencing().mode() != io.pgha.core.resource.Fencing.Mode.OFF)
            s.append("Fencing: ").append(rc.fencing().mode().label()).append('\n');
        return s.toString();
    }
}
