package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.index;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgha.agent.ClusterControl;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.ClusterState;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.NetLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A virtual IP that follows the primary, for real: three members in network namespaces of their own
 * on one bridge, and a client in a fourth that connects to the VIP with psql. pgha's own {@code ip}
 * kind first, across a switchover; then {@code ocf:heartbeat:IPaddr2} (from resource-agents) across
 * a primary cut off from everything (its address must be gone before the new primary adds it) and a
 * node crash. A watcher samples every namespace's addresses all along and fails the test if two
 * reachable members ever hold the VIP at once. (The cluster itself is the first test of pgha on
 * addresses other than loopback: agents, ZooKeeper peers, REST APIs and PostgreSQL of each node on
 * its namespace's address.) Root only; skipped where namespaces cannot be made.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VipIT {
    private static NetLab lab;
    private static LocalCluster cluster;
    private static String vip;
    private static Watcher watcher;

    @BeforeAll
    static void start() throws Exception {
        Optional<String> why = NetLab.unavailable();
        assumeTrue(why.isEmpty(), () -> "network namespaces are not available: " + why.orElse(""));
        assumeTrue(
                Files.isExecutable(Path.of("/usr/lib/ocf/resource.d/heartbeat/IPaddr2")),
                "ocf:heartbeat:IPaddr2 is not installed (package resource-agents)");
        try {
            lab = NetLab.create(3);
            vip = lab.freeAddress();
            List<String> hosts = new ArrayList<>();
            List<List<String>> prefixes = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                hosts.add(lab.address(i));
                prefixes.add(lab.exec(lab.namespace(i)));
            }
            Path dir = Files.createTempDirectory("pgha-it-vip");
            cluster = LocalCluster.create(new LocalCluster.Options(
                            "vip",
                            3,
                            dir,
                            FreePorts.block(1),
                            FreePorts.block(1),
                            FreePorts.block(1, 100, 200),
                            null,
                            null)
                    .on(hosts, prefixes, List.of(lab.subnet())));
            cluster.startAll();
            ClusterFixture.awaitHealthy(cluster, 3);
            // every node runs in its own namespace and advertises its own address there
            ClusterState state = cluster.state();
            for (int i = 1; i <= 3; i++) {
                long pid = cluster.postmaster(i).orElseThrow().pid();
                assertThat(NetLab.run(null, Duration.ofSeconds(5), "ip", "netns", "identify", String.valueOf(pid))
                                .output()
                                .strip())
                        .as("network namespace of node%d's postmaster", i)
                        .isEqualTo(lab.namespace(i));
                assertThat(state.member("node" + i).orElseThrow().host()).isEqualTo(lab.address(i));
            }
            watcher = new Watcher();
            watcher.start();
        } catch (Throwable e) {
            ClusterFixture.dumpLogs(cluster);
            stop();
            throw e;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (watcher != null) watcher.interrupt();
            if (cluster != null) {
                cluster.close();
                io.pgha.postgres.Directories.delete(cluster.directory());
            }
        } finally {
            if (lab != null) lab.close();
        }
    }

    @Test
    @Order(1)
    void pghasOwnIpFollowsThePrimaryAcrossASwitchover() throws Exception {
        try {
            setVip(Map.of(
                    "kind", "ip", "address", vip + "/24", "interface", "eth0", "monitor", Map.of("interval", "1s")));
            int primary = index(cluster.state().leader());
            awaitClientReaches(primary);
            // the watcher samples every few ms: give it the time to see what the client already reached
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(watcher.holders()).containsExactly(primary));

            int target = other(primary, Set.of());
            long asked = System.nanoTime();
            new ClusterControl(cluster.dcs(), System::currentTimeMillis)
                    .switchover("node" + primary, "node" + target, 0);
            awaitClientReaches(target);
            // the watcher samples every few ms: give it the time to see what the client already reached
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(watcher.holders()).containsExactly(target));
            assertThat(watcher.addsSince(primary, asked))
                    .as("down before the demotion, and not up again while the old primary drains: " + watcher.log())
                    .isZero();
            // the client's neighbour entry for the VIP moved with it (gratuitous ARP)
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(
                                    lab.neighbours(lab.clientNamespace()).get(vip))
                            .isEqualTo(mac(target)));
            ClusterFixture.awaitHealthy(cluster, 3);
            watcher.assertNeverTwo();
        } catch (Throwable e) {
            ClusterFixture.dumpLogs(cluster);
            throw e;
        }
    }

    @Test
    @Order(2)
    void ipaddr2LeavesAPrimaryCutOffBeforeTheNewPrimaryAddsIt() throws Exception {
        try {
            setVip(Map.of(
                    "kind",
                    "ocf",
                    "agent",
                    "ocf:heartbeat:IPaddr2",
                    "params",
                    Map.of("ip", vip, "cidr_netmask", "24", "nic", "eth0"),
                    "monitor",
                    Map.of("interval", "1s")));
            int primary = index(cluster.state().leader());
            awaitClientReaches(primary);
            long cut = System.nanoTime();
            lab.cut(primary);
            watcher.exclude(Set.of()); // the cut member is watched too: it must let go before anyone adds it
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        ClusterState s = ClusterFixture.state(cluster);
                        return s != null && s.leader() != null && !s.leader().equals("node" + primary);
                    });
            int next = index(cluster.state().leader());
            awaitClientReaches(next);
            long removed = watcher.lastRemoval(primary);
            long added = watcher.lastAdd(next);
            assertThat(removed).as("the cut-off primary removed the VIP").isGreaterThan(cut);
            assertThat(removed)
                    .as("removed on node%d before node%d added it: %s", primary, next, watcher.log())
                    .isLessThan(added);
            watcher.assertNeverTwo();
            lab.restore(primary);
            ClusterFixture.awaitHealthy(cluster, 3);
        } catch (Throwable e) {
            ClusterFixture.dumpLogs(cluster);
            throw e;
        }
    }

    @Test
    @Order(3)
    void aNodeCrashMovesTheVip() throws Exception {
        try {
            int primary = index(cluster.state().leader());
            awaitClientReaches(primary);
            // a machine that dies takes its address with it: its agent and PostgreSQL are killed and
            // its cable pulled; the address left configured on its dead interface reaches nobody
            watcher.exclude(Set.of(primary));
            cluster.kill(primary);
            lab.cut(primary);
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        ClusterState s = ClusterFixture.state(cluster);
                        return s != null && s.leader() != null && !s.leader().equals("node" + primary);
                    });
            int next = index(cluster.state().leader());
            awaitClientReaches(next);
            watcher.assertNeverTwo();
            System.out.println("vip: " + watcher.log());
        } catch (Throwable e) {
            ClusterFixture.dumpLogs(cluster);
            throw e;
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void setVip(Map<String, Object> spec) throws Exception {
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("vip", spec);
        cluster.dcs().updateConfig(c -> DynamicSettings.apply(c, Map.of("resources", resources)));
    }

    private static int other(int a, Set<Integer> not) {
        for (int i = 1; i <= 3; i++) if (i != a && !not.contains(i)) return i;
        throw new IllegalStateException();
    }

    /** Waits until psql from the client namespace, connecting to the VIP, lands on node {@code i}'s primary. */
    private static void awaitClientReaches(int i) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(clientSees()).isEqualTo("node" + i + " false"));
    }

    /** The node and recovery state psql finds behind the VIP, e.g. {@code node2 false}. */
    private static String clientSees() throws Exception {
        Path psql = io.pgha.postgres.Binaries.detect().orElseThrow().resolve("psql");
        NetLab.ProcessResult r = NetLab.run(
                lab.clientNamespace(),
                Duration.ofSeconds(10),
                psql.toString(),
                "-X",
                "-A",
                "-t",
                "-d",
                "host=" + vip + " port=" + cluster.pgPort(1) + " user=postgres dbname=postgres connect_timeout=2",
                "-c",
                "SELECT substring(current_setting('data_directory') from '(node[0-9])/data') || ' '"
                        + " || pg_is_in_recovery()");
        return r.ok() ? r.output().strip() : "unreachable: " + r.output().strip();
    }

    private static String mac(int i) throws Exception {
        String out = NetLab.run(null, Duration.ofSeconds(5), "ip", "-n", lab.namespace(i), "-o", "link", "show", "eth0")
                .output();
        int at = out.indexOf("link/ether ");
        return out.substring(at + 11, at + 28).toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Samples which members hold the VIP every few milliseconds, from the root namespace (a cut
     * member is seen too), and remembers every change and any moment two members held it at once.
     */
    private static final class Watcher extends Thread {
        private final Map<Integer, Boolean> holding = new ConcurrentHashMap<>();
        private final Map<Integer, Long> lastAdd = new ConcurrentHashMap<>();
        private final Map<Integer, Long> lastRemoval = new ConcurrentHashMap<>();
        private final List<String> log = Collections.synchronizedList(new ArrayList<>());
        private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
        private volatile Set<Integer> excluded = Set.of();
        private final long t0 = System.nanoTime();

        Watcher() {
            super("vip-watcher");
            setDaemon(true);
        }

        void exclude(Set<Integer> members) {
            excluded = Set.copyOf(members);
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                try {
                    List<Integer> now = new ArrayList<>();
                    for (int i = 1; i <= 3; i++) {
                        String out = NetLab.run(
                                        null, Duration.ofSeconds(5), "ip", "-n", lab.namespace(i), "-o", "addr", "show")
                                .output();
                        boolean has = out.contains(" " + vip + "/");
                        long t = System.nanoTime();
                        Boolean before = holding.put(i, has);
                        if (before == null || before != has) {
                            (has ? lastAdd : lastRemoval).put(i, t);
                            if (has) adds.add(new long[] {i, t});
                            log.add(String.format(
                                    "+%dms node%d %s", (t - t0) / 1_000_000, i, has ? "added" : "removed"));
                        }
                        if (has && !excluded.contains(i)) now.add(i);
                    }
                    if (now.size() > 1)
                        violations.add("two holders " + now + " at +" + (System.nanoTime() - t0) / 1_000_000 + "ms");
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    log.add("watcher: " + e.getMessage());
                }
            }
        }

        List<Integer> holders() {
            List<Integer> out = new ArrayList<>();
            holding.forEach((i, has) -> {
                if (has && !excluded.contains(i)) out.add(i);
            });
            Collections.sort(out);
            return out;
        }

        private final List<long[]> adds = Collections.synchronizedList(new ArrayList<>());

        int addsSince(int i, long t) {
            synchronized (adds) {
                return (int) adds.stream().filter(a -> a[0] == i && a[1] > t).count();
            }
        }

        long lastAdd(int i) {
            return lastAdd.getOrDefault(i, Long.MAX_VALUE);
        }

        long lastRemoval(int i) {
            return lastRemoval.getOrDefault(i, Long.MIN_VALUE);
        }

        String log() {
            synchronized (log) {
                return String.join(", ", log);
            }
        }

        void assertNeverTwo() {
            assertThat(violations).as("never two holders; changes: " + log()).isEmpty();
        }
    }
}
