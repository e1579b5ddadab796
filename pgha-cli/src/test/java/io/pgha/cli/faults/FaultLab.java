package io.pgha.cli.faults;

import io.pgha.agent.ClusterControl;
import io.pgha.cli.LocalCluster;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.SyncMode;
import io.pgha.dcs.DcsException;
import io.pgha.postgres.Directories;
import io.pgha.testkit.Bank;
import io.pgha.testkit.FakeWatchdog;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.Writer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * A 3-node cluster of real processes set up for fault injection: a ZooKeeper ensemble of three
 * separate servers reached through per-node relays, a stand-in watchdog per node played by a
 * {@link FakeWatchdog} (an unfed armed watchdog SIGKILLs its node, as a reset would), and two
 * workloads (numbered rows, money transfers) through the multi-host JDBC URL. Faults and checks
 * are in {@link Fault} and {@link Checks}; {@link Campaign} runs them.
 */
final class FaultLab implements AutoCloseable {
    static final int NODES = 3;
    /** The watchdog timeout for the default lease timing (ttl 2.5 s, validity 1.67 s). */
    static final long WATCHDOG_MS = 2000;

    final Path dir;
    final DcsEnsemble zk;
    final LocalCluster cluster;
    final FakeWatchdog[] dogs = new FakeWatchdog[NODES];
    final SyncMode mode;
    final boolean watchdog;
    final boolean failsafe;
    final long t0 = System.currentTimeMillis();
    /** Wall-clock times at which a watchdog reset a node. */
    final List<long[]> resets = new ArrayList<>();

    Writer writer;
    Bank bank;

    FaultLab(String name, SyncMode mode, boolean strict) throws Exception {
        this(name, mode, strict, true);
    }

    /** With {@code watchdog} false the agents run without a watchdog (to measure what it prevents). */
    FaultLab(String name, SyncMode mode, boolean strict, boolean watchdog) throws Exception {
        this(name, mode, strict, watchdog, false, false);
    }

    /**
     * @param etcd the DCS is a 3-member etcd instead of a 3-server ZooKeeper ensemble
     * @param failsafe failsafe_mode on: a primary that loses the whole DCS keeps taking writes while
     *     every member confirms it
     */
    FaultLab(String name, SyncMode mode, boolean strict, boolean watchdog, boolean etcd, boolean failsafe)
            throws Exception {
        this.mode = mode;
        this.watchdog = watchdog;
        this.failsafe = failsafe;
        dir = Files.createTempDirectory("pgha-faults-" + name);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        zk = etcd
                ? new EtcdEnsemble(dir.resolve("etcd"), 3, NODES)
                : new ZkEnsemble(dir.resolve("zookeeper"), 3, NODES);
        for (int i = 1; i <= NODES; i++) {
            int node = i;
            dogs[i - 1] = new FakeWatchdog(dir.resolve("node" + i + ".wd"), WATCHDOG_MS, () -> reset(node));
        }
        List<String> connect = new ArrayList<>();
        for (int i = 1; i <= NODES; i++) connect.add(zk.connectString(i));
        String extra = "watchdog:\n  mode: " + (watchdog ? "required" : "off") + "\n  device: "
                + dir.resolve("${node}.wd") + "\n  timeout: " + WATCHDOG_MS / 1000 + "\n";
        LocalCluster c = null;
        try {
            c = LocalCluster.create(new LocalCluster.Options(
                    name,
                    NODES,
                    dir.resolve("cluster"),
                    FreePorts.block(NODES),
                    FreePorts.block(NODES),
                    FreePorts.block(NODES, 100, 200),
                    extra,
                    connect,
                    etcd));
            cluster = c;
            cluster.observeVia(zk.directConnectString());
            cluster.startAll();
            if (!waitUntil(180_000, this::healthy)) throw new IllegalStateException("the cluster did not come up");
            cluster.dcs().updateConfig(cfg -> {
                var withSync = cfg.withSynchronous(mode, strict, 1);
                return failsafe ? withSync.withFailsafe(true) : withSync;
            });
            if (mode != SyncMode.OFF
                    && !waitUntil(
                            60_000,
                            () -> state().map(s -> s.sync().quorum() > 0).orElse(false))) {
                throw new IllegalStateException("no synchronous standby was recorded");
            }
            writer = new Writer(cluster.jdbcUrl(), "acks").start();
            bank = new Bank(cluster.jdbcUrl(), 20).start();
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    private void reset(int node) {
        synchronized (resets) {
            resets.add(new long[] {System.currentTimeMillis(), node});
        }
        cluster.kill(node);
    }

    long now() {
        return System.currentTimeMillis() - t0;
    }

    Optional<ClusterState> state() {
        try {
            return Optional.of(cluster.state());
        } catch (DcsException e) {
            return Optional.empty();
        }
    }

    /** The running primary holding the lease, by node index. */
    Optional<Integer> primary() {
        return state().flatMap(ClusterState::leaderMember)
                .filter(Member::isRunningPrimary)
                .map(m -> index(m.name()));
    }

    /** The node whose PostgreSQL runs writable, asked of PostgreSQL itself (for when the DCS is down). */
    Optional<Integer> primaryByProcess() {
        for (int i = 1; i <= NODES; i++) {
            try {
                if ("f".equals(one(i, "SELECT pg_is_in_recovery()"))) return Optional.of(i);
            } catch (Exception e) {
                // down
            }
        }
        return Optional.empty();
    }

    static int index(String member) {
        return Integer.parseInt(member.substring("node".length()));
    }

    static boolean waitUntil(long timeoutMs, BooleanSupplier cond) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (cond.getAsBoolean()) return true;
            } catch (RuntimeException e) {
                // not yet
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /**
     * Healthy as the DCS says (a primary with the lease, the others streaming from it) and as the
     * primary itself says (pg_stat_replication lists both standbys streaming): the DCS alone may
     * still show a member's state from before a fault.
     */
    boolean healthy() {
        if (!cluster.healthy(NODES)) return false;
        Optional<Integer> p = primary();
        if (p.isEmpty()) return false;
        try {
            return Integer.parseInt(one(p.get(), "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"))
                    == NODES - 1;
        } catch (Exception e) {
            return false;
        }
    }

    ClusterControl control() {
        return new ClusterControl(cluster.dcs(), System::currentTimeMillis);
    }

    /** Brings every node and ZooKeeper server back and waits for a healthy cluster. */
    boolean restoreAll(long timeoutMs) throws IOException {
        zk.startAll();
        for (int i = 1; i <= NODES; i++) {
            zk.heal(i);
            cluster.thaw(i);
            if (!cluster.agentAlive(i)) cluster.start(i);
        }
        return waitUntil(timeoutMs, this::healthy);
    }

    Connection connect(int node) throws java.sql.SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + cluster.pgPort(node)
                + "/postgres?user=postgres&connectTimeout=3&socketTimeout=30");
    }

    Set<Long> ids(int node, String sql) throws Exception {
        Set<Long> out = new HashSet<>();
        try (Connection c = connect(node);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) out.add(rs.getLong(1));
        }
        return out;
    }

    String one(int node, String sql) throws Exception {
        try (Connection c = connect(node);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    Map<String, Integer> timelines() {
        Map<String, Integer> out = new TreeMap<>();
        state().ifPresent(s -> s.members().values().forEach(m -> out.put(m.name(), m.timeline())));
        return out;
    }

    @Override
    public void close() {
        if (writer != null) writer.close();
        if (bank != null) bank.close();
        for (FakeWatchdog d : dogs) if (d != null) d.close();
        if (cluster != null) cluster.close();
        if (zk != null) zk.close();
        String keep = System.getProperty("pgha.faults.logs");
        if (keep != null) {
            try {
                Path to = Path.of(keep);
                Files.createDirectories(to);
                for (int i = 1; i <= NODES; i++) {
                    Path log = dir.resolve("cluster").resolve("node" + i).resolve("agent.log");
                    if (Files.exists(log))
                        Files.copy(
                                log,
                                to.resolve("node" + i + "-agent.log"),
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    Path pgLog = dir.resolve("cluster").resolve("node" + i).resolve("data.log");
                    if (Files.exists(pgLog))
                        Files.copy(
                                pgLog,
                                to.resolve("node" + i + "-postgresql.log"),
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    // the logging collector's files (pg_ctl's data.log has the start only)
                    Path pgLogs = io.pgha.postgres.ConfigFiles.logDirectory(
                            dir.resolve("cluster").resolve("node" + i).resolve("data"));
                    if (Files.isDirectory(pgLogs)) {
                        try (var files = Files.list(pgLogs)) {
                            for (Path f : files.toList())
                                Files.copy(
                                        f,
                                        to.resolve("node" + i + "-" + f.getFileName()),
                                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } catch (IOException e) {
                System.out.println("could not keep the logs: " + e.getMessage());
            }
        }
        try {
            Directories.delete(dir);
        } catch (IOException e) {
            System.out.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
