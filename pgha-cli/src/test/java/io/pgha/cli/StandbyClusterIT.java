package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.awaitHealthy;
import static io.pgha.cli.ClusterFixture.index;
import static io.pgha.cli.ClusterFixture.pgha;
import static io.pgha.cli.ClusterFixture.quietly;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.StandbyCluster;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two sites on loopback: a primary cluster "east" and a standby cluster "west", 2 nodes each, sharing
 * a WAL archive (their DCS is one ZooKeeper in this JVM, under two cluster names). West follows east
 * through east's DCS, then through a host list, then through the archive alone; east and west each
 * fail over inside themselves; finally east is stopped and west promoted, with every write east
 * acknowledged present.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandbyClusterIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Path dir;
    private static io.pgha.dcs.EmbeddedZooKeeper zk;
    private static LocalCluster east;
    private static LocalCluster west;
    private static final Set<Long> ackedByEast = new HashSet<>();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("pgha-it-standby");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(Path.of("target", "pgha.jar"), dir.resolve("pgha.jar"), StandardCopyOption.REPLACE_EXISTING);
        Path repo = Files.createDirectories(dir.resolve("repo"));
        if ("root".equals(System.getProperty("user.name"))) {
            new ProcessBuilder("chown", "-R", "postgres:", repo.toString())
                    .inheritIO()
                    .start()
                    .waitFor(30, TimeUnit.SECONDS);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String archive = "archive:\n"
                + "  repo: " + repo + "\n"
                + "  pgha_command: \"'" + java + "' -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar '"
                + dir.resolve("pgha.jar") + "'\"\n";
        zk = io.pgha.dcs.EmbeddedZooKeeper.standalone(FreePorts.one(), Files.createDirectories(dir.resolve("zk")));
        List<String> connect = List.of(zk.connectString(), zk.connectString());
        east = LocalCluster.create(new LocalCluster.Options(
                "east",
                2,
                dir.resolve("east"),
                FreePorts.block(2),
                FreePorts.block(2),
                FreePorts.block(2, 100, 200),
                archive,
                connect));
        east.startAll();
        awaitHealthy(east, 2);
        String standby = "standby_cluster:\n"
                + "  primary_cluster: {name: east, zookeeper: \"" + zk.connectString() + "\"}\n"
                + "  archive: true\n";
        west = LocalCluster.create(new LocalCluster.Options(
                "west",
                2,
                dir.resolve("west"),
                FreePorts.block(2),
                FreePorts.block(2),
                FreePorts.block(2, 100, 200),
                archive + standby,
                connect));
        west.startAll();
    }

    @AfterAll
    static void stop() throws Exception {
        ClusterFixture.stop(west);
        ClusterFixture.stop(east);
        if (zk != null) zk.close();
        if (dir != null) io.pgha.postgres.Directories.delete(dir);
    }

    private static ClusterState state(LocalCluster c) {
        return quietly(c::state, ClusterState.empty());
    }

    private static int primaryOf(LocalCluster c) {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(300))
                .until(() ->
                        state(c).leaderMember().filter(Member::isRunningPrimary).isPresent());
        return index(state(c).leader());
    }

    private static int standbyLeaderOf(LocalCluster c) {
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> state(c).leaderMember()
                        .filter(m -> m.isRunningStandby() && StandbyCluster.UPSTREAM.equals(m.following()))
                        .isPresent());
        return index(state(c).leader());
    }

    private static Connection connect(LocalCluster c, int i) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + c.pgPort(i)
                + "/postgres?user=postgres&connectTimeout=3&socketTimeout=30");
    }

    private static Set<Long> ids(LocalCluster c, int i, String table) {
        Set<Long> out = new HashSet<>();
        try (Connection conn = connect(c, i);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) out.add(rs.getLong(1));
        } catch (Exception e) {
            // not there yet
        }
        return out;
    }

    /** Writes to east until {@code rows} are acknowledged; the acknowledged ids. */
    private static Set<Long> writeToEast(String table, int rows) throws Exception {
        // the driver may still remember a new primary as a standby for a few seconds: retry the first connection
        java.util.concurrent.atomic.AtomicReference<Writer> writer =
                new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofSeconds(1))
                .ignoreExceptions()
                .until(() -> {
                    writer.set(new Writer(east.jdbcUrl() + "&hostRecheckSeconds=1", table));
                    return true;
                });
        try (Writer w = writer.get().start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedCount() >= rows);
            Set<Long> acked = new HashSet<>(w.acked());
            ackedByEast.addAll(acked);
            return acked;
        }
    }

    /** Every west member gets the rows. */
    private static void awaitOnWest(String table, Set<Long> rows) {
        for (int i = 1; i <= 2; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(ids(west, node, table))
                            .as("west node" + node)
                            .containsAll(rows));
        }
    }

    private static int httpStatus(LocalCluster c, int i, String path) throws Exception {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.apiPort(i) + path))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    @Order(1)
    void theStandbyClusterCopiesThePrimaryClusterAndCascades() throws Exception {
        int leader = standbyLeaderOf(west);
        awaitHealthy(west, 2);
        int other = 3 - leader;
        Member cascading = state(west).member(west.nodeName(other)).orElseThrow();
        assertThat(cascading.following())
                .as("the other member cascades from the standby leader")
                .isEqualTo(west.nodeName(leader));
        awaitOnWest("site_a", writeToEast("site_a", 50));

        assertThat(httpStatus(west, leader, "/standby-leader")).isEqualTo(200);
        assertThat(httpStatus(west, leader, "/primary")).isEqualTo(503);
        assertThat(httpStatus(west, other, "/standby-leader")).isEqualTo(503);
        var list = pgha("list", "-c", west.config(1).toString());
        assertThat(list.out())
                .contains("Standby cluster of: cluster east", "standby leader: " + west.nodeName(leader))
                .contains("lag between sites:")
                .contains("standby leader");
        try (Connection c = connect(west, leader);
                Statement st = c.createStatement()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> st.execute("CREATE TABLE west_only (id int)"))
                    .hasMessageContaining("read-only");
        }
    }

    @Test
    @Order(2)
    void aFailoverInThePrimaryClusterIsFollowedAcrossTheTimelineSwitch() throws Exception {
        int oldPrimary = primaryOf(east);
        east.kill(oldPrimary);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> state(east)
                        .leaderMember()
                        .filter(m -> m.isRunningPrimary() && !m.name().equals(east.nodeName(oldPrimary)))
                        .isPresent());
        Set<Long> after = writeToEast("site_b", 50);
        awaitOnWest("site_b", after);
        int westLeader = standbyLeaderOf(west);
        // the rows are there; the standby leader publishes the timeline it receives on once per cycle
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(state(west)
                                .member(west.nodeName(westLeader))
                                .orElseThrow()
                                .timeline())
                        .as("west follows east onto its new timeline")
                        .isEqualTo(state(east).leaderMember().orElseThrow().timeline()));
        east.start(oldPrimary);
        awaitHealthy(east, 2);
    }

    @Test
    @Order(3)
    void theStandbyClusterFailsOverInsideItself() throws Exception {
        int oldLeader = standbyLeaderOf(west);
        west.kill(oldLeader);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> state(west)
                        .leaderMember()
                        .filter(m -> !m.name().equals(west.nodeName(oldLeader))
                                && m.isRunningStandby()
                                && StandbyCluster.UPSTREAM.equals(m.following()))
                        .isPresent());
        west.start(oldLeader);
        awaitHealthy(west, 2);
        awaitOnWest("site_c", writeToEast("site_c", 50));
    }

    @Test
    @Order(4)
    void aHostListAndTheArchiveAloneServeAsSourcesToo() throws Exception {
        String hosts = "127.0.0.1:" + east.pgPort(1) + ",127.0.0.1:" + east.pgPort(2);
        var set = pgha(
                "edit-config",
                "-c",
                west.config(1).toString(),
                "--set",
                "standby_cluster={hosts: \"" + hosts + "\"}",
                "--force");
        assertThat(set.exitCode()).as(set.err()).isZero();
        awaitOnWest("site_d", writeToEast("site_d", 30));

        set = pgha(
                "edit-config", "-c", west.config(1).toString(), "--set", "standby_cluster={archive: true}", "--force");
        assertThat(set.exitCode()).as(set.err()).isZero();
        int leader = standbyLeaderOf(west);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            try (Connection c = connect(west, leader);
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_wal_receiver")) {
                rs.next();
                assertThat(rs.getInt(1))
                        .as("no stream: WAL comes from the archive")
                        .isZero();
            }
        });
        Set<Long> rows = writeToEast("site_e", 30);
        try (Connection c = connect(east, primaryOf(east));
                Statement st = c.createStatement()) {
            st.execute("SELECT pg_switch_wal()"); // the segment holding the rows goes to the archive now
        }
        awaitOnWest("site_e", rows);
    }

    @Test
    @Order(5)
    void promotingTheStandbyClusterIsRefusedWhileThePrimaryClusterTakesWritesAndKeepsEveryWriteAfter()
            throws Exception {
        var refused = pgha("promote-cluster", "-c", west.config(1).toString(), "--yes");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("archive only", "--force");

        String hosts = "127.0.0.1:" + east.pgPort(1) + ",127.0.0.1:" + east.pgPort(2);
        var set = pgha(
                "edit-config",
                "-c",
                west.config(1).toString(),
                "--set",
                "standby_cluster={hosts: \"" + hosts + "\", archive: true}",
                "--force");
        assertThat(set.exitCode()).as(set.err()).isZero();
        refused = pgha("promote-cluster", "-c", west.config(1).toString(), "--yes");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err()).contains("is up and takes writes");

        Set<Long> last = writeToEast("site_f", 50);
        int eastPrimary = primaryOf(east);
        east.stop(3 - eastPrimary); // the standby first, so that nobody takes over from the primary
        east.stop(eastPrimary); // a clean stop: every WAL record reaches the standby cluster
        awaitOnWest("site_f", last);

        var promoted = pgha("promote-cluster", "-c", west.config(1).toString(), "--yes", "--wait", "90");
        assertThat(promoted.exitCode()).as(promoted.out() + promoted.err()).isZero();
        int p = primaryOf(west);
        assertThat(state(west).config().standby()).isFalse();
        for (String table : List.of("site_a", "site_b", "site_c", "site_d", "site_e", "site_f")) {
            assertThat(ids(west, p, table)).as(table).isNotEmpty();
        }
        Set<Long> all = new HashSet<>();
        for (String table : List.of("site_a", "site_b", "site_c", "site_d", "site_e", "site_f")) {
            all.addAll(ids(west, p, table));
        }
        assertThat(all).as("every write east acknowledged").containsAll(ackedByEast);
        try (Connection c = connect(west, p);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE west_writes (id int)");
        }
        awaitHealthy(west, 2);
    }
}
