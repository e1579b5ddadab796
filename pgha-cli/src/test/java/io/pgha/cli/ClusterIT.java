package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.awaitHealthy;
import static io.pgha.cli.ClusterFixture.count;
import static io.pgha.cli.ClusterFixture.index;
import static io.pgha.cli.ClusterFixture.leader;
import static io.pgha.cli.ClusterFixture.member;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Member;
import io.pgha.testkit.LinkTrap;
import io.pgha.testkit.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end on one 3-node cluster of real processes (agent JVM + embedded ZooKeeper peer +
 * PostgreSQL per node), started once for the class. Scenarios run in order, each starting from a
 * healthy cluster.
 *
 * <p>Run as root (as CI does), every scenario also runs with links planted by PostgreSQL's OS user
 * at every name the agent writes in that user's directories ({@link LinkTrap}): start, restart,
 * reinitialize, switchover, follow, rewind and a synchronous change must leave every file the links
 * point to as it was.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    private static LocalCluster cluster;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        cluster = ClusterFixture.start("it", 3, null, null);
        try {
            awaitHealthy(cluster, 3);
        } catch (RuntimeException e) {
            ClusterFixture.dumpLogs(cluster);
            throw e;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            ClusterFixture.stop(cluster);
        } finally {
            if (victims != null) io.pgha.postgres.Directories.delete(victims);
        }
    }

    /** Names the agent writes (or wrote, through fixed temporary names, before it wrote safely). */
    private static final List<String> DATA_NAMES = List.of(
            ".pgha.conf.pgha-tmp",
            ".pg_hba.conf.pgha-tmp",
            ".postgresql.conf.pgha-tmp",
            ".standby.signal.pgha-tmp",
            "recovery.signal");

    private static final List<String> WAL_NAMES = List.of(
            ".00000002.history.tmp",
            ".00000003.history.tmp",
            ".00000004.history.tmp",
            ".00000005.history.tmp",
            ".00000006.history.tmp",
            ".00000007.history.tmp");
    private static final List<String> STATE_NAMES =
            List.of(".data.pgpass.pgha-tmp", "data.initpw", ".data.initpw.pgha-tmp", ".clone");
    private static Path victims;
    private static LinkTrap trap;

    @BeforeEach
    void plantLinks() throws Exception {
        if (!io.pgha.postgres.OsCommand.runningAsRoot()) return;
        if (trap == null) {
            victims = Files.createTempDirectory("pgha-victims");
            trap = new LinkTrap(victims, "postgres");
        }
        for (int i = 1; i <= 3; i++) {
            Path data = cluster.directory().resolve("node" + i).resolve("data");
            trap.plant(data, DATA_NAMES);
            trap.plant(data.resolve("pg_wal"), WAL_NAMES);
            trap.plant(data.getParent(), STATE_NAMES);
        }
    }

    @AfterEach
    void noFileOutsideChanged() throws Exception {
        if (trap == null) return;
        assertThat(trap.planted()).isPositive();
        assertThat(trap.changed())
                .as("files that links planted by PostgreSQL's OS user point to")
                .isEmpty();
    }

    private static String cfg() {
        return cluster.config(1).toString();
    }

    @Test
    @Order(1)
    void bootstrapMakesOnePrimaryWithStreamingStandbysEachOnItsOwnSlot() throws Exception {
        ClusterState c = cluster.state();
        String leader = c.leader();
        assertThat(c.initialized()).isTrue();
        assertThat(c.members()).hasSize(3);
        Set<String> standbys = new HashSet<>(c.members().keySet());
        standbys.remove(leader);
        for (String s : standbys) {
            assertThat(c.members().get(s).isRunningStandby()).isTrue();
            assertThat(c.members().get(s).following()).isEqualTo(leader);
        }
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(count(
                                cluster,
                                index(leader),
                                "SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name IN ("
                                        + String.join(
                                                ",",
                                                standbys.stream()
                                                        .map(s -> "'" + io.pgha.postgres.ConfigFiles.slotName(s) + "'")
                                                        .toList())
                                        + ")"))
                        .isEqualTo(2));
        assertThat(pgha("list", "-c", cfg()).out()).contains("primary", "standby", "streaming from " + leader);
        assertThat(pgha("list", "-c", cfg(), "--format", "json").out()).contains("\"leader\" : \"" + leader + "\"");
    }

    /**
     * {@code pgha list} (and status, topology, history) with a node's config on the node's machine is
     * answered by that node's agent through its control socket: a copy of the config whose DCS cannot be reached still lists the
     * cluster. A copy naming another data directory at the same socket is refused by the agent, and
     * the CLI, left to read the DCS itself, says it cannot.
     */
    @Test
    @Order(1)
    void listOnANodesMachineIsAnsweredByItsAgentThroughTheControlSocket() throws Exception {
        String leader = cluster.state().leader();
        Path dir = Files.createTempDirectory("pgha-control");
        try {
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> doc = (java.util.Map<String, Object>)
                    new org.yaml.snakeyaml.Yaml().load(Files.readString(cluster.config(1)));
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(cluster.config(1))))
                    .as("a node's config holds its passwords")
                    .isEqualTo("rw-------");
            io.pgha.core.config.NodeConfig real = io.pgha.agent.ConfigLoader.load(cluster.config(1));
            assertThat(real.controlSocket()).isNotNull();
            assertThat(Path.of(real.controlSocket())).exists();
            int dead;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                dead = s.getLocalPort();
            }
            doc.put("dcs", java.util.Map.of("zookeeper", java.util.Map.of("connect", "127.0.0.1:" + dead)));
            Path unreachable = dir.resolve("unreachable.yml");
            Files.writeString(unreachable, new org.yaml.snakeyaml.Yaml().dump(doc));

            ClusterFixture.Run text = pgha("list", "-c", unreachable.toString());
            assertThat(text.exitCode()).as(text.err()).isZero();
            assertThat(text.out()).contains("leader: " + leader, "primary", "streaming from " + leader);
            ClusterFixture.Run json = pgha("list", "-c", unreachable.toString(), "--format", "json");
            assertThat(json.exitCode()).as(json.err()).isZero();
            assertThat(json.out()).contains("\"leader\" : \"" + leader + "\"");
            // the same text as the command's own read of the DCS (a copy of the real config without the socket)
            java.util.Map<String, Object> directDoc = new java.util.LinkedHashMap<>(
                    new org.yaml.snakeyaml.Yaml().load(Files.readString(cluster.config(1))));
            directDoc.put("control_socket", "off");
            Path direct = dir.resolve("direct.yml");
            Files.writeString(direct, new org.yaml.snakeyaml.Yaml().dump(directDoc));
            for (String command : List.of("list", "status", "topology", "history")) {
                for (String format : List.of("text", "json")) {
                    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                        ClusterFixture.Run r = pgha(command, "-c", unreachable.toString(), "--format", format);
                        assertThat(r.exitCode())
                                .as(command + " " + format + ": " + r.err())
                                .isZero();
                        assertThat(r.out())
                                .as(command + " " + format)
                                .isEqualTo(pgha(command, "-c", direct.toString(), "--format", format)
                                        .out());
                    });
                }
            }

            doc.put("data_dir", dir.resolve("elsewhere").toString());
            doc.put("control_socket", real.controlSocket());
            Path other = dir.resolve("other.yml");
            Files.writeString(other, new org.yaml.snakeyaml.Yaml().dump(doc));
            ClusterFixture.Run refused = pgha("list", "-c", other.toString());
            assertThat(refused.exitCode())
                    .as("another data directory: the CLI reads the DCS, which it cannot reach")
                    .isNotZero();
            assertThat(refused.out()).doesNotContain("streaming from");
        } finally {
            io.pgha.postgres.Directories.delete(dir);
        }
    }

    private static HttpResponse<String> get(int node, String path) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.apiPort(node) + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(int node, String path, String body, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.apiPort(node) + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (password != null) {
            b.header("Authorization", ClusterFixture.basicAuth(password));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(2)
    void restApiAnswersPatroniHealthPathsAndRefusesUnauthenticatedChanges() throws Exception {
        int l = index(leader(cluster));
        int s = l % 3 + 1;
        assertThat(get(l, "/primary").statusCode()).isEqualTo(200);
        assertThat(get(s, "/primary").statusCode()).isEqualTo(503);
        assertThat(get(s, "/replica").statusCode()).isEqualTo(200);
        assertThat(get(l, "/replica").statusCode()).isEqualTo(503);
        assertThat(get(s, "/replica?lag=100MB").statusCode()).isEqualTo(200);
        assertThat(get(s, "/read-only").statusCode()).isEqualTo(200);
        assertThat(get(l, "/read-only").statusCode()).isEqualTo(200);
        assertThat(get(s, "/health").statusCode()).isEqualTo(200);
        assertThat(get(s, "/liveness").statusCode()).isEqualTo(200);
        assertThat(get(s, "/readiness").statusCode()).isEqualTo(200);
        assertThat(get(s, "/cluster").body()).contains("\"leader\":\"node" + l + "\"");
        assertThat(get(s, "/history").statusCode()).isEqualTo(200);
        assertThat(get(s, "/nope").statusCode()).isEqualTo(404);

        assertThat(post(s, "/pause", "", null).statusCode()).isEqualTo(401);
        assertThat(post(s, "/pause", "", "wrong").statusCode()).isEqualTo(401);
        assertThat(cluster.state().config().paused()).isFalse();
        assertThat(post(s, "/switchover", "{not json", cluster.apiPassword()).statusCode())
                .isEqualTo(400);
        HttpResponse<String> bad = post(s, "/switchover", "{\"candidate\":\"nosuch\"}", cluster.apiPassword());
        assertThat(bad.statusCode()).isEqualTo(409);
        assertThat(bad.body()).contains("no member named 'nosuch'");
        assertThat(cluster.state().failover()).isNull();

        HttpResponse<String> failover =
                post(s, "/failover", "{\"candidate\":\"node" + s + "\"}", cluster.apiPassword());
        assertThat(failover.statusCode()).isEqualTo(409);
        assertThat(failover.body()).contains("is healthy");
        HttpResponse<String> toPrimary =
                post(s, "/switchover", "{\"candidate\":\"node" + l + "\"}", cluster.apiPassword());
        assertThat(toPrimary.statusCode()).isEqualTo(409);
        assertThat(toPrimary.body()).contains("is the primary already");
        HttpResponse<String> badTime = post(s, "/switchover", "{\"scheduled_at\":\"soon\"}", cluster.apiPassword());
        assertThat(badTime.statusCode()).isEqualTo(400);
        assertThat(badTime.body()).contains("scheduled_at: 'soon'");
        assertThat(cluster.state().failover()).isNull();
        assertThat(post(s, "/pause", "", cluster.apiPassword()).statusCode()).isEqualTo(200);
        assertThat(cluster.state().config().paused()).isTrue();
        assertThat(pgha("list", "-c", cfg()).out()).contains("PAUSED");
        assertThat(post(s, "/resume", "", cluster.apiPassword()).statusCode()).isEqualTo(200);
        assertThat(cluster.state().config().paused()).isFalse();
    }

    /**
     * An authenticated POST of {@code path} to member {@code node}, made again while the member answers
     * 409 because an action of its own is still in progress.
     */
    private static HttpResponse<String> postWhenIdle(int node, String path) {
        java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> r =
                new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    r.set(post(node, path, "", cluster.apiPassword()));
                    return !(r.get().statusCode() == 409 && r.get().body().contains("in progress"));
                });
        return r.get();
    }

    @Test
    @Order(3)
    void restartAndReinitializeThroughTheRestApi() throws Exception {
        int s = index(leader(cluster)) % 3 + 1;
        long oldPid = cluster.postmaster(s).orElseThrow().pid();
        assertThat(post(s, "/restart", "", null).statusCode()).isEqualTo(401);
        HttpResponse<String> restart = postWhenIdle(s, "/restart");
        assertThat(restart.statusCode()).as(restart.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> cluster.postmaster(s).map(p -> p.pid() != oldPid).orElse(false) && cluster.healthy(3));

        int l = index(leader(cluster));
        HttpResponse<String> onPrimary = post(l, "/reinitialize", "", cluster.apiPassword());
        assertThat(onPrimary.statusCode()).isEqualTo(409);
        assertThat(onPrimary.body()).contains("is the primary");
        try (Connection conn = ClusterFixture.connect(cluster, l);
                Statement st = conn.createStatement()) {
            st.execute("CREATE TABLE reinit_marker AS SELECT 42 AS answer");
        }
        int before = ClusterFixture.agentLog(cluster, s).split("pg_basebackup: ").length;
        // the restart action may still be finishing once the new postmaster runs
        HttpResponse<String> reinit = postWhenIdle(s, "/reinitialize");
        assertThat(reinit.statusCode()).as(reinit.body()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(120))
                .until(() -> ClusterFixture.agentLog(cluster, s).split("pg_basebackup: ").length > before
                        && cluster.healthy(3));
        await().atMost(Duration.ofSeconds(30))
                .until(() ->
                        ClusterFixture.quietly(() -> count(cluster, s, "SELECT answer FROM reinit_marker"), 0L) == 42);
    }

    @Test
    @Order(4)
    void switchoverUnderLoadLosesNothingAndTheOldPrimaryFollowsWithoutRewind() throws Exception {
        String old = leader(cluster);
        String target = "node" + (index(old) % 3 + 1);
        try (Writer w = new Writer(cluster.jdbcUrl(), "switchover_load").start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> w.ackedCount() > 50);
            ClusterFixture.Run r = pgha("switchover", "-c", cfg(), "--to", target, "--force");
            assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains(target + " is now the primary");
            int before = w.ackedCount();
            await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedCount() > before + 50);
            w.close();
            assertThat(missing(w, index(target), "switchover_load"))
                    .as("acknowledged rows missing after switchover")
                    .isEmpty();
        }
        awaitHealthy(cluster, 3);
        ClusterState c = cluster.state();
        assertThat(c.leader()).isEqualTo(target);
        HistoryEntry last = c.history().get(c.history().size() - 1);
        assertThat(last.reason()).isEqualTo("switchover from " + old);
        assertThat(last.newLeader()).isEqualTo(target);
        assertThat(member(cluster, old).following()).isEqualTo(target);
        assertThat(ClusterFixture.agentLog(cluster, index(old))).doesNotContain("Rewind:");
        assertThat(pgha("history", "-c", cfg()).out()).contains("switchover from " + old);
    }

    @Test
    @Order(5)
    void switchoverToAMemberThatIsNotAHealthyStandbyIsRefusedAndChangesNothing() throws Exception {
        String l = leader(cluster);
        ClusterFixture.Run toLeader = pgha("switchover", "-c", cfg(), "--to", l, "--force");
        assertThat(toLeader.exitCode()).isEqualTo(1);
        assertThat(toLeader.err()).contains(l + " is the primary already");
        ClusterFixture.Run unknown = pgha("switchover", "-c", cfg(), "--to", "node9", "--force");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("no member named 'node9'");
        ClusterFixture.Run failover = pgha("failover", "-c", cfg(), "--to", "node1", "--force");
        assertThat(failover.exitCode()).isEqualTo(1);
        assertThat(failover.err()).contains("is healthy");
        ClusterFixture.Run badTime = pgha("switchover", "-c", cfg(), "--at", "tomorrow", "--force");
        assertThat(badTime.exitCode()).isEqualTo(1);
        assertThat(badTime.err()).contains("--at: 'tomorrow'");
        assertThat(cluster.state().failover()).isNull();
        assertThat(leader(cluster)).isEqualTo(l);
    }

    @Test
    @Order(6)
    void aCrashedPostmasterIsRestartedInPlaceWithoutFailover() throws Exception {
        String l = leader(cluster);
        int before = cluster.state().history().size();
        long oldPid = cluster.postmaster(index(l)).orElseThrow().pid();
        long logBefore = java.nio.file.Files.size(cluster.agentLog(index(l)));
        cluster.killPostmaster(index(l));
        await().atMost(Duration.ofSeconds(60))
                .until(() ->
                        cluster.postmaster(index(l)).map(p -> p.pid() != oldPid).orElse(false) && cluster.healthy(3));
        assertThat(leader(cluster)).isEqualTo(l);
        assertThat(cluster.state().history()).hasSize(before);
        // The first start succeeds: the killed postmaster, a zombie until its parent reaps it, is no
        // longer taken for a live one through the lock files it left ("lock file ... already exists").
        String log;
        try (var in = java.nio.file.Files.newInputStream(cluster.agentLog(index(l)))) {
            in.skipNBytes(logBefore);
            log = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(log).contains("restarting it in place").doesNotContain("start failed");
    }

    @Test
    @Order(7)
    void whilePausedNothingFailsOverAutomaticallyButAManualFailoverAndAgentRestartsWork() throws Exception {
        String l = leader(cluster);
        assertThat(pgha("pause", "-c", cfg()).exitCode()).isZero();
        cluster.kill(index(l));
        // The lease of the dead node expires; nobody takes over on their own.
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.state().leader() == null);
        Thread.sleep(4000);
        ClusterState c = cluster.state();
        assertThat(c.leader()).isNull();
        assertThat(c.members().values())
                .filteredOn(m -> !m.name().equals(l))
                .allSatisfy(m -> assertThat(m.lastDecision()).contains("paused"));

        String target = "node" + (index(l) % 3 + 1);
        ClusterFixture.Run refused = pgha("failover", "-c", cfg(), "--to", target, "--force");
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.err())
                .contains(
                        "the last primary " + l + " has no agent reporting",
                        "may still accept writes",
                        "--assume-primary-down");
        assertThat(cluster.state().failover()).as("nothing requested").isNull();
        ClusterFixture.Run r = pgha("failover", "-c", cfg(), "--to", target, "--force", "--assume-primary-down");
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        assertThat(leader(cluster)).isEqualTo(target);
        // Maintenance mode also lets an agent restart without touching its PostgreSQL.
        int t = index(target);
        int timeline = member(cluster, target).timeline();
        long pid = cluster.postmaster(t).orElseThrow().pid();
        cluster.stop(t);
        assertThat(cluster.postmaster(t).map(ProcessHandle::pid))
                .as("PostgreSQL left running")
                .contains(pid);
        cluster.start(t);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ClusterState s = ClusterFixture.state(cluster);
            return s != null
                    && target.equals(s.leader())
                    && s.leaderMember().map(Member::isRunningPrimary).orElse(false);
        });
        assertThat(cluster.postmaster(t).map(ProcessHandle::pid))
                .as("same postmaster, no failover")
                .contains(pid);
        assertThat(member(cluster, target).timeline()).isEqualTo(timeline);
        assertThat(pgha("resume", "-c", cfg()).exitCode()).isZero();

        cluster.start(index(l));
        awaitHealthy(cluster, 3);
        assertThat(member(cluster, l).following()).isEqualTo(target);
    }

    @Test
    @Order(8)
    void aKilledPrimaryNodeIsReplacedAndRejoinsAsAStandbyAfterRewind() throws Exception {
        String old = leader(cluster);
        int oldIndex = index(old);
        int oldTimeline = member(cluster, old).timeline();
        int[] clonesBefore = new int[4];
        for (int i = 1; i <= 3; i++)
            clonesBefore[i] = ClusterFixture.agentLog(cluster, i).split("Clone: ").length;
        long lost;
        try (Writer w = new Writer(cluster.jdbcUrl(), "failover_load").start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> w.ackedCount() > 50);
            cluster.kill(oldIndex);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                ClusterState c = ClusterFixture.state(cluster);
                return c != null && c.leader() != null && !c.leader().equals(old) && cluster.healthy(2);
            });
            int before = w.ackedCount();
            await().atMost(Duration.ofSeconds(60)).until(() -> w.ackedCount() > before + 50);
            w.close();
            String now = leader(cluster);
            lost = missing(w, index(now), "failover_load").size();
            System.out.println("failover: acknowledged writes lost in asynchronous mode: " + lost);
        }
        String newLeader = leader(cluster);
        // A standby publishes the timeline it has received WAL on once per cycle: right after the
        // switch it may still show the old one for a cycle, so the check waits for the published view.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ClusterState c = cluster.state();
            assertThat(c.leader()).isEqualTo(newLeader);
            Member nl = c.members().get(newLeader);
            assertThat(nl.timeline()).isGreaterThan(oldTimeline);
            for (Member m : c.members().values()) {
                if (!m.name().equals(newLeader)) {
                    assertThat(m.following()).isEqualTo(newLeader);
                    assertThat(m.timeline()).as("%s's timeline", m.name()).isEqualTo(nl.timeline());
                    assertThat(ClusterFixture.agentLog(cluster, index(m.name())).split("Clone: ").length)
                            .as("%s followed across the timeline switch without a re-clone", m.name())
                            .isEqualTo(clonesBefore[index(m.name())]);
                }
            }
        });
        assertThat(pgha("history", "-c", cfg()).out()).contains("automatic failover");

        cluster.start(oldIndex);
        awaitHealthy(cluster, 3);
        Member back = member(cluster, old);
        assertThat(back.role().label()).isEqualTo("standby");
        assertThat(back.following()).isEqualTo(newLeader);
        assertThat(ClusterFixture.agentLog(cluster, oldIndex)).contains("Rewind:");
        assertThat(leader(cluster)).isEqualTo(newLeader);
    }

    @Test
    @Order(9)
    void aSynchronousChangeRewritesTheConfigOnThePrimary() throws Exception {
        int l = index(leader(cluster));
        assertThat(pgha("edit-config", "-c", cfg(), "--set", "synchronous_mode=on", "--force")
                        .exitCode())
                .isZero();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> count(
                                cluster,
                                l,
                                "SELECT count(*) FROM pg_settings WHERE name = 'synchronous_standby_names' AND setting <> ''")
                        == 1);
        assertThat(pgha("edit-config", "-c", cfg(), "--set", "synchronous_mode=off", "--force")
                        .exitCode())
                .isZero();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> count(
                                cluster,
                                l,
                                "SELECT count(*) FROM pg_settings WHERE name = 'synchronous_standby_names' AND setting = ''")
                        == 1);
    }

    @Test
    @Order(10)
    void aScheduledSwitchoverCanBeCancelledFromTheCliBeforeItBegins() throws Exception {
        String l = leader(cluster);
        String at = java.time.Instant.now().plus(java.time.Duration.ofHours(1)).toString();
        ClusterFixture.Run scheduled = pgha("switchover", "-c", cfg(), "--at", at, "--force");
        assertThat(scheduled.exitCode()).as(scheduled.out() + scheduled.err()).isZero();
        assertThat(cluster.state().failover()).isNotNull();
        ClusterFixture.Run cancelled = pgha("switchover", "-c", cfg(), "--cancel");
        assertThat(cancelled.exitCode()).as(cancelled.err()).isZero();
        assertThat(cancelled.out()).contains("Cancelled the switchover from " + l);
        assertThat(cluster.state().failover()).isNull();
        ClusterFixture.Run again = pgha("switchover", "-c", cfg(), "--cancel");
        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("nothing to cancel");
        assertThat(leader(cluster)).isEqualTo(l);
    }

    /** Acknowledged ids that the table on node {@code i} does not have. */
    private static List<Long> missing(Writer w, int i, String table) throws Exception {
        Set<Long> present = new HashSet<>();
        try (Connection conn = ClusterFixture.connect(cluster, i);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) present.add(rs.getLong(1));
        }
        return w.acked().stream().filter(id -> !present.contains(id)).toList();
    }
}
