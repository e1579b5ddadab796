package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.awaitHealthy;
import static io.pgha.cli.ClusterFixture.connect;
import static io.pgha.cli.ClusterFixture.index;
import static io.pgha.cli.ClusterFixture.leader;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.Workload;
import io.pgha.testkit.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLWarning;
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
 * Synchronous replication end to end on 3 real nodes sharing one ZooKeeper (in this JVM, so that
 * two nodes can die at once without taking the DCS with them). Each scenario tries to lose an
 * acknowledged commit and checks that none is lost.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SyncReplicationIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static EmbeddedZooKeeper zk;
    private static LocalCluster cluster;
    private static Path zkDir;

    @BeforeAll
    static void start() throws Exception {
        zkDir = Files.createTempDirectory("pgha-sync-zk");
        zk = EmbeddedZooKeeper.standalone(FreePorts.one(), zkDir);
        cluster = ClusterFixture.startOn(zk, "sync", 3);
    }

    @AfterAll
    static void stop() throws Exception {
        ClusterFixture.stop(cluster, zk, zkDir);
    }

    private static String cfg() {
        return cluster.config(1).toString();
    }

    private static ClusterState state() throws Exception {
        return cluster.state();
    }

    private static SyncState awaitSync(int quorum, int members) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    ClusterState c = state();
                    return c.leader() != null
                            && c.leader().equals(c.sync().leader())
                            && c.sync().quorum() == quorum
                            && c.sync().members().size() == members;
                });
        return ClusterFixture.quietly(() -> state().sync(), null);
    }

    private static String show(int node, String setting) throws Exception {
        try (Connection c = connect(cluster, node);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
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

    /** Starts the given nodes' agents again and waits for the whole cluster to be healthy. */
    private static void restart(List<Integer> nodes) throws Exception {
        for (int i : nodes) cluster.start(i);
        awaitHealthy(cluster, 3);
    }

    private static HttpResponse<String> patch(int node, String body, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + cluster.apiPort(node) + "/config"))
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body));
        if (password != null) {
            b.header("Authorization", ClusterFixture.basicAuth(password));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void editConfigTurnsSynchronousModeOnWithoutARestartAndRejectsBadInput() throws Exception {
        var bad = pgha("edit-config", "-c", cfg(), "--set", "synchronous_mode=maybe", "--force");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("synchronous_mode: 'maybe' is not one of off, on, quorum");
        assertThat(patch(1, "{\"synchronous_mode\":\"on\"}", null).statusCode()).isEqualTo(401);
        var badPatch = patch(1, "{\"synchronous_node_count\": 0}", cluster.apiPassword());
        assertThat(badPatch.statusCode()).isEqualTo(400);
        assertThat(badPatch.body()).contains("synchronous_node_count: 0 is out of range");
        assertThat(state().config().synchronousMode()).as("nothing changed").isEqualTo(SyncMode.OFF);

        long pid = cluster.postmaster(index(leader(cluster))).orElseThrow().pid();
        var ok = pgha("edit-config", "-c", cfg(), "--set", "synchronous_mode=on", "--force");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("synchronous_mode: off -> on");
        SyncState s = awaitSync(1, 1);
        String leader = leader(cluster);
        String standby = s.members().get(0);
        assertThat(standby).isNotEqualTo(leader);
        int l = index(leader);
        assertThat(show(l, "synchronous_standby_names")).isEqualTo("FIRST 1 (\"" + standby + "\")");
        assertThat(ClusterFixture.count(
                        cluster,
                        l,
                        "SELECT count(*) FROM pg_stat_replication WHERE application_name = '" + standby
                                + "' AND sync_state = 'sync'"))
                .isEqualTo(1);
        assertThat(cluster.postmaster(l).orElseThrow().pid()).as("no restart").isEqualTo(pid);
        String list = pgha("list", "-c", cfg()).out();
        assertThat(list).contains("Synchronous mode: on", "failover candidates: " + standby, "sync");
        assertThat(pgha("list", "-c", cfg(), "--format", "json").out()).contains("\"synchronous\"", "\"quorum\" : 1");
    }

    /**
     * The primary and its synchronous standby die together. The remaining standby is not recorded as
     * synchronous, so it must not be promoted (it may lack acknowledged commits) and says why; once
     * the synchronous standby returns, it takes over with every acknowledged write.
     */
    @Test
    @Order(2)
    void whenThePrimaryAndItsSynchronousStandbyDieTheAsynchronousOneWaitsAndSaysWhy() throws Exception {
        String oldLeader = leader(cluster);
        String sync = state().sync().members().get(0);
        String other = cluster.configsByName().keySet().stream()
                .filter(n -> !n.equals(oldLeader) && !n.equals(sync))
                .findFirst()
                .orElseThrow();
        Set<Long> acked;
        try (Writer w = new Writer(cluster.jdbcUrl(), "sync_kill").start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> w.ackedCount() > 50);
            cluster.kill(index(oldLeader));
            cluster.kill(index(sync));
            acked = new HashSet<>(w.acked());
        }
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(
                        () -> assertThat(state().member(other).orElseThrow().lastDecision())
                                .contains("not recorded as synchronous"));
        Thread.sleep(3000); // well past the lease: still nobody may be promoted
        assertThat(state().leader()).isNull();
        assertThat(pgha("list", "-c", cluster.config(index(other)).toString()).out())
                .contains("not recorded as synchronous", "failover candidates: " + sync);

        cluster.start(index(sync));
        await().atMost(Duration.ofSeconds(90))
                .until(() -> sync.equals(ClusterFixture.quietly(() -> state().leader(), null))
                        && state().member(sync).orElseThrow().isRunningPrimary());
        assertThat(ids(index(sync), "sync_kill")).containsAll(acked);
        cluster.start(index(oldLeader));
        awaitHealthy(cluster, 3);
        awaitSync(1, 1);
    }

    @Test
    @Order(3)
    void quorumModePromotesTheMostAdvancedOfEnoughRecordedStandbys() throws Exception {
        var ok = pgha(
                "edit-config",
                "-c",
                cfg(),
                "--set",
                "synchronous_mode=quorum",
                "--set",
                "synchronous_node_count=1",
                "--force");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        SyncState s = awaitSync(1, 2);
        String oldLeader = leader(cluster);
        assertThat(show(index(oldLeader), "synchronous_standby_names"))
                .isEqualTo("ANY 1 (\"" + s.members().get(0) + "\", \""
                        + s.members().get(1) + "\")");
        Set<Long> acked;
        try (Writer w = new Writer(cluster.jdbcUrl(), "quorum_kill").start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> w.ackedCount() > 50);
            cluster.kill(index(oldLeader));
            acked = new HashSet<>(w.acked());
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ClusterState c = state();
            return c.leader() != null
                    && !c.leader().equals(oldLeader)
                    && c.leaderMember().map(m -> m.isRunningPrimary()).orElse(false);
        });
        String newLeader = leader(cluster);
        assertThat(s.members()).contains(newLeader);
        assertThat(ids(index(newLeader), "quorum_kill")).containsAll(acked);
        cluster.start(index(oldLeader));
        awaitHealthy(cluster, 3);
    }

    /**
     * Strict mode with every standby gone: a commit waits instead of being acknowledged. Cancelling
     * that wait (here by a cancel request) is PostgreSQL's one hole: the client gets a WARNING, not
     * an error, and the row is visible on the primary although no standby has it.
     */
    @Test
    @Order(4)
    void strictModeMakesWritesWaitAndACancelledWaitLeavesALocallyCommittedRow() throws Exception {
        var ok = pgha(
                "edit-config",
                "-c",
                cfg(),
                "--set",
                "synchronous_mode=on",
                "--set",
                "synchronous_mode_strict=true",
                "--force");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        awaitSync(1, 1);
        int l = index(leader(cluster));
        List<Integer> standbys = others(l);
        try (Connection c = connect(cluster, l);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS hole (id int PRIMARY KEY)");
        }
        standbys.forEach(cluster::stop);
        Thread.sleep(1500); // a few agent cycles: strict keeps waiting for the recorded standby
        assertThat(state().sync().quorum()).isEqualTo(1);
        try (Connection c = connect(cluster, l);
                Statement st = c.createStatement()) {
            // statement_timeout does not cover the wait at commit; a cancel request (what a client's
            // cancel button, pg_cancel_backend or a pooler's query_timeout sends) does.
            Thread canceller = new Thread(() -> {
                ClusterFixture.quietly(
                        () -> {
                            Thread.sleep(1500);
                            st.cancel();
                            return null;
                        },
                        null);
            });
            long t0 = System.nanoTime();
            canceller.start();
            st.executeUpdate("INSERT INTO hole VALUES (1)");
            long waitedMs = (System.nanoTime() - t0) / 1_000_000L;
            canceller.join();
            SQLWarning warning = st.getWarnings();
            assertThat(Workload.cancelledSyncWait(warning))
                    .as("the client is warned, not told of success")
                    .isTrue();
            assertThat(warning.getMessage()).contains("canceling wait for synchronous replication");
            assertThat(waitedMs).as("the commit waited for a standby").isGreaterThanOrEqualTo(1000);
        }
        assertThat(ClusterFixture.count(cluster, l, "SELECT count(*) FROM hole WHERE id = 1"))
                .as("visible on the primary before any standby has it")
                .isEqualTo(1);
        restart(standbys);
        awaitSync(1, 1);
    }

    @Test
    @Order(5)
    void nonStrictModeFallsBackToAsynchronousAndSaysNobodyCanBePromoted() throws Exception {
        var ok = pgha("edit-config", "-c", cfg(), "--set", "synchronous_mode_strict=false", "--force");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        int l = index(leader(cluster));
        List<Integer> standbys = others(l);
        standbys.forEach(cluster::stop);
        awaitSync(0, 0);
        assertThat(show(l, "synchronous_standby_names")).isEmpty();
        try (Connection c = connect(cluster, l);
                Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = '5s'");
            st.executeUpdate("INSERT INTO hole VALUES (2)");
            assertThat(st.getWarnings() == null).as("committed without waiting").isTrue();
        }
        assertThat(pgha("list", "-c", cfg()).out()).contains("failover candidates: none");
        restart(standbys);
        awaitSync(1, 1);
        assertThat(pgha("edit-config", "-c", cfg(), "--set", "synchronous_mode=off", "--force")
                        .exitCode())
                .isZero();
        awaitSync(0, 0);
    }
}
