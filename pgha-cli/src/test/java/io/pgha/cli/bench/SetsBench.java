package io.pgha.cli.bench;

import io.pgha.cli.LocalCluster;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.testkit.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replication sets (issue 13), on two one-member pgha clusters "a" and "b" on loopback:
 *
 * <ol>
 *   <li>initial copy: {@code pgha sets subscribe --copy-schema} of pgbench's accounts, branches and
 *       tellers (scale S) from a to b, in MB/s of table data, against {@code pg_dump | psql} of the
 *       same tables on the same machine;
 *   <li>steady-state lag: pgbench -N (4 clients, libpq) on a for T seconds, the slot's lag in bytes
 *       and the walsender's replay_lag sampled every 200 ms;
 *   <li>moves: N moves back and forth, each by {@code ./pgha sets move} in a JVM of its own as a
 *       user runs it, while a JDBC writer updates a set table on whichever side accepts writes: the
 *       window pgha reports (lock to open), its steps, and the longest gap the writer saw.
 * </ol>
 *
 * Run by {@code bench/sets.sh [SCALE=10] [SECONDS=30] [MOVES=6]}; prints a Markdown report. Asserts
 * nothing.
 */
public final class SetsBench {
    private static final String BIN = "/usr/lib/postgresql/15/bin/";

    public static void main(String[] args) throws Exception {
        int scale = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int moves = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        Path dir = Files.createTempDirectory("pgha-bench-sets");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        EmbeddedZooKeeper zk =
                EmbeddedZooKeeper.standalone(FreePorts.one(), Files.createDirectories(dir.resolve("zk")));
        LocalCluster a = null;
        LocalCluster b = null;
        try {
            a = cluster(dir, zk, "a");
            b = cluster(dir, zk, "b");
            LocalCluster fa = a;
            LocalCluster fb = b;
            await(() -> fa.healthy(1) && fb.healthy(1), 180_000, "clusters healthy");
            String cfg = a.config(1).toString();
            run(a, "pgbench", "-i", "-s", String.valueOf(scale), "-q");
            double mb = Double.parseDouble(one(
                    a,
                    "SELECT (pg_table_size('pgbench_accounts') + pg_table_size("
                            + "'pgbench_branches') + pg_table_size('pgbench_tellers')) / 1048576.0"));
            Path doc = dir.resolve("sets.yaml");
            Files.writeString(
                    doc,
                    "replication_sets:\n  sequence_sync_interval: 0\n  nodes:\n    a: {cluster: a}\n"
                            + "    b: {cluster: b}\n  sets:\n    bench:\n      origin: a\n"
                            + "      tables: [pgbench_accounts, pgbench_branches, pgbench_tellers]\n");
            pgha("sets", "apply", "-f", doc.toString(), "-c", cfg);

            // 1. initial copy, pgha against pg_dump | psql
            long t0 = System.nanoTime();
            pgha("sets", "subscribe", "bench", "--node", "b", "--copy-schema", "-c", cfg);
            double pghaSeconds = (System.nanoTime() - t0) / 1e9;
            exec(b, "CREATE DATABASE dumpcopy");
            t0 = System.nanoTime();
            Process dump = new ProcessBuilder(
                            "bash",
                            "-c",
                            BIN + "pg_dump -h 127.0.0.1 -p " + a.pgPort(1)
                                    + " -U postgres -t pgbench_accounts -t pgbench_branches -t pgbench_tellers postgres | "
                                    + BIN + "psql -X -q -h 127.0.0.1 -p " + b.pgPort(1) + " -U postgres -d dumpcopy")
                    .redirectErrorStream(true)
                    .start();
            String dumpOut = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!dump.waitFor(600, TimeUnit.SECONDS) || dump.exitValue() != 0)
                throw new IllegalStateException("pg_dump | psql failed: " + dumpOut);
            double dumpSeconds = (System.nanoTime() - t0) / 1e9;

            // 2. steady-state lag under pgbench -N
            List<Long> lagBytes = new ArrayList<>();
            List<Long> lagMs = new ArrayList<>();
            Process load = process(a, "pgbench", "-c", "4", "-j", "2", "-N", "-T", String.valueOf(seconds));
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                String[] v = one(
                                a,
                                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint,"
                                        + " coalesce((extract(epoch FROM r.replay_lag) * 1000)::bigint, 0)"
                                        + " FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid"
                                        + " WHERE s.slot_name = 'pghaset_bench_b'")
                        .split("\\|");
                lagBytes.add(Long.parseLong(v[0]));
                lagMs.add(Long.parseLong(v[1]));
                Thread.sleep(200);
            }
            String out = new String(load.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            load.waitFor(60, TimeUnit.SECONDS);
            double tps = out.lines()
                    .filter(l -> l.startsWith("tps = "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(6, l.indexOf(' ', 6))))
                    .findFirst()
                    .orElse(0);

            // 3. moves under a writer
            Writer w = new Writer(List.of(url(a), url(b)));
            String noLibpq = LibpqWriter.unavailable();
            LibpqGaps lw = noLibpq == null ? new LibpqGaps(Math.min(2, scale), List.of(dsn(a), dsn(b))) : null;
            List<Long> reported = new ArrayList<>();
            List<Long> seen = new ArrayList<>();
            List<Long> seenLibpq = new ArrayList<>();
            List<String> steps = new ArrayList<>();
            String to = "b";
            Thread.sleep(1000);
            for (int i = 0; i < moves; i++) {
                w.gaps.clear();
                if (lw != null) lw.gaps.clear();
                String text = launcher("sets", "move", "bench", "--to", to, "-c", cfg);
                Matcher m =
                        Pattern.compile("refused for (\\d+) ms \\(([^)]*)\\)").matcher(text);
                if (m.find()) {
                    reported.add(Long.parseLong(m.group(1)));
                    steps.add(m.group(2));
                }
                Thread.sleep(1500);
                synchronized (w.gaps) {
                    seen.add(w.gaps.isEmpty() ? 0L : Collections.max(w.gaps));
                }
                if (lw != null) {
                    synchronized (lw.gaps) {
                        seenLibpq.add(lw.gaps.isEmpty() ? 0L : Collections.max(lw.gaps));
                    }
                }
                to = to.equals("b") ? "a" : "b";
            }
            w.close();
            if (lw != null) lw.close();
            System.out.println(report(
                    scale,
                    mb,
                    pghaSeconds,
                    dumpSeconds,
                    seconds,
                    tps,
                    lagBytes,
                    lagMs,
                    reported,
                    seen,
                    lw == null ? null : seenLibpq,
                    noLibpq,
                    steps,
                    w.writes.get()));
        } finally {
            if (b != null) b.close();
            if (a != null) a.close();
            zk.close();
            io.pgha.postgres.Directories.delete(dir);
        }
    }

    private static String report(
            int scale,
            double mb,
            double pghaSeconds,
            double dumpSeconds,
            int seconds,
            double tps,
            List<Long> lagBytes,
            List<Long> lagMs,
            List<Long> reported,
            List<Long> seen,
            List<Long> seenLibpq,
            String noLibpq,
            List<String> steps,
            long writes) {
        StringBuilder s = new StringBuilder();
        s.append("pgbench scale ")
                .append(scale)
                .append(": accounts, branches and tellers, ")
                .append(String.format("%.0f MB of table data", mb))
                .append(".\n\n");
        s.append("| initial copy | seconds | MB/s |\n|---|---|---|\n");
        s.append(String.format(
                "| `pgha sets subscribe --copy-schema` (schema, copy, catch-up) | %.1f | %.1f |%n",
                pghaSeconds, mb / pghaSeconds));
        s.append(String.format(
                "| `pg_dump -t ... \\| psql` (schema, data, indexes) | %.1f | %.1f |%n",
                dumpSeconds, mb / dumpSeconds));
        s.append("\nSteady state: pgbench -N, 4 clients, ")
                .append(seconds)
                .append(String.format(" s, %.0f tps", tps))
                .append(" on the origin; the subscriber's lag sampled every 200 ms:\n\n");
        s.append("| lag | median | p95 | max |\n|---|---|---|---|\n");
        s.append(String.format("| bytes | %d | %d | %d |%n", pct(lagBytes, 50), pct(lagBytes, 95), pct(lagBytes, 100)));
        s.append(String.format("| replay_lag, ms | %d | %d | %d |%n", pct(lagMs, 50), pct(lagMs, 95), pct(lagMs, 100)));
        s.append("\nMoves back and forth (")
                .append(reported.size())
                .append(") under a JDBC writer (")
                .append(writes)
                .append(" writes in all):\n\n");
        s.append("| write-blocked window, ms | median | max | each |\n|---|---|---|---|\n");
        s.append(String.format(
                "| reported by pgha (lock to open) | %d | %d | %s |%n",
                pct(reported, 50), pct(reported, 100), reported));
        s.append(String.format(
                "| longest gap the JDBC writer saw | %d | %d | %s |%n", pct(seen, 50), pct(seen, 100), seen));
        if (seenLibpq != null)
            s.append(String.format(
                    "| longest gap the libpq (psycopg2) writer saw | %d | %d | %s |%n",
                    pct(seenLibpq, 50), pct(seenLibpq, 100), seenLibpq));
        else s.append("\n(no libpq writer: ").append(noLibpq).append(")\n");
        s.append("\nSteps of each move, as pgha reports them:\n\n");
        for (String st : steps) s.append("- ").append(st).append('\n');
        return s.toString();
    }

    private static long pct(List<Long> values, int p) {
        if (values.isEmpty()) return 0;
        List<Long> v = new ArrayList<>(values);
        Collections.sort(v);
        int i = (int) Math.ceil(p / 100.0 * v.size()) - 1;
        return v.get(Math.max(0, Math.min(v.size() - 1, i)));
    }

    /** Updates pgbench_branches on whichever side accepts writes; records the gaps between successes. */
    static final class Writer implements AutoCloseable {
        final AtomicLong writes = new AtomicLong();
        final List<Long> gaps = Collections.synchronizedList(new ArrayList<>());
        private final List<String> urls;
        private final Thread thread;
        private volatile boolean running = true;

        Writer(List<String> urls) {
            this.urls = urls;
            thread = new Thread(this::loop, "sets-bench-writer");
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            int target = 0;
            long last = System.nanoTime();
            while (running) {
                try (Connection c = DriverManager.getConnection(urls.get(target));
                        Statement st = c.createStatement()) {
                    while (running) {
                        st.execute("UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1");
                        long now = System.nanoTime();
                        gaps.add((now - last) / 1_000_000);
                        last = now;
                        writes.incrementAndGet();
                        Thread.sleep(5);
                    }
                } catch (SQLException e) {
                    target = (target + 1) % urls.size();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(10_000);
        }
    }

    private static LocalCluster cluster(Path dir, EmbeddedZooKeeper zk, String name) throws Exception {
        LocalCluster c = LocalCluster.create(new LocalCluster.Options(
                name,
                1,
                dir.resolve(name),
                FreePorts.block(1),
                FreePorts.block(1),
                0,
                null,
                List.of(zk.connectString())));
        Path f = c.config(1);
        String yaml = Files.readString(f);
        Files.writeString(f, yaml.replace("    fsync: 'on'\n", "    fsync: 'on'\n    wal_level: logical\n"));
        c.startAll();
        return c;
    }

    private static String dsn(LocalCluster c) {
        return "host=127.0.0.1 port=" + c.pgPort(1) + " dbname=postgres user=postgres connect_timeout=2";
    }

    /**
     * bench/sets_libpq_writer.py: psycopg2 updating another row of pgbench_branches on whichever
     * server accepts writes; the gaps between its acknowledgements.
     */
    static final class LibpqGaps implements AutoCloseable {
        final List<Long> gaps = Collections.synchronizedList(new ArrayList<>());
        private final Process process;
        private final Thread reader;

        LibpqGaps(int bid, List<String> dsns) throws java.io.IOException {
            List<String> cmd = new ArrayList<>(List.of(
                    LibpqWriter.PYTHON,
                    Path.of("bench", "sets_libpq_writer.py").toAbsolutePath().toString(),
                    String.valueOf(bid)));
            cmd.addAll(dsns);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            process = pb.start();
            reader = new Thread(this::read, "sets-bench-libpq");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
                long last = -1;
                String line;
                while ((line = in.readLine()) != null) {
                    long at = Long.parseLong(line.trim());
                    if (last >= 0) gaps.add((at - last) / 1_000_000);
                    last = at;
                }
            } catch (java.io.IOException | NumberFormatException e) {
                // the process ended
            }
        }

        @Override
        public void close() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
            reader.join(5000);
        }
    }

    private static String url(LocalCluster c) {
        return "jdbc:postgresql://127.0.0.1:" + c.pgPort(1) + "/postgres?user=postgres&connectTimeout=2";
    }

    private static String one(LocalCluster c, String sql) throws Exception {
        try (Connection conn = DriverManager.getConnection(url(c));
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            StringBuilder b = new StringBuilder();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++)
                b.append(i > 1 ? "|" : "").append(rs.getString(i));
            return b.toString();
        }
    }

    private static void exec(LocalCluster c, String sql) throws Exception {
        try (Connection conn = DriverManager.getConnection(url(c));
                Statement st = conn.createStatement()) {
            st.execute(sql);
        }
    }

    private static Process process(LocalCluster c, String tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(
                List.of(BIN + tool, "-h", "127.0.0.1", "-p", String.valueOf(c.pgPort(1)), "-U", "postgres"));
        cmd.addAll(List.of(args));
        cmd.add("postgres");
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static void run(LocalCluster c, String tool, String... args) throws Exception {
        Process p = process(c, tool, args);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new IllegalStateException(tool + " failed: " + out);
    }

    /** Runs pgha in this JVM and returns what it printed; fails unless it exits 0. */
    /**
     * Runs pgha as a user does: README's launcher ./pgha (its JVM options, the jar the bench script
     * has just built), so that a move pays for a cold start as it would.
     */
    private static String launcher(String... args) throws Exception {
        List<String> cmd =
                new ArrayList<>(List.of(Path.of("pgha").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        System.err.print(text);
        if (rc != 0) throw new IllegalStateException("pgha " + String.join(" ", args) + " failed:\n" + text);
        return text;
    }

    private static String pgha(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            rc = io.pgha.cli.Main.run(args);
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        System.err.print(text);
        if (rc != 0) throw new IllegalStateException("pgha " + String.join(" ", args) + " failed:\n" + text);
        return text;
    }

    private static void await(java.util.function.BooleanSupplier c, long ms, String what) throws Exception {
        long until = System.currentTimeMillis() + ms;
        while (!c.getAsBoolean()) {
            if (System.currentTimeMillis() > until) throw new IllegalStateException("timed out: " + what);
            Thread.sleep(300);
        }
    }
}
