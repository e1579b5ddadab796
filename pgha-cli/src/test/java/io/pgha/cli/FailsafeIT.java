package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.awaitHealthy;
import static io.pgha.cli.ClusterFixture.connect;
import static io.pgha.cli.ClusterFixture.index;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * failsafe_mode: ZooKeeper (one server in this JVM) stops entirely. With every member answering,
 * the primary keeps taking writes; with one member unreachable it demotes. Standbys never promote
 * without the DCS.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailsafeIT {
    private static Path zkDir;
    private static int zkPort;
    private static EmbeddedZooKeeper zk;
    private static LocalCluster cluster;
    private static String leader;

    @BeforeAll
    static void start() throws Exception {
        zkDir = Files.createTempDirectory("pgha-failsafe-zk");
        zkPort = FreePorts.one();
        zk = EmbeddedZooKeeper.standalone(zkPort, zkDir);
        cluster = ClusterFixture.startOn(zk, "failsafe", 3);
        cluster.dcs()
                .updateConfig(c -> new io.pgha.core.model.DynamicConfig(
                        c.paused(),
                        c.maximumLagOnFailover(),
                        c.synchronousMode(),
                        c.synchronousModeStrict(),
                        c.synchronousNodeCount(),
                        true));
        leader = cluster.state().leader();
        Thread.sleep(1500); // every agent has read the setting
    }

    @AfterAll
    static void stop() throws Exception {
        ClusterFixture.stop(cluster, zk, zkDir);
    }

    private static boolean inRecovery(int node) throws Exception {
        try (Connection c = connect(cluster, node);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static void restartZooKeeper() throws Exception {
        zk = EmbeddedZooKeeper.standalone(zkPort, zkDir);
    }

    @Test
    @Order(1)
    void withEveryMemberConfirmingThePrimaryWritesGoOnWithoutZooKeeper() throws Exception {
        int l = index(leader);
        long pid = cluster.postmaster(l).orElseThrow().pid();
        String url = "jdbc:postgresql://127.0.0.1:" + cluster.pgPort(l) + "/postgres?user=postgres";
        try (Writer w = new Writer(url, "failsafe_on").start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> w.ackedCount() > 20);
            zk.close();
            zk = null;
            Thread.sleep(4000); // beyond the lease (2.5 s): without failsafe the primary would have stopped
            int before = w.ackedCount();
            Thread.sleep(4000);
            assertThat(w.ackedCount())
                    .as("writes go on while ZooKeeper is down")
                    .isGreaterThan(before + 20);
        }
        assertThat(cluster.postmaster(l).orElseThrow().pid())
                .as("never stopped")
                .isEqualTo(pid);
        for (int i = 1; i <= 3; i++)
            if (i != l) assertThat(inRecovery(i)).as("node%d never promoted", i).isTrue();
        assertThat(ClusterFixture.agentLog(cluster, l)).contains("failsafe: all 2 other members confirm this primary");
        restartZooKeeper();
        awaitHealthy(cluster, 3);
        assertThat(cluster.state().leader()).isEqualTo(leader);
        // the members, which promised not to promote, did not end the unrenewed key either when
        // ZooKeeper came back (it had not been renewed for far longer than a ttl)
        Thread.sleep(3000);
        assertThat(cluster.state().leader()).isEqualTo(leader);
        assertThat(cluster.postmaster(l).orElseThrow().pid())
                .as("never stopped, also when ZooKeeper came back")
                .isEqualTo(pid);
    }

    @Test
    @Order(2)
    void withOneMemberUnreachableThePrimaryDemotes() throws Exception {
        leader = cluster.state().leader();
        int l = index(leader);
        int silent = l % 3 + 1;
        String url = "jdbc:postgresql://127.0.0.1:" + cluster.pgPort(l) + "/postgres?user=postgres";
        try (Writer w = new Writer(url, "failsafe_off").start()) {
            await().atMost(Duration.ofSeconds(20)).until(() -> w.ackedCount() > 20);
            cluster.freeze(silent);
            try {
                zk.close();
                zk = null;
                await().atMost(Duration.ofSeconds(15))
                        .until(() -> cluster.postmaster(l).isEmpty());
                int after = w.ackedCount();
                Thread.sleep(2000);
                assertThat(w.ackedCount())
                        .as("no write once the primary demoted")
                        .isEqualTo(after);
            } finally {
                cluster.thaw(silent);
            }
        }
        for (int i = 1; i <= 3; i++)
            if (i != l)
                assertThat(inRecovery(i))
                        .as("node%d never promoted without the DCS", i)
                        .isTrue();
        assertThat(ClusterFixture.agentLog(cluster, l)).contains("failsafe: only");
        restartZooKeeper();
        awaitHealthy(cluster, 3);
    }
}
