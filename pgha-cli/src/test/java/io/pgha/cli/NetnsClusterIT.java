package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.index;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.NetLab;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A 3-node cluster whose nodes each live in their own network namespace ({@link NetLab}): agents,
 * ZooKeeper peers, REST APIs and PostgreSQL listen on the nodes' 10.213.x.i addresses and reach each
 * other over the lab's bridge only. This JVM reaches them through the bridge, a client in a fourth
 * namespace with psql. Killing the primary's node makes another node primary, which the client
 * reaches at its own address. Root only; skipped where network namespaces cannot be made.
 */
class NetnsClusterIT {

    @Test
    void aClusterInNamespacesFailsOverAndTheClientNamespaceReachesTheNewPrimary() throws Exception {
        Optional<String> why = NetLab.unavailable();
        assumeTrue(why.isEmpty(), () -> "network namespaces are not available: " + why.orElse(""));
        long t0 = System.nanoTime();
        NetLab lab = null;
        LocalCluster cluster = null;
        try {
            lab = NetLab.create(3);
            List<String> hosts = new ArrayList<>();
            List<List<String>> prefixes = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                hosts.add(lab.address(i));
                prefixes.add(lab.exec(lab.namespace(i)));
            }
            // the ports are only free on this namespace's loopback, but distinct ports keep the
            // nodes' PostgreSQL sockets in /tmp (shared by every namespace) apart
            Path dir = Files.createTempDirectory("pgha-it-netns");
            cluster = LocalCluster.create(new LocalCluster.Options(
                            "netns",
                            3,
                            dir,
                            FreePorts.block(3),
                            FreePorts.block(3),
                            FreePorts.block(3, 100, 200),
                            null,
                            null)
                    .on(hosts, prefixes, List.of(lab.subnet())));
            assertThat(Files.readString(cluster.config(2)))
                    .contains("listen: " + lab.address(2), "=" + lab.address(3) + ":", lab.subnet() + " trust");
            cluster.startAll();
            ClusterFixture.awaitHealthy(cluster, 3);
            System.out.printf("netns: healthy after %d ms%n", (System.nanoTime() - t0) / 1_000_000);

            ClusterState state = cluster.state();
            String old = state.leader();
            int oldIndex = index(old);
            for (Member m : state.members().values()) {
                int i = index(m.name());
                assertThat(m.host()).isEqualTo(lab.address(i));
                assertThat(m.apiUrl()).contains(lab.address(i));
            }
            for (int i = 1; i <= 3; i++) {
                long pid = cluster.postmaster(i).orElseThrow().pid();
                assertThat(lab.run(null, "ip", "netns", "identify", String.valueOf(pid))
                                .output()
                                .strip())
                        .as("network namespace of node%d's postmaster", i)
                        .isEqualTo(lab.namespace(i));
            }
            assertThat(state.member(nodeOtherThan(oldIndex)).orElseThrow().following())
                    .isEqualTo(old);

            // this JVM, through the bridge: the multi-host URL finds the primary
            try (Connection c = DriverManager.getConnection(cluster.jdbcUrl() + "&connectTimeout=5");
                    Statement st = c.createStatement()) {
                st.execute("CREATE TABLE lab (id int PRIMARY KEY, source text)");
                st.execute("INSERT INTO lab VALUES (1, host(inet_client_addr()))");
            }
            // the client namespace, with psql, to the primary's own address
            assertThat(psql(
                            lab,
                            cluster,
                            oldIndex,
                            "INSERT INTO lab VALUES (2, host(inet_client_addr())) RETURNING source"))
                    .isEqualTo(lab.clientAddress());
            assertThat(psql(lab, cluster, oldIndex, "SELECT string_agg(source, ',' ORDER BY id) FROM lab"))
                    .isEqualTo(lab.bridgeAddress() + "," + lab.clientAddress());

            long kill = System.nanoTime();
            cluster.kill(oldIndex);
            assertThat(cluster.agentAlive(oldIndex)).isFalse();
            assertThat(cluster.postmaster(oldIndex)).isEmpty();
            LocalCluster c = cluster;
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        ClusterState s = ClusterFixture.state(c);
                        return s != null && s.leader() != null && !s.leader().equals(old) && c.healthy(2);
                    });
            String now = cluster.state().leader();
            int newIndex = index(now);
            System.out.printf(
                    "netns: %s killed, %s primary and the other node streaming from it after %d ms%n",
                    old, now, (System.nanoTime() - kill) / 1_000_000);

            assertThat(psql(lab, cluster, newIndex, "SELECT pg_is_in_recovery()"))
                    .isEqualTo("f");
            assertThat(psql(lab, cluster, newIndex, "INSERT INTO lab VALUES (3, 'after failover') RETURNING id"))
                    .isEqualTo("3");
            assertThat(psql(lab, cluster, newIndex, "SELECT count(*) FROM lab")).isEqualTo("3");
            assertThat(lab.reachable(lab.clientNamespace(), lab.address(newIndex)))
                    .isTrue();
            assertThat(lab.neighbours(lab.clientNamespace())).containsKey(lab.address(newIndex));
            System.out.printf("netns: whole scenario %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        } catch (Throwable e) {
            ClusterFixture.dumpLogs(cluster);
            throw e;
        } finally {
            try {
                if (cluster != null) {
                    cluster.close();
                    io.pgha.postgres.Directories.delete(cluster.directory());
                }
            } finally {
                if (lab != null) lab.close();
            }
        }
    }

    private static String nodeOtherThan(int i) {
        return "node" + (i % 3 + 1);
    }

    /** Runs {@code sql} with psql in the lab's client namespace against node i's address; its output, trimmed. */
    private static String psql(NetLab lab, LocalCluster c, int i, String sql) throws Exception {
        Path psql = io.pgha.postgres.Binaries.detect().orElseThrow().resolve("psql");
        NetLab.ProcessResult r = lab.run(
                lab.clientNamespace(),
                psql.toString(),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                lab.address(i),
                "-p",
                String.valueOf(c.pgPort(i)),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-c",
                sql);
        assertThat(r.ok()).as("psql on node%d: %s", i, r.output()).isTrue();
        return r.output().strip();
    }
}
