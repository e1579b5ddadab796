package io.pgha.cli;

import static org.awaitility.Awaitility.await;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.testkit.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Helpers for end-to-end tests on a {@link LocalCluster} of real processes. */
final class ClusterFixture {
    private ClusterFixture() {}

    static LocalCluster start(String name, int nodes, String extraYaml, List<String> externalZk) throws IOException {
        Path dir = Files.createTempDirectory("pgha-it-" + name);
        int pg = FreePorts.block(nodes);
        int api = FreePorts.block(nodes);
        int zk = FreePorts.block(nodes, 100, 200);
        LocalCluster c =
                LocalCluster.create(new LocalCluster.Options(name, nodes, dir, pg, api, zk, extraYaml, externalZk));
        c.startAll();
        return c;
    }

    /**
     * Starts a cluster whose nodes all use {@code zk} (a server in the test JVM) instead of embedded
     * peers, so that tests can stop ZooKeeper or lose nodes without losing the DCS; waits until healthy.
     */
    static LocalCluster startOn(io.pgha.dcs.EmbeddedZooKeeper zk, String name, int nodes) throws IOException {
        List<String> connect = new ArrayList<>();
        for (int i = 0; i < nodes; i++) connect.add(zk.connectString());
        LocalCluster c = start(name, nodes, null, connect);
        try {
            awaitHealthy(c, nodes);
        } catch (RuntimeException e) {
            dumpLogs(c);
            stop(c);
            throw e;
        }
        return c;
    }

    /** Stops the cluster, then the test's own ZooKeeper server, and deletes both directories. */
    static void stop(LocalCluster c, io.pgha.dcs.EmbeddedZooKeeper zk, Path zkDir) throws IOException {
        try {
            stop(c);
        } finally {
            if (zk != null) zk.close();
            io.pgha.postgres.Directories.delete(zkDir);
        }
    }

    /** Stops every process of the cluster and deletes its directory. */
    static void stop(LocalCluster c) {
        if (c == null) return;
        dumpLogs(c);
        c.close();
        try {
            io.pgha.postgres.Directories.delete(c.directory());
        } catch (IOException e) {
            System.out.println("could not delete " + c.directory() + ": " + e.getMessage());
        }
    }

    static void awaitHealthy(LocalCluster c, int members) {
        await().atMost(Duration.ofSeconds(180))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> c.healthy(members));
    }

    static int index(String memberName) {
        return Integer.parseInt(memberName.substring("node".length()));
    }

    static String leader(LocalCluster c) throws Exception {
        return c.state().leader();
    }

    static Member member(LocalCluster c, String name) throws Exception {
        return c.state().member(name).orElseThrow();
    }

    static Connection connect(LocalCluster c, int i) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://" + c.host(i) + ":" + c.pgPort(i)
                + "/postgres?user=postgres&connectTimeout=3&socketTimeout=60");
    }

    static long count(LocalCluster c, int i, String sql) throws SQLException {
        try (Connection conn = connect(c, i);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Runs a pgha command in this JVM and returns its exit code and what it printed. */
    record Run(int exitCode, String out, String err) {}

    static synchronized Run pgha(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int rc = Main.run(args);
            return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static String agentLog(LocalCluster c, int i) {
        try {
            return Files.readString(c.config(i).resolveSibling(c.nodeName(i)).resolve("agent.log"));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Everything node i's PostgreSQL logged: pg_ctl's file ({@code data.log}: the start, until the
     * logging collector runs) then the collector's files ({@code data.log.d/}, oldest first). The
     * collector's files may be readable by PostgreSQL's OS user only; the tests run as root.
     */
    static String serverLog(LocalCluster c, int i) {
        Path node = c.config(i).resolveSibling(c.nodeName(i));
        StringBuilder b = new StringBuilder();
        try {
            b.append(Files.readString(node.resolve("data.log")));
        } catch (IOException e) {
            // not started yet
        }
        Path dir = io.pgha.postgres.ConfigFiles.logDirectory(node.resolve("data"));
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted(java.util.Comparator.comparing(ClusterFixture::modified))
                    .toList()) {
                b.append(Files.readString(f));
            }
        } catch (IOException e) {
            // no collector file yet
        }
        return b.toString();
    }

    private static java.nio.file.attribute.FileTime modified(Path f) {
        try {
            return Files.getLastModifiedTime(f);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    /** Prints the end of every agent's log (for the test report when something failed). */
    /**
     * Prints the cluster's logs when a test of the class fails (register it with
     * {@code @RegisterExtension}): a failure in a full run is understood from the report alone.
     */
    static org.junit.jupiter.api.extension.TestWatcher logsOnFailure(java.util.function.Supplier<LocalCluster> c) {
        return new org.junit.jupiter.api.extension.TestWatcher() {
            @Override
            public void testFailed(org.junit.jupiter.api.extension.ExtensionContext context, Throwable cause) {
                System.out.println("===== " + context.getDisplayName() + " failed: " + cause);
                dumpLogs(c.get());
            }
        };
    }

    static void dumpLogs(LocalCluster c) {
        if (c == null) return;
        ClusterState st = state(c);
        if (st != null) {
            System.out.println("----- DCS: leader " + st.leader());
            for (var m : st.members().values())
                System.out.println("  " + m.name() + " " + m.role() + " resources " + m.resources());
        }
        for (int i = 1; i <= c.nodes(); i++) {
            List<String> lines = new ArrayList<>(
                    agentLog(c, i).lines().filter(l -> !l.startsWith("\t")).toList());
            System.out.println("----- " + c.nodeName(i) + " agent.log (last 40 lines)");
            lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.out::println);
            List<String> pg = serverLog(c, i).lines().toList();
            if (!pg.isEmpty()) {
                System.out.println("----- " + c.nodeName(i) + " PostgreSQL log (last 15 lines)");
                pg.subList(Math.max(0, pg.size() - 15), pg.size()).forEach(System.out::println);
            }
        }
    }

    /** The Authorization header value for the demo clusters' REST user {@code admin}. */
    static String basicAuth(String password) {
        return "Basic "
                + java.util.Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
    }

    static <T> T quietly(Callable<T> call, T fallback) {
        try {
            return call.call();
        } catch (Exception e) {
            return fallback;
        }
    }

    static ClusterState state(LocalCluster c) {
        return quietly(c::state, null);
    }
}
