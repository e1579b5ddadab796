package io.pgha.cli.bench;

import io.pgha.cli.LocalCluster;
import io.pgha.core.config.RouterConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.router.Router;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Measures write unavailability for node crashes and planned switchovers on a 3-node cluster of
 * real processes, under a steady write load through the multi-host JDBC URL. Run by
 * {@code bench/failover.sh}; prints a Markdown report. Not a test: it asserts nothing.
 *
 * <p>Unavailability = first acknowledged write after the fault minus the last one before it.
 */
public final class FailoverBench {
    /** One event, measured with the JDBC writer and (when it runs) the libpq writer; -1: not measured. */
    /** {@code afterKeyMs}: the new primary's own part, from its agent's log (-1: no promotion, or not logged). */
    private record Run(
            String kind,
            long unavailableMs,
            int lost,
            String from,
            String to,
            long libpqMs,
            int libpqLost,
            long afterKeyMs) {
        Run withAfterKeyMs(long ms) {
            return new Run(kind, unavailableMs, lost, from, to, libpqMs, libpqLost, ms);
        }
    }

    /** The agents' directories (each node's agent.log). */
    private static Path benchDir;

    private static final java.util.regex.Pattern AFTER_LEADER_KEY =
            java.util.regex.Pattern.compile(", (\\d+) ms after the leader key went");

    /**
     * The "N ms after the leader key went" of {@code member}'s last promotion (its agent's log): from
     * the moment its agent saw the leader key go until PostgreSQL took writes; -1 when not logged.
     */
    static long afterLeaderKeyMs(Path dir, String member) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve(member).resolve("agent.log"));
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i);
                if (!l.contains("promoted to primary")) continue;
                java.util.regex.Matcher m = AFTER_LEADER_KEY.matcher(l);
                return m.find() ? Long.parseLong(m.group(1)) : -1;
            }
        } catch (java.io.IOException e) {
            // no log: not known
        }
        return -1;
    }

    /** The libpq writer's table. */
    private static final String LIBPQ_TABLE = "bench_libpq";

    /** Acknowledged ids found missing by an earlier event: each event reports only its own losses. */
    private static final Set<Long> KNOWN_LOST = new HashSet<>();

    public static void main(String[] args) throws Exception {
        int crashes = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int switchovers = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int postmasterCrashes = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        String extraYaml = System.getenv().getOrDefault("PGHA_BENCH_EXTRA_YAML", "");
        io.pgha.core.model.SyncMode sync =
                io.pgha.core.model.SyncMode.parse(System.getenv().getOrDefault("PGHA_BENCH_SYNC", "off"));
        Path dir = Files.createTempDirectory("pgha-bench");
        benchDir = dir;
        int pg = FreePorts.block(3);
        int api = FreePorts.block(3);
        int zk = FreePorts.block(3, 100, 200);
        List<Run> runs = new ArrayList<>();
        boolean viaRouter = System.getenv("PGHA_BENCH_ROUTER") != null;
        boolean etcd = "etcd".equals(System.getenv("PGHA_BENCH_DCS"));
        // etcd: a 3-member etcd beside the nodes, as a production etcd would run (raft 50/500 ms)
        io.pgha.dcs.LocalEtcd etcdServers = etcd ? io.pgha.dcs.LocalEtcd.startFast(dir.resolve("etcd"), 3) : null;
        try (etcdServers;
                LocalCluster c = LocalCluster.create(new LocalCluster.Options(
                        "bench",
                        3,
                        dir,
                        pg,
                        api,
                        zk,
                        extraYaml,
                        etcd ? java.util.Collections.nCopies(3, etcdServers.endpoints()) : null,
                        etcd))) {
            c.startAll();
            await(() -> c.healthy(3), 180_000, "cluster healthy");
            if (sync != io.pgha.core.model.SyncMode.OFF) {
                c.dcs().updateConfig(cfg -> cfg.withSynchronous(sync, false, 1));
                await(
                        () -> {
                            try {
                                return c.dcs().read().sync().quorum() > 0;
                            } catch (io.pgha.dcs.DcsException e) {
                                return false;
                            }
                        },
                        60_000,
                        "a synchronous standby recorded");
            }
            Router router = null;
            String url = c.jdbcUrl();
            if (viaRouter) {
                int port = FreePorts.one();
                router = new Router(
                                "bench",
                                new RouterConfig(
                                        "bench-router",
                                        "127.0.0.1",
                                        port,
                                        0,
                                        16L * 1024 * 1024,
                                        true,
                                        10_000,
                                        10_000,
                                        RouterConfig.DEFAULT_MAX_MESSAGE_SIZE,
                                        null,
                                        null,
                                        "127.0.0.1",
                                        0),
                                c.dcs())
                        .start();
                url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
            }
            String noLibpq = LibpqWriter.unavailable();
            if (noLibpq != null) System.err.println("libpq client not measured: " + noLibpq);
            String dsn = c.libpqUrl() + "&connect_timeout=1";
            if (router != null)
                dsn = "postgresql://postgres@"
                        + url.substring("jdbc:postgresql://".length(), url.indexOf('/', "jdbc:postgresql://".length()))
                        + "/postgres?connect_timeout=1";
            try (Writer w = new Writer(url, "bench_writes").start();
                    LibpqWriter lw = noLibpq == null ? LibpqWriter.start(dsn, LIBPQ_TABLE) : null) {
                for (int i = 1; i <= crashes; i++) runs.add(crash(c, w, lw, i));
                for (int i = 1; i <= switchovers; i++) runs.add(switchover(c, w, lw, i));
                for (int i = 1; i <= postmasterCrashes; i++) runs.add(postmasterCrash(c, w, lw, i));
            } finally {
                if (router != null) {
                    System.err.println(router.metrics()
                            .scrape()
                            .lines()
                            .filter(l -> l.startsWith("pgha_router_") && !l.contains("bytes"))
                            .reduce("router meters:", (a, b) -> a + "\n  " + b));
                    router.close();
                }
            }
        } catch (Exception e) {
            System.err.println("benchmark failed; agent logs are kept in " + dir);
            throw e;
        }
        if (System.getenv("PGHA_BENCH_KEEP") == null) io.pgha.postgres.Directories.delete(dir);
        else System.err.println("agent logs kept in " + dir);
        String config = (sync == io.pgha.core.model.SyncMode.OFF ? "" : "synchronous_mode " + sync.label() + "; ")
                + (!extraYaml.isBlank()
                        ? extraYaml.replace('\n', ' ')
                        : etcd
                                ? "default timing (etcd: ttl 3 s, safety_margin 1.5 s)"
                                : "default timing (ZooKeeper: ttl 2.5 s, safety_margin 0.83 s)")
                + (etcd
                        ? "; DCS: a 3-member etcd, raft heartbeat 50 ms, election 500 ms"
                        : "; DCS: the ZooKeeper ensemble embedded in the agents");
        System.out.println(report(runs, config, viaRouter));
    }

    private static Run crash(LocalCluster c, Writer w, LibpqWriter lw, int n) throws Exception {
        String old = c.state().leader();
        int oldIndex = Integer.parseInt(old.substring(4));
        Run r = outage(c, w, lw, "crash " + n, "node crash (SIGKILL agent + postmaster)", "killing " + old, () -> {
            c.kill(oldIndex);
            await(() -> newLeader(c, old), 120_000, "new leader after crash " + n);
        });
        c.start(oldIndex);
        await(() -> c.healthy(3), 180_000, "old primary rejoined after crash " + n);
        return r.withAfterKeyMs(afterLeaderKeyMs(benchDir, r.to()));
    }

    /** SIGKILL of the primary's postmaster only: its agent, still holding the lease, restarts it. */
    private static Run postmasterCrash(LocalCluster c, Writer w, LibpqWriter lw, int n) throws Exception {
        String old = c.state().leader();
        int oldIndex = Integer.parseInt(old.substring(4));
        Run r = outage(
                c,
                w,
                lw,
                "postmaster crash " + n,
                "postmaster crash (SIGKILL postmaster, agent alive)",
                "killing the postmaster of " + old,
                () -> c.killPostmaster(oldIndex));
        await(() -> c.healthy(3), 180_000, "healthy after postmaster crash " + n);
        return r;
    }

    private interface Fault {
        void inject() throws Exception;
    }

    /** Injects {@code fault} under the load and measures the writes it cost, until both clients write again. */
    private static Run outage(
            LocalCluster c, Writer w, LibpqWriter lw, String label, String kind, String what, Fault fault)
            throws Exception {
        waitForAcks(w, lw, 100);
        String old = c.state().leader();
        long at = System.nanoTime();
        System.err.printf("%s: %s at %s%n", label, what, java.time.LocalTime.now(java.time.ZoneId.systemDefault()));
        fault.inject();
        waitForAcksAfter(w, lw, at, 50);
        String now = c.state().leader();
        Run r = new Run(
                kind,
                window(w, at),
                lost(c, w, now),
                old,
                now,
                lw == null ? -1 : lw.longestGapMsAfter(at - 50_000_000L),
                lw == null ? -1 : lostLibpq(c, lw, now),
                -1);
        System.err.printf(
                "%s: %s -> %s, unavailable %d ms (libpq %d ms), lost %d (libpq %d)%n",
                label, old, now, r.unavailableMs(), r.libpqMs(), r.lost(), r.libpqLost());
        return r;
    }

    private static Run switchover(LocalCluster c, Writer w, LibpqWriter lw, int n) throws Exception {
        waitForAcks(w, lw, 100);
        String old = c.state().leader();
        String target = "node" + (Integer.parseInt(old.substring(4)) % 3 + 1);
        long at = System.nanoTime();
        int rc = io.pgha.cli.Main.run("switchover", "-c", c.config(1).toString(), "--to", target, "--force");
        if (rc != 0) throw new IllegalStateException("switchover " + n + " failed");
        waitForAcksAfter(w, lw, at, 50);
        Run r = new Run(
                "planned switchover",
                window(w, at),
                lost(c, w, target),
                old,
                target,
                lw == null ? -1 : lw.longestGapMsAfter(at - 50_000_000L),
                lw == null ? -1 : lostLibpq(c, lw, target),
                -1);
        System.err.printf(
                "switchover %d: %s -> %s, unavailable %d ms (libpq %d ms), lost %d (libpq %d)%n",
                n, old, target, r.unavailableMs(), r.libpqMs(), r.lost(), r.libpqLost());
        await(() -> c.healthy(3), 180_000, "healthy after switchover " + n);
        return r.withAfterKeyMs(afterLeaderKeyMs(benchDir, target));
    }

    /** Whether a member other than {@code old} holds the lease and runs as a primary (shared with VipBench). */
    static boolean newLeader(LocalCluster c, String old) {
        try {
            ClusterState s = c.state();
            return s.leader() != null
                    && !s.leader().equals(old)
                    && s.leaderMember().map(m -> m.isRunningPrimary()).orElse(false);
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * The outage: the longest gap between two consecutive acknowledged writes from just before the
     * fault on (the old primary may still acknowledge for a few ms after the fault is injected).
     */
    private static long window(Writer w, long t) {
        Writer.Ack[] gap = w.longestGapAfter(t - 50_000_000L);
        if (gap != null) {
            System.err.printf(
                    "  writes stopped after %s, resumed at %s%n",
                    java.time.Instant.ofEpochMilli(gap[0].atMillis()),
                    java.time.Instant.ofEpochMilli(gap[1].atMillis()));
        }
        return w.longestGapMsAfter(t - 50_000_000L);
    }

    private static int lost(LocalCluster c, Writer w, String leader) throws Exception {
        List<Long> acked = List.copyOf(w.acked()); // before reading the table: acks keep coming in
        List<Long> missing = missing(c, leader, "bench_writes", acked, KNOWN_LOST);
        if (!missing.isEmpty()) {
            System.err.println("  missing on " + leader + ": " + missing + " (of " + acked.size() + " acknowledged)");
            for (int n = 1; n <= 3; n++) {
                try (Connection conn = DriverManager.getConnection(
                                "jdbc:postgresql://127.0.0.1:" + c.pgPort(n) + "/postgres?user=postgres");
                        Statement st = conn.createStatement();
                        ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE id = ANY(ARRAY" + missing
                                + "::bigint[])), max(id), pg_is_in_recovery() FROM bench_writes")) {
                    rs.next();
                    System.err.println("  node" + n + ": has " + rs.getLong(1) + " of them, max id " + rs.getLong(2)
                            + ", in recovery " + rs.getBoolean(3));
                } catch (Exception e) {
                    System.err.println("  node" + n + ": " + e.getMessage());
                }
            }
        }
        return missing.size();
    }

    private static void waitForAcks(Writer w, LibpqWriter lw, int more) throws InterruptedException {
        int target = w.ackedCount() + more;
        int libpqTarget = lw == null ? 0 : lw.ackedCount() + more;
        await(() -> w.ackedCount() >= target && (lw == null || lw.ackedCount() >= libpqTarget), 120_000, "writes");
    }

    private static void waitForAcksAfter(Writer w, LibpqWriter lw, long t, int n) throws InterruptedException {
        await(
                () -> w.acks().stream().filter(a -> a.atNanos() > t).count() >= n
                        && (lw == null || lw.acksAfter(t) >= n),
                120_000,
                "writes after the fault");
    }

    /** Acknowledged rows of the libpq writer missing on {@code leader} (each reported once). */
    private static int lostLibpq(LocalCluster c, LibpqWriter lw, String leader) throws Exception {
        List<Long> acked = List.copyOf(lw.acked());
        List<Long> missing = missing(c, leader, LIBPQ_TABLE, acked, KNOWN_LOST_LIBPQ);
        if (!missing.isEmpty())
            System.err.println("  libpq rows missing on " + leader + ": " + missing + " (of " + acked.size() + ")");
        return missing.size();
    }

    /**
     * The ids of {@code acked} that {@code table} on {@code leader} lacks and no earlier event
     * reported ({@code known}, to which they are added).
     */
    private static List<Long> missing(LocalCluster c, String leader, String table, List<Long> acked, Set<Long> known)
            throws Exception {
        int i = Integer.parseInt(leader.substring(4));
        Set<Long> present = new HashSet<>();
        try (Connection conn = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + c.pgPort(i) + "/postgres?user=postgres");
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) present.add(rs.getLong(1));
        }
        List<Long> missing = acked.stream()
                .filter(id -> !present.contains(id) && !known.contains(id))
                .toList();
        known.addAll(missing);
        return missing;
    }

    private static final Set<Long> KNOWN_LOST_LIBPQ = new HashSet<>();

    /** Polls {@code cond} every 50 ms; throws after {@code timeoutMs} (shared with VipBench). */
    static void await(BooleanSupplier cond, long timeoutMs, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    private static String report(List<Run> runs, String extraYaml, boolean viaRouter) {
        StringBuilder s = new StringBuilder();
        s.append("### Failover and switchover, ")
                .append(LocalDate.now(java.time.ZoneId.systemDefault()))
                .append("\n\n");
        s.append("Config: ")
                .append(extraYaml)
                .append(". Load: one client inserting a row per transaction ")
                .append(
                        viaRouter
                                ? "through the pgha router's read-write port (one JDBC URL, one host)"
                                : "through the multi-host JDBC URL (targetServerType=primary)")
                .append(", ~5 ms between writes; beside it, the same load from a libpq client (psycopg2,")
                .append(
                        viaRouter
                                ? " the router's read-write port"
                                : " a multi-host connection string with target_session_attrs=read-write")
                .append(", connect_timeout=1, a new connection 20 ms after an error; bench/libpq_writer.py).\n\n");
        s.append(
                "| # | event | from | to | writes unavailable, JDBC (ms) | libpq (ms) | acknowledged writes lost (JDBC / libpq) |"
                        + " new primary, leader key gone to writes (ms) |\n"
                        + "|---|---|---|---|---|---|---|---|\n");
        int n = 1;
        for (Run r : runs) {
            s.append("| ")
                    .append(n++)
                    .append(" | ")
                    .append(r.kind())
                    .append(" | ")
                    .append(r.from())
                    .append(" | ")
                    .append(r.to())
                    .append(" | ")
                    .append(r.unavailableMs())
                    .append(" | ")
                    .append(r.libpqMs() < 0 ? "-" : String.valueOf(r.libpqMs()))
                    .append(" | ")
                    .append(r.lost())
                    .append(" / ")
                    .append(r.libpqLost() < 0 ? "-" : String.valueOf(r.libpqLost()))
                    .append(" | ")
                    .append(r.afterKeyMs() < 0 ? "-" : String.valueOf(r.afterKeyMs()))
                    .append(" |\n");
        }
        s.append('\n');
        for (String kind : runs.stream().map(Run::kind).distinct().toList()) {
            List<Long> xs = runs.stream()
                    .filter(r -> r.kind().equals(kind))
                    .map(Run::unavailableMs)
                    .sorted()
                    .toList();
            int lost = runs.stream()
                    .filter(r -> r.kind().equals(kind))
                    .mapToInt(Run::lost)
                    .sum();
            List<Long> ls = runs.stream()
                    .filter(r -> r.kind().equals(kind) && r.libpqMs() >= 0)
                    .map(Run::libpqMs)
                    .sorted()
                    .toList();
            int libpqLost = runs.stream()
                    .filter(r -> r.kind().equals(kind))
                    .mapToInt(r -> Math.max(0, r.libpqLost()))
                    .sum();
            s.append("- ")
                    .append(kind)
                    .append(": JDBC median ")
                    .append(median(xs))
                    .append(" ms, max ")
                    .append(xs.get(xs.size() - 1))
                    .append(" ms");
            if (!ls.isEmpty())
                s.append("; libpq median ")
                        .append(median(ls))
                        .append(" ms, max ")
                        .append(ls.get(ls.size() - 1))
                        .append(" ms");
            List<Long> ks = runs.stream()
                    .filter(r -> r.kind().equals(kind) && r.afterKeyMs() >= 0)
                    .map(Run::afterKeyMs)
                    .sorted()
                    .toList();
            if (!ks.isEmpty())
                s.append("; of it the new primary's part (leader key gone to writes) median ")
                        .append(median(ks))
                        .append(" ms");
            s.append(" over ")
                    .append(xs.size())
                    .append(" runs; acknowledged writes lost in total: ")
                    .append(lost)
                    .append(ls.isEmpty() ? "" : " / " + libpqLost)
                    .append('\n');
        }
        return s.toString();
    }

    /** The median of a sorted, non-empty list (shared with VipBench). */
    static long median(List<Long> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
