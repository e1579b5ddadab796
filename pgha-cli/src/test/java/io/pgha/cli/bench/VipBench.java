package io.pgha.cli.bench;

import static io.pgha.cli.bench.FailoverBench.await;
import static io.pgha.cli.bench.FailoverBench.median;

import io.pgha.cli.LocalCluster;
import io.pgha.core.config.DynamicSettings;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.NetLab;
import io.pgha.testkit.Writer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Measures what a virtual IP costs a client in a node crash, against the same client using the
 * multi-host connection string. Three members in network namespaces of their own on one bridge
 * ({@link NetLab}), pgha's own {@code ip} resource following the primary, and four writers in this
 * JVM (the root namespace, which reaches the lab through the bridge) writing all the time: pgJDBC
 * and libpq (psycopg2, {@code bench/libpq_writer.py}), each once through the VIP and once through
 * the multi-host string of the three node addresses. Each run kills the primary (agent and every
 * PostgreSQL process) and pulls its cable at once, as a dead machine takes its address with it;
 * then the node comes back (without the VIP, as a rebooted machine would) and rejoins before the
 * next run. Run by {@code bench/vip.sh}; prints a Markdown report. Not a test: it asserts nothing.
 *
 * <p>Per client: the time from the crash to the first acknowledged write after the outage, and the
 * writes unavailable (the longest gap between two consecutive acknowledged writes from just before
 * the crash on, as {@link FailoverBench} measures it). Beside them: when the new primary showed in
 * the DCS, when the VIP was added on it and when the root namespace's neighbour (ARP) entry for the
 * VIP moved to it, all seen through {@code ip monitor} (events, nothing polled).
 */
public final class VipBench {
    private static final String[] CLIENTS = {"JDBC, VIP", "JDBC, multi-host", "libpq, VIP", "libpq, multi-host"};

    /** One crash; times in ms after it, -1 where not seen; per client in the order of {@link #CLIENTS}. */
    private record Run(
            String from,
            String to,
            long killMs,
            long leaderMs,
            long vipMs,
            long arpMs,
            long[] reachedMs,
            long[] unavailableMs) {}

    /** A writer seen through its acknowledgements. */
    private interface Client {
        long acked();

        long acksAfter(long nanos);

        /** {last acknowledgement before, first after} of the longest pause ending after {@code nanos}, or null. */
        long[] longestGapAfter(long nanos);
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Optional<String> why = NetLab.unavailable();
        if (why.isPresent()) {
            System.err.println("network namespaces are not available here (run as root): " + why.get());
            System.exit(2);
        }
        String noLibpq = LibpqWriter.unavailable();
        if (noLibpq != null) System.err.println("libpq clients not measured: " + noLibpq);
        String extraYaml = System.getenv().getOrDefault("PGHA_BENCH_EXTRA_YAML", "");
        String loadBefore = loadAverage();
        Path dir = Files.createTempDirectory("pgha-bench-vip");
        List<Run> results = new ArrayList<>();
        NetLab lab = null;
        LocalCluster cluster = null;
        Watch watch = null;
        List<AutoCloseable> writers = new ArrayList<>();
        boolean ok = false;
        try {
            lab = NetLab.create(3);
            String vip = lab.freeAddress();
            List<String> hosts = new ArrayList<>();
            List<List<String>> prefixes = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                hosts.add(lab.address(i));
                prefixes.add(lab.exec(lab.namespace(i)));
            }
            cluster = LocalCluster.create(new LocalCluster.Options(
                            "vipbench",
                            3,
                            dir,
                            FreePorts.block(1),
                            FreePorts.block(1),
                            FreePorts.block(1, 100, 200),
                            extraYaml,
                            null)
                    .on(hosts, prefixes, List.of(lab.subnet())));
            LocalCluster c = cluster;
            c.startAll();
            await(() -> c.healthy(3), 180_000, "cluster healthy");
            watch = new Watch(lab, vip);
            Map<String, Object> resources = new LinkedHashMap<>();
            resources.put(
                    "vip",
                    Map.of(
                            "kind",
                            "ip",
                            "address",
                            vip + "/24",
                            "interface",
                            "eth0",
                            "monitor",
                            Map.of("interval", "1s")));
            c.dcs().updateConfig(cfg -> DynamicSettings.apply(cfg, Map.of("resources", resources)));
            int port = c.pgPort(1);
            String vipJdbc = "jdbc:postgresql://" + vip + ":" + port + "/postgres?user=postgres&connectTimeout=1";
            await(() -> writable(vipJdbc), 60_000, "the VIP on the primary");
            System.err.println("VIP " + vip + " reaches the primary; lab " + lab);

            List<Client> clients = new ArrayList<>();
            Writer jv = new Writer(vipJdbc, "bench_vip_jdbc").start();
            writers.add(jv);
            clients.add(jdbc(jv));
            Writer jm = new Writer(c.jdbcUrl() + "&connectTimeout=1", "bench_multi_jdbc").start();
            writers.add(jm);
            clients.add(jdbc(jm));
            if (noLibpq == null) {
                LibpqWriter lv = LibpqWriter.start(
                        "host=" + vip + " port=" + port + " user=postgres dbname=postgres connect_timeout=1",
                        "bench_vip_libpq");
                writers.add(lv);
                clients.add(libpq(lv));
                LibpqWriter lm = LibpqWriter.start(
                        "host=" + String.join(",", hosts) + " port=" + port + "," + port + "," + port
                                + " user=postgres dbname=postgres target_session_attrs=read-write connect_timeout=1",
                        "bench_multi_libpq");
                writers.add(lm);
                clients.add(libpq(lm));
            }
            for (int n = 1; n <= runs; n++) results.add(crash(c, lab, watch, vip, clients, n));
            ok = true;
        } catch (Exception e) {
            System.err.println("benchmark failed; agent logs are kept in " + dir);
            throw e;
        } finally {
            for (AutoCloseable w : writers) closeQuietly(w);
            closeQuietly(watch);
            if (cluster != null) closeQuietly(cluster);
            if (lab != null) closeQuietly(lab);
        }
        if (ok && System.getenv("PGHA_BENCH_KEEP") == null) io.pgha.postgres.Directories.delete(dir);
        else System.err.println("agent logs kept in " + dir);
        String config = extraYaml.isBlank()
                ? "default timing (ttl 2.5 s, loop_wait 1 s); DCS: the ZooKeeper ensemble embedded in the agents"
                : extraYaml.replace('\n', ' ');
        System.out.println(report(runs, results, config, noLibpq, loadBefore, loadAverage()));
    }

    // ------------------------------------------------------------------ one crash

    private static Run crash(LocalCluster c, NetLab lab, Watch watch, String vip, List<Client> clients, int n)
            throws Exception {
        long more = 100;
        List<Long> targets = clients.stream().map(x -> x.acked() + more).toList();
        await(
                () -> {
                    for (int k = 0; k < clients.size(); k++) if (clients.get(k).acked() < targets.get(k)) return false;
                    return true;
                },
                120_000,
                "writes of every client before crash " + n);
        String old = c.state().leader();
        int oldIndex = index(old);
        System.err.printf(
                "crash %d: killing %s and cutting it off at %s%n",
                n, old, java.time.LocalTime.now(java.time.ZoneId.systemDefault()));
        long t0 = System.nanoTime();
        c.kill(oldIndex);
        lab.cut(oldIndex);
        long killed = System.nanoTime();
        AtomicReference<String> next = new AtomicReference<>();
        await(
                () -> {
                    if (!FailoverBench.newLeader(c, old)) return false;
                    try {
                        next.set(c.state().leader());
                        return true;
                    } catch (Exception e) {
                        return false;
                    }
                },
                120_000,
                "new primary after crash " + n);
        long leaderAt = System.nanoTime();
        int newIndex = index(next.get());
        await(() -> watch.added(newIndex, t0) > 0, 60_000, "the VIP on node" + newIndex + " after crash " + n);
        await(
                () -> clients.stream().allMatch(x -> x.acksAfter(t0) >= 50),
                120_000,
                "writes of every client after crash " + n);
        long vipAt = watch.added(newIndex, t0);
        long arpAt = watch.neighbourMovedTo(mac(lab, newIndex), t0);
        long[] reached = new long[CLIENTS.length];
        long[] unavailable = new long[CLIENTS.length];
        java.util.Arrays.fill(reached, -1);
        java.util.Arrays.fill(unavailable, -1);
        for (int k = 0; k < clients.size(); k++) {
            long[] gap = clients.get(k).longestGapAfter(t0 - 50_000_000L);
            if (gap == null) continue;
            reached[k] = ms(gap[1] - t0);
            unavailable[k] = ms(gap[1] - gap[0]);
        }
        Run r = new Run(
                old,
                next.get(),
                ms(killed - t0),
                ms(leaderAt - t0),
                ms(vipAt - t0),
                arpAt < 0 ? -1 : ms(arpAt - t0),
                reached,
                unavailable);
        System.err.printf(
                "crash %d: %s -> %s; kill+cut %d ms, new primary seen %d ms, VIP added %d ms, ARP entry moved %s;"
                        + " first write (ms after the crash) / unavailable (ms):",
                n,
                old,
                next.get(),
                r.killMs(),
                r.leaderMs(),
                r.vipMs(),
                r.arpMs() < 0 ? "not seen" : r.arpMs() + " ms");
        for (int k = 0; k < clients.size(); k++)
            System.err.printf(" %s %d / %d;", CLIENTS[k], reached[k], unavailable[k]);
        System.err.println();
        System.err.println("  neighbour entry of the VIP in the root namespace: " + watch.neighbourLog(t0));

        // the node comes back as a rebooted machine would: without the addresses it had
        NetLab.run(
                null,
                Duration.ofSeconds(10),
                "ip",
                "-n",
                lab.namespace(oldIndex),
                "addr",
                "del",
                vip + "/24",
                "dev",
                "eth0");
        lab.restore(oldIndex);
        c.start(oldIndex);
        await(() -> c.healthy(3), 180_000, "old primary rejoined after crash " + n);
        return r;
    }

    private static boolean writable(String url) {
        try (Connection conn = DriverManager.getConnection(url);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            return rs.next() && !rs.getBoolean(1);
        } catch (Exception e) {
            return false;
        }
    }

    private static Client jdbc(Writer w) {
        return new Client() {
            @Override
            public long acked() {
                return w.ackedCount();
            }

            @Override
            public long acksAfter(long nanos) {
                return w.acks().stream().filter(a -> a.atNanos() > nanos).count();
            }

            @Override
            public long[] longestGapAfter(long nanos) {
                Writer.Ack[] g = w.longestGapAfter(nanos);
                return g == null ? null : new long[] {g[0].atNanos(), g[1].atNanos()};
            }
        };
    }

    private static Client libpq(LibpqWriter w) {
        return new Client() {
            @Override
            public long acked() {
                return w.ackedCount();
            }

            @Override
            public long acksAfter(long nanos) {
                return w.acksAfter(nanos);
            }

            @Override
            public long[] longestGapAfter(long nanos) {
                return w.longestGapAfter(nanos);
            }
        };
    }

    private static int index(String member) {
        return Integer.parseInt(member.substring("node".length()));
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000L;
    }

    private static String mac(NetLab lab, int i) throws IOException {
        String out = NetLab.run(null, Duration.ofSeconds(5), "ip", "-n", lab.namespace(i), "-o", "link", "show", "eth0")
                .output();
        int at = out.indexOf("link/ether ");
        return out.substring(at + 11, at + 28).toLowerCase(Locale.ROOT);
    }

    private static void closeQuietly(AutoCloseable x) {
        if (x == null) return;
        try {
            x.close();
        } catch (Exception e) {
            System.err.println("closing " + x + " failed: " + e);
        }
    }

    // ------------------------------------------------------------------ watching addresses and ARP

    /**
     * {@code ip monitor address} in every member's namespace and {@code ip monitor neigh} in the root
     * namespace, each line about the VIP kept with the time it was read.
     */
    private static final class Watch implements AutoCloseable {
        /** {@code member} 0: the root namespace's neighbour table. */
        private record Event(long atNanos, int member, String line) {}

        private final String vip;
        private final List<Process> processes = new ArrayList<>();
        private final List<Event> events = Collections.synchronizedList(new ArrayList<>());

        Watch(NetLab lab, String vip) throws IOException {
            this.vip = vip;
            try {
                for (int i = 1; i <= lab.members(); i++) follow(i, "ip", "-n", lab.namespace(i), "monitor", "address");
                follow(0, "ip", "monitor", "neigh");
            } catch (IOException e) {
                close();
                throw e;
            }
        }

        private void follow(int member, String... cmd) throws IOException {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            processes.add(p);
            Thread t = new Thread(
                    () -> {
                        try (BufferedReader in =
                                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                            String line;
                            while ((line = in.readLine()) != null) {
                                long now = System.nanoTime();
                                if (aboutVip(member, line.trim())) events.add(new Event(now, member, line.trim()));
                            }
                        } catch (IOException e) {
                            // the monitor ended
                        }
                    },
                    "ip-monitor-" + member);
            t.setDaemon(true);
            t.start();
        }

        private boolean aboutVip(int member, String line) {
            if (member > 0) return line.contains(" inet " + vip + "/");
            String[] f = line.split("\\s+");
            return f.length > 1 && (f[0].equals(vip) || (f[0].equals("Deleted") && f[1].equals(vip)));
        }

        /** When the VIP was first added on {@code member} after {@code after} (nanoTime), or -1. */
        long added(int member, long after) {
            synchronized (events) {
                return events.stream()
                        .filter(e -> e.member() == member
                                && e.atNanos() > after
                                && !e.line().startsWith("Deleted"))
                        .mapToLong(Event::atNanos)
                        .findFirst()
                        .orElse(-1);
            }
        }

        /** When the root namespace's entry for the VIP first carried {@code mac} after {@code after}, or -1. */
        long neighbourMovedTo(String mac, long after) {
            synchronized (events) {
                return events.stream()
                        .filter(e -> e.member() == 0
                                && e.atNanos() > after
                                && !e.line().startsWith("Deleted")
                                && e.line().toLowerCase(Locale.ROOT).contains("lladdr " + mac))
                        .mapToLong(Event::atNanos)
                        .findFirst()
                        .orElse(-1);
            }
        }

        /** The neighbour entry's changes after {@code after}, with ms since then. */
        String neighbourLog(long after) {
            synchronized (events) {
                List<String> out = events.stream()
                        .filter(e -> e.member() == 0 && e.atNanos() > after)
                        .map(e -> "+" + ms(e.atNanos() - after) + "ms " + e.line())
                        .toList();
                return out.isEmpty() ? "no change" : String.join("; ", out);
            }
        }

        @Override
        public void close() {
            for (Process p : processes) p.destroy();
            for (Process p : processes) {
                try {
                    if (!p.waitFor(5, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        p.waitFor(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    // ------------------------------------------------------------------ the report

    private static String report(
            int asked, List<Run> runs, String config, String noLibpq, String loadBefore, String loadAfter) {
        StringBuilder s = new StringBuilder();
        s.append("### Virtual IP against the multi-host string, ")
                .append(LocalDate.now(java.time.ZoneId.systemDefault()))
                .append("\n\n");
        s.append("**Command:** `bench/vip.sh ").append(asked).append("`\n\n");
        s.append("**Machine:** ").append(machine()).append(". Load average (1, 5, 15 min) before: ");
        s.append(loadBefore).append("; after: ").append(loadAfter).append(".\n\n");
        s.append("**Setup:** three members, each in a network namespace of its own on one bridge (agent, ZooKeeper"
                + " peer, PostgreSQL on its own address); ");
        s.append(
                "pgha's own `ip` resource (`interface: eth0`, /24, monitor every 1 s) following the primary. Config: ");
        s.append(config).append(".\n\n");
        s.append("**Load:** four clients in the benchmark JVM (root namespace, through the bridge), each inserting a"
                + " row per autocommit transaction ~5 ms apart, a new connection 20 ms after an error, all with a"
                + " connect timeout of 1 s: pgJDBC to `VIP:port` and to the multi-host URL of the three node addresses"
                + " (`targetServerType=primary`); libpq (psycopg2, `bench/libpq_writer.py`) to `host=VIP` and to"
                + " `host=a,b,c` with `target_session_attrs=read-write`");
        if (noLibpq != null)
            s.append(" (libpq not measured here: ").append(noLibpq).append(')');
        s.append(".\n\n");
        s.append("**Crash:** SIGKILL of the primary's agent (with its ZooKeeper peer) and all its PostgreSQL processes,"
                + " then its bridge port down at once (a dead machine takes its address, and the VIP on it, with it)."
                + " The node then comes back without the VIP (as a rebooted machine) and rejoins before the next run."
                + " Times are ms after the kill began.\n\n");
        s.append("| # | from | to | kill + cut done | new primary in the DCS | VIP added on it"
                + " | client's ARP entry moved | first write: JDBC VIP | JDBC multi-host | libpq VIP"
                + " | libpq multi-host |\n");
        s.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        int n = 1;
        for (Run r : runs) {
            s.append("| ")
                    .append(n++)
                    .append(" | ")
                    .append(r.from())
                    .append(" | ")
                    .append(r.to())
                    .append(" | ")
                    .append(r.killMs())
                    .append(" | ")
                    .append(r.leaderMs())
                    .append(" | ")
                    .append(r.vipMs())
                    .append(" | ")
                    .append(cell(r.arpMs()));
            for (long x : r.reachedMs()) s.append(" | ").append(cell(x));
            s.append(" |\n");
        }
        s.append("\nWrites unavailable (longest gap between two acknowledged writes, ms):\n\n");
        s.append("| # | JDBC VIP | JDBC multi-host | JDBC VIP − multi-host | libpq VIP | libpq multi-host"
                + " | libpq VIP − multi-host |\n");
        s.append("|---|---|---|---|---|---|---|\n");
        n = 1;
        for (Run r : runs) {
            long[] u = r.unavailableMs();
            s.append("| ")
                    .append(n++)
                    .append(" | ")
                    .append(cell(u[0]))
                    .append(" | ")
                    .append(cell(u[1]))
                    .append(" | ")
                    .append(diff(u[0], u[1]))
                    .append(" | ")
                    .append(cell(u[2]))
                    .append(" | ")
                    .append(cell(u[3]))
                    .append(" | ")
                    .append(diff(u[2], u[3]))
                    .append(" |\n");
        }
        s.append('\n');
        summary(s, "new primary in the DCS", runs.stream().map(Run::leaderMs).toList());
        summary(s, "VIP added on the new primary", runs.stream().map(Run::vipMs).toList());
        summary(
                s,
                "client's ARP entry for the VIP moved",
                runs.stream().map(Run::arpMs).toList());
        for (int k = 0; k < CLIENTS.length; k++) {
            int kk = k;
            summary(
                    s,
                    "first write, " + CLIENTS[k],
                    runs.stream().map(r -> r.reachedMs()[kk]).toList());
        }
        for (int k = 0; k < CLIENTS.length; k++) {
            int kk = k;
            summary(
                    s,
                    "writes unavailable, " + CLIENTS[k],
                    runs.stream().map(r -> r.unavailableMs()[kk]).toList());
        }
        for (int k = 0; k < CLIENTS.length; k += 2) {
            int kk = k;
            List<Long> d = runs.stream()
                    .filter(r -> r.unavailableMs()[kk] >= 0 && r.unavailableMs()[kk + 1] >= 0)
                    .map(r -> r.unavailableMs()[kk] - r.unavailableMs()[kk + 1])
                    .toList();
            differences(
                    s, "VIP minus multi-host, writes unavailable, " + CLIENTS[k].split(",")[0] + " (aim: < 100 ms)", d);
        }
        return s.toString();
    }

    /** Median and max of {@code values} (-1: not measured, left out). */
    private static void summary(StringBuilder s, String what, List<Long> values) {
        differences(s, what, values.stream().filter(x -> x >= 0).toList());
    }

    /** Median and max of {@code values}, negative ones included. */
    private static void differences(StringBuilder s, String what, List<Long> values) {
        List<Long> xs = values.stream().sorted().toList();
        s.append("- ").append(what).append(": ");
        if (xs.isEmpty()) s.append("not measured\n");
        else
            s.append("median ")
                    .append(median(xs))
                    .append(" ms, max ")
                    .append(xs.get(xs.size() - 1))
                    .append(" ms over ")
                    .append(xs.size())
                    .append(" runs\n");
    }

    private static String cell(long x) {
        return x < 0 ? "-" : String.valueOf(x);
    }

    private static String diff(long vip, long multi) {
        return vip < 0 || multi < 0 ? "-" : String.valueOf(vip - multi);
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** CPUs, memory, kernel, OS, Java and PostgreSQL of this machine. */
    private static String machine() {
        String cpu = "";
        long memKb = 0;
        String os = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse("");
            memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemTotal:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
                    .findFirst()
                    .orElse(0);
            os = Files.readAllLines(Path.of("/etc/os-release")).stream()
                    .filter(l -> l.startsWith("PRETTY_NAME="))
                    .map(l -> l.substring("PRETTY_NAME=".length()).replace("\"", ""))
                    .findFirst()
                    .orElse("");
        } catch (IOException | RuntimeException e) {
            // partly unknown
        }
        String pg = io.pgha.postgres.Binaries.detect()
                .map(bin -> {
                    try {
                        return NetLab.run(
                                        null,
                                        Duration.ofSeconds(10),
                                        bin.resolve("postgres").toString(),
                                        "--version")
                                .output()
                                .trim()
                                .replace("postgres (PostgreSQL) ", "PostgreSQL ");
                    } catch (IOException e) {
                        return "PostgreSQL (version unknown)";
                    }
                })
                .orElse("PostgreSQL (not found)");
        return Runtime.getRuntime().availableProcessors() + " vCPU" + (cpu.isEmpty() ? "" : " (" + cpu + ")") + ", "
                + Math.round(memKb / 1024.0 / 1024.0) + " GiB RAM, Linux " + System.getProperty("os.version") + ", "
                + os + ", " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + ", " + pg;
    }
}
