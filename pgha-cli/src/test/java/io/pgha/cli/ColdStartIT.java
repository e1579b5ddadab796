package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.awaitHealthy;
import static io.pgha.cli.ClusterFixture.connect;
import static io.pgha.cli.ClusterFixture.index;
import static io.pgha.cli.ClusterFixture.pgha;
import static io.pgha.cli.ClusterFixture.quietly;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.SyncMode;
import io.pgha.testkit.Writer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A cold start of the whole cluster: all three nodes lose power at once under a write load (every
 * agent, postmaster and embedded ZooKeeper peer SIGKILLed), then come back in different orders.
 * The member with the most recent data becomes primary, never one that was behind; without the old
 * primary, a standby takes over only when it is sure to hold every acknowledged commit (synchronous
 * mode), otherwise the agents wait and say so until an operator fails over. No acknowledged write is
 * lost in synchronous mode and nothing diverges.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ColdStartIT {
    private static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = ClusterFixture.start("cold", 3, null, null);
        try {
            awaitHealthy(cluster, 3);
        } catch (RuntimeException e) {
            ClusterFixture.stop(cluster);
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        ClusterFixture.stop(cluster);
    }

    private static ClusterState state() {
        return quietly(cluster::state, ClusterState.empty());
    }

    /**
     * Waits for a running primary other than {@code stale}, whose leader key and member record the
     * ZooKeeper ensemble restores with its dead session until that session expires.
     */
    private static String awaitPrimary(Duration within, String stale) {
        await().atMost(within)
                .pollInterval(Duration.ofMillis(300))
                .until(() -> state().leaderMember()
                        .filter(m -> m.isRunningPrimary() && !m.name().equals(stale))
                        .isPresent());
        return state().leader();
    }

    /** Writes under load, then cuts the power of every node at once; the ids acknowledged before. */
    private static Set<Long> powerLossUnderLoad(String table) throws Exception {
        Set<Long> acked;
        try (Writer w = new Writer(cluster.jdbcUrl(), table).start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> w.ackedCount() > 100);
            for (int i = 1; i <= 3; i++) cluster.kill(i);
            acked = new HashSet<>(w.acked());
        }
        assertThat(acked).isNotEmpty();
        return acked;
    }

    private static Set<Long> ids(int node, String table) throws Exception {
        Set<Long> out = new HashSet<>();
        try (Connection c = connect(cluster, node);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) out.add(rs.getLong(1));
        }
        return out;
    }

    private static List<Integer> others(int node) {
        List<Integer> out = new ArrayList<>();
        for (int i = 1; i <= 3; i++) if (i != node) out.add(i);
        return out;
    }

    /** Every member streams on one timeline and holds the same rows of {@code table}: nothing diverged. */
    private static void assertConverged(String table) throws Exception {
        awaitHealthy(cluster, 3);
        int primary = index(state().leader());
        Set<Long> onPrimary = ids(primary, table);
        for (int i : others(primary)) {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(ids(i, table)).isEqualTo(onPrimary));
        }
    }

    /**
     * Synchronous mode, the standbys come back first and the old primary never: the recorded
     * synchronous standby is sure to hold every acknowledged commit and takes over. The old primary
     * rejoins later without diverging.
     */
    @Test
    @Order(1)
    void synchronousModeWithoutTheOldPrimaryPromotesAStandbyThatHasEveryAcknowledgedCommit() throws Exception {
        cluster.dcs().updateConfig(c -> c.withSynchronous(SyncMode.ON, false, 1));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ClusterState c = state();
            return c.leader() != null
                    && c.leader().equals(c.sync().leader())
                    && c.sync().members().size() == 1;
        });
        int oldPrimary = index(state().leader());
        Set<Long> acked = powerLossUnderLoad("cold_sync");

        for (int i : others(oldPrimary)) cluster.start(i); // two of three: the ZooKeeper ensemble has a quorum
        String leader = awaitPrimary(Duration.ofSeconds(120), cluster.nodeName(oldPrimary));
        assertThat(ids(index(leader), "cold_sync")).containsAll(acked);

        cluster.start(oldPrimary);
        assertConverged("cold_sync");
    }

    /**
     * Asynchronous mode, the standbys come back first: they wait for the old primary, which may hold
     * commits they lack, and say so; the old primary, back last, becomes primary again with every
     * acknowledged write.
     */
    @Test
    @Order(2)
    void withoutSynchronousReplicationTheStandbysWaitForTheLastPrimary() throws Exception {
        cluster.dcs().updateConfig(c -> c.withSynchronous(SyncMode.OFF, false, 1));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> state().sync().members().isEmpty());
        int oldPrimary = index(state().leader());
        Set<Long> acked = powerLossUnderLoad("cold_async");

        List<Integer> standbys = others(oldPrimary);
        for (int i : standbys) cluster.start(i);
        for (int i : standbys) {
            await().atMost(Duration.ofSeconds(90))
                    .untilAsserted(() -> assertThat(state().member(cluster.nodeName(i))
                                    .map(Member::lastDecision)
                                    .orElse(""))
                            .contains("waits for it to come back"));
        }
        // well past the lease of the old session: still nobody may take over
        await().during(Duration.ofSeconds(4))
                .atMost(Duration.ofSeconds(6))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> state().leader() == null);

        cluster.start(oldPrimary);
        String leader = awaitPrimary(Duration.ofSeconds(120), null);
        assertThat(index(leader)).as("the member with the most recent data").isEqualTo(oldPrimary);
        assertThat(ids(oldPrimary, "cold_async")).containsAll(acked);
        assertConverged("cold_async");
    }

    /**
     * Asynchronous mode and the old primary is gone for good: the standbys wait until an operator
     * accepts the possible loss with {@code pgha failover --to ... --assume-primary-down}. When the old
     * primary returns after all, it is rewound and follows without diverging.
     */
    @Test
    @Order(3)
    void withoutTheLastPrimaryAnOperatorFailsOver() throws Exception {
        int oldPrimary = index(state().leader());
        powerLossUnderLoad("cold_operator");
        List<Integer> standbys = others(oldPrimary);
        for (int i : standbys) cluster.start(i);
        int chosen = standbys.get(1);
        await().atMost(Duration.ofSeconds(90))
                .untilAsserted(() -> assertThat(state().member(cluster.nodeName(chosen))
                                .map(Member::lastDecision)
                                .orElse(""))
                        .contains("pgha failover --to " + cluster.nodeName(chosen)));

        var refused =
                pgha("failover", "-c", cluster.config(chosen).toString(), "--to", cluster.nodeName(chosen), "--force");
        assertThat(refused.exitCode()).as(refused.out()).isNotZero();
        assertThat(refused.err()).contains("may still accept writes", "--assume-primary-down");
        var run = pgha(
                "failover",
                "-c",
                cluster.config(chosen).toString(),
                "--to",
                cluster.nodeName(chosen),
                "--assume-primary-down",
                "--force");
        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(awaitPrimary(Duration.ofSeconds(60), cluster.nodeName(oldPrimary)))
                .isEqualTo(cluster.nodeName(chosen));

        cluster.start(oldPrimary);
        assertConverged("cold_operator");
    }
}
