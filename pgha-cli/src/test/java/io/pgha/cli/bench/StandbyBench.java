package io.pgha.cli.bench;

import io.pgha.cli.LocalCluster;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Two sites on loopback: a primary cluster "east" and a standby cluster "west" (2 nodes each,
 * streaming from east's host list). Under a pgbench write load on east it samples the lag between
 * the sites (bytes: east's WAL position minus west's replay; time: east's replay_lag of the standby
 * leader) every 100 ms; then stops east cleanly and times {@code pgha promote-cluster} until west
 * takes its first write. Run by {@code bench/standby.sh}; prints a Markdown report. Asserts
 * nothing.
 */
public final class StandbyBench {
    private record Round(List<Long> lagBytes, List<Long> lagMs, long promoteMs, long commandMs, double tps) {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        List<Round> done = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            System.err.println("round " + r);
            done.add(round(seconds));
        }
        System.out.println(report(done, seconds));
    }

    private static Round round(int seconds) throws Exception {
        Path dir = Files.createTempDirectory("pgha-bench-standby");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        EmbeddedZooKeeper zk =
                EmbeddedZooKeeper.standalone(FreePorts.one(), Files.createDirectories(dir.resolve("zk")));
        List<String> connect = Collections.nCopies(2, zk.connectString());
        LocalCluster east = null;
        LocalCluster west = null;
        try {
            east = LocalCluster.create(new LocalCluster.Options(
                    "east", 2, dir.resolve("east"), FreePorts.block(2), FreePorts.block(2), 0, null, connect));
            east.startAll();
            LocalCluster e = east;
            await(() -> e.healthy(2), 180_000, "east healthy");
            String hosts = "127.0.0.1:" + east.pgPort(1) + ",127.0.0.1:" + east.pgPort(2);
            west = LocalCluster.create(new LocalCluster.Options(
                    "west",
                    2,
                    dir.resolve("west"),
                    FreePorts.block(2),
                    FreePorts.block(2),
                    0,
                    "standby_cluster:\n  hosts: \"" + hosts + "\"\n",
                    connect));
            west.startAll();
            LocalCluster w = west;
            await(() -> w.healthy(2), 180_000, "west healthy");
            int p = primary(east);
            int leader = index(west.state().leader());
            pgbench(east, p, "-i", "-s", "5", "-q");
            String app = "west/node" + leader;
            await(() -> lagBytes(e, p, app) == 0, 60_000, "west caught up after pgbench -i");

            List<Long> bytes = new ArrayList<>();
            List<Long> ms = new ArrayList<>();
            Process load = pgbenchProcess(east, p, "-c", "4", "-j", "2", "-N", "-T", String.valueOf(seconds));
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                bytes.add(lagBytes(east, p, app));
                ms.add(replayLagMs(east, p, app));
                Thread.sleep(100);
            }
            String out = new String(load.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            load.waitFor(60, TimeUnit.SECONDS);
            double tps = out.lines()
                    .filter(l -> l.startsWith("tps = "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(6, l.indexOf(' ', 6))))
                    .findFirst()
                    .orElse(0);

            east.stop(3 - p);
            east.stop(p);
            long t0 = System.nanoTime();
            int rc =
                    io.pgha.cli.Main.run("promote-cluster", "-c", west.config(1).toString(), "--yes");
            long command = (System.nanoTime() - t0) / 1_000_000;
            if (rc != 0) throw new IllegalStateException("promote-cluster failed");
            await(() -> writable(w), 60_000, "west takes writes");
            long promote = (System.nanoTime() - t0) / 1_000_000;
            System.err.printf("  tps %.0f, promote %d ms (command %d ms)%n", tps, promote, command);
            return new Round(bytes, ms, promote, command, tps);
        } finally {
            if (west != null) west.close();
            if (east != null) east.close();
            zk.close();
            io.pgha.postgres.Directories.delete(dir);
        }
    }

    private static int primary(LocalCluster c) throws Exception {
        return index(c.state().leader());
    }

    private static int index(String name) {
        return Integer.parseInt(name.substring(4));
    }

    private static Connection connect(LocalCluster c, int i) throws Exception {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + c.pgPort(i) + "/postgres?user=postgres&connectTimeout=2");
    }

    private static String one(LocalCluster c, int i, String sql) throws Exception {
        try (Connection conn = connect(c, i);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Bytes between east's WAL position and what the standby leader reported replayed, read on east
     * in one query (two queries on two servers would read them at different moments).
     */
    private static long lagBytes(LocalCluster east, int p, String applicationName) {
        try {
            String v = one(
                    east,
                    p,
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint FROM pg_stat_replication"
                            + " WHERE application_name = '" + applicationName + "'");
            return v == null ? -1 : Long.parseLong(v);
        } catch (Exception e) {
            return -1;
        }
    }

    private static long replayLagMs(LocalCluster east, int p, String applicationName) {
        try {
            String v = one(
                    east,
                    p,
                    "SELECT coalesce((extract(epoch from replay_lag) * 1000)::bigint, 0) FROM pg_stat_replication"
                            + " WHERE application_name = '" + applicationName + "'");
            return v == null ? -1 : Long.parseLong(v);
        } catch (Exception e) {
            return -1;
        }
    }

    private static boolean writable(LocalCluster west) {
        try {
            ClusterState c = west.state();
            Member m = c.leaderMember().filter(Member::isRunningPrimary).orElse(null);
            if (m == null) return false;
            try (Connection conn = connect(west, index(m.name()));
                    Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS promoted (at timestamptz DEFAULT now())");
                st.execute("INSERT INTO promoted DEFAULT VALUES");
                return true;
            }
        } catch (Exception e) {
            return false;
        }
    }

    private static Process pgbenchProcess(LocalCluster c, int i, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                "/usr/lib/postgresql/15/bin/pgbench",
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(c.pgPort(i)),
                "-U",
                "postgres"));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static void pgbench(LocalCluster c, int i, String... args) throws Exception {
        Process p = pgbenchProcess(c, i, args);
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IllegalStateException("pgbench failed: " + out);
    }

    private static void await(BooleanSupplier cond, long timeoutMs, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    private static long percentile(List<Long> values, double p) {
        List<Long> v = values.stream().filter(x -> x >= 0).sorted().toList();
        if (v.isEmpty()) return -1;
        return v.get(Math.min(v.size() - 1, (int) Math.floor(p * (v.size() - 1))));
    }

    private static String report(List<Round> rounds, int seconds) {
        StringBuilder s = new StringBuilder("### Standby cluster: lag between sites and promotion, ")
                .append(LocalDate.now(java.time.ZoneId.systemDefault()))
                .append("\n\n")
                .append(
                        "Two 2-node clusters on loopback (\"east\" primary, \"west\" standby cluster streaming from east's"
                                + " host list). Load on east: pgbench -c 4 -j 2 -N (scale 5) for ")
                .append(seconds)
                .append(
                        " s; lag sampled every 100 ms on east from pg_stat_replication (bytes: east's WAL position minus the replay position the standby leader last reported; time: replay_lag). Promotion: east stopped cleanly, then `pgha promote-cluster --yes`"
                                + " until west's first write.\n\n")
                .append("| round | pgbench tps | lag bytes median | p95 | max | replay_lag ms median | p95 | max |"
                        + " promote-cluster returned (ms) | first write on west (ms) |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|\n");
        int n = 1;
        for (Round r : rounds) {
            s.append(String.format(
                    "| %d | %.0f | %d | %d | %d | %d | %d | %d | %d | %d |%n",
                    n++,
                    r.tps(),
                    percentile(r.lagBytes(), 0.5),
                    percentile(r.lagBytes(), 0.95),
                    percentile(r.lagBytes(), 1.0),
                    percentile(r.lagMs(), 0.5),
                    percentile(r.lagMs(), 0.95),
                    percentile(r.lagMs(), 1.0),
                    r.commandMs(),
                    r.promoteMs()));
        }
        return s.toString();
    }
}
