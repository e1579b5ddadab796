package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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
 * Cluster-wide PostgreSQL settings kept in the DCS: checked against a running member's pg_settings
 * when edited, reloaded on every member within a cycle, flagged when they need a restart, overridden
 * by a node file, and shown with their sources by {@code pgha show-config}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterSettingsIT {
    private static EmbeddedZooKeeper zk;
    private static Path zkDir;
    private static LocalCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        zkDir = Files.createTempDirectory("pgha-settings-zk");
        zk = EmbeddedZooKeeper.standalone(FreePorts.one(), zkDir);
        cluster = ClusterFixture.startOn(zk, "settings", 2);
    }

    @AfterAll
    static void stop() throws Exception {
        ClusterFixture.stop(cluster, zk, zkDir);
    }

    private static String cfg() {
        return cluster.config(1).toString();
    }

    private static String show(int node, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + cluster.pgPort(node) + "/postgres?user=postgres");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    @Order(1)
    void aReloadableSettingReachesEveryMemberWithinACycle() throws Exception {
        var run = pgha("edit-config", "-c", cfg(), "--set", "postgresql.parameters.work_mem=12MB", "--force");
        assertThat(run.exitCode()).as(run.err()).isZero();
        for (int i = 1; i <= 2; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(show(node, "SHOW work_mem")).isEqualTo("12MB"));
        }
    }

    @Test
    @Order(2)
    void badSettingsAreRefusedWithTheirNames() throws Exception {
        var unknown = pgha("edit-config", "-c", cfg(), "--set", "postgresql.parameters.wrok_mem=1MB", "--force");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.err()).contains("postgresql.parameters.wrok_mem: PostgreSQL has no parameter of this name");
        var bad = pgha("edit-config", "-c", cfg(), "--set", "postgresql.parameters.work_mem=lots", "--force");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("postgresql.parameters.work_mem: 'lots' is not a number");
        var range = pgha("edit-config", "-c", cfg(), "--set", "postgresql.parameters.work_mem=1kB", "--force");
        assertThat(range.err()).contains("is below the minimum 64 (in kB)");
        var managed = pgha("edit-config", "-c", cfg(), "--set", "postgresql.parameters.port=5999", "--force");
        assertThat(managed.err()).contains("postgresql.parameters.port: is managed by pgha");

        // the REST API checks against its own member's pg_settings the same way
        var api = patch("{\"postgresql\": {\"parameters\": {\"work_mem\": \"lots\"}}}");
        assertThat(api.statusCode()).isEqualTo(400);
        assertThat(api.body()).contains("postgresql.parameters.work_mem: 'lots' is not a number");
        var unknownApi = patch("{\"postgresql.parameters.wrok_mem\": \"1MB\"}");
        assertThat(unknownApi.statusCode()).isEqualTo(400);
        assertThat(unknownApi.body()).contains("wrok_mem: PostgreSQL has no parameter of this name");
        assertThat(cluster.state().config().postgresql().parameters())
                .containsEntry("work_mem", "12MB")
                .doesNotContainKey("wrok_mem");
    }

    private static java.net.http.HttpResponse<String> patch(String body) throws Exception {
        var node = io.pgha.agent.ConfigLoader.load(cluster.config(1));
        var me = cluster.state().member(node.name()).orElseThrow();
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(me.apiUrl() + "/config"))
                .timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json")
                .header(
                        "Authorization",
                        io.pgha.http.BasicAuth.header(node.restapi().auth()))
                .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build();
        return java.net.http.HttpClient.newHttpClient().send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(3)
    void aSettingThatNeedsARestartIsFlaggedOnEveryMember() throws Exception {
        var run = pgha(
                "edit-config", "-c", cfg(), "--set", "postgresql.parameters.max_locks_per_transaction=96", "--force");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("Needs a restart of PostgreSQL to take effect: max_locks_per_transaction");
        await().atMost(Duration.ofSeconds(15))
                .until(() -> cluster.state().members().values().stream()
                        .allMatch(io.pgha.core.model.Member::pendingRestart));
        var list = pgha("list", "-c", cfg());
        assertThat(list.out()).contains("running *", "* pending restart");
        assertThat(pgha("list", "-c", cfg(), "--format", "json").out()).contains("\"pending_restart\" : true");
    }

    @Test
    @Order(4)
    void aNodeFileOverridesTheClusterAndShowConfigSaysWhereEachValueComesFrom() throws Exception {
        // the demo's node files set shared_buffers 32MB themselves
        var run = pgha(
                "edit-config",
                "-c",
                cfg(),
                "--set",
                "postgresql.parameters.shared_buffers=64MB",
                "--set",
                "postgresql.pg_hba=host all all 10.99.0.0/16 scram-sha-256",
                "--force");
        assertThat(run.exitCode()).as(run.err()).isZero();
        var shown = pgha("show-config", "-c", cfg());
        assertThat(shown.exitCode()).as(shown.err()).isZero();
        assertThat(shown.out())
                .containsPattern("shared_buffers\\s+32MB\\s+node file")
                .containsPattern("work_mem\\s+12MB\\s+cluster-wide \\(DCS\\)")
                .containsPattern("wal_keep_size\\s+128MB\\s+pgha default")
                .containsPattern("port\\s+\\d+\\s+managed by pgha")
                .contains("host all all 10.99.0.0/16 scram-sha-256");
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(show(
                                1, "SELECT count(*) FROM pg_hba_file_rules WHERE '10.99.0.0' = ANY(ARRAY[address])"))
                        .isEqualTo("1"));
    }

    /**
     * The settings that wait for a restart are applied by a rolling restart under a write load: the
     * standby first, then a switchover, then the old primary; no acknowledged write is lost.
     */
    @Test
    @Order(5)
    void aRollingRestartAppliesPendingSettingsUnderLoadWithoutLosingAWrite() throws Exception {
        String oldLeader = cluster.state().leader();
        java.util.Set<Long> acked;
        try (Writer w = new Writer(cluster.jdbcUrl(), "rolling").start()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> w.ackedCount() > 50);
            long t0 = System.nanoTime();
            var run = pgha("restart", "-c", cfg(), "--rolling", "--pending", "--force");
            assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
            assertThat(run.out()).contains("switching over from " + oldLeader);
            int before = w.ackedCount();
            await().atMost(Duration.ofSeconds(30)).until(() -> w.ackedCount() > before + 50);
            acked = new java.util.HashSet<>(w.acked());
            System.out.println("rolling restart: longest pause of writes " + w.longestGapMsAfter(t0) + " ms");
        }
        var c = cluster.state();
        assertThat(c.leader()).isNotEqualTo(oldLeader);
        assertThat(c.members().values()).noneMatch(io.pgha.core.model.Member::pendingRestart);
        for (int i = 1; i <= 2; i++)
            assertThat(show(i, "SHOW max_locks_per_transaction")).isEqualTo("96");
        int primary = ClusterFixture.index(c.leader());
        java.util.Set<Long> present = new java.util.HashSet<>();
        try (Connection conn = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + cluster.pgPort(primary) + "/postgres?user=postgres");
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT id FROM rolling")) {
            while (rs.next()) present.add(rs.getLong(1));
        }
        assertThat(present).as("every acknowledged write").containsAll(acked);
        var reload = pgha("reload", "-c", cfg());
        assertThat(reload.exitCode()).as(reload.err()).isZero();
        assertThat(reload.out()).contains("reloaded its configuration");
    }

    /**
     * SIGHUP re-reads a node's config file and applies what can change (tags, PostgreSQL
     * parameters) without stopping the agent, naming what needs a restart; SIGTERM stops the agent
     * cleanly with status 0.
     */
    @Test
    @Order(6)
    void sighupReloadsTheNodeFileAndSigtermStopsCleanlyWithStatusZero() throws Exception {
        var state = cluster.state();
        int node = ClusterFixture.index(state.sortedMembers().keySet().stream()
                .filter(n -> !n.equals(state.leader()))
                .findFirst()
                .orElseThrow());
        Path file = cluster.config(node);
        String text = Files.readString(file);
        Files.writeString(
                file,
                text.replace("    fsync: 'on'\n", "    fsync: 'on'\n    statement_timeout: 7s\n")
                        + "tags: {nofailover: true}\ntiming: {ttl: 3s}\n");
        cluster.signalAgent(node, "HUP");
        String name = cluster.nodeName(node);
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(cluster.state()
                                .member(name)
                                .orElseThrow()
                                .tags()
                                .noFailover())
                        .isTrue());
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(
                        () -> assertThat(show(node, "SHOW statement_timeout")).isEqualTo("7s"));
        assertThat(cluster.agentAlive(node)).as("SIGHUP never stops the agent").isTrue();
        assertThat(ClusterFixture.agentLog(cluster, node))
                .contains("need an agent restart and were not applied: timing");

        Files.writeString(file, text); // as it was, for the restart below
        cluster.signalAgent(node, "TERM");
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.agentExitCode(node) != null);
        assertThat(cluster.agentExitCode(node)).as("SIGTERM: a clean stop").isZero();
        assertThat(cluster.postmaster(node))
                .as("its PostgreSQL stopped with it")
                .isEmpty();
        cluster.start(node);
        ClusterFixture.awaitHealthy(cluster, 2);
    }

    /**
     * Every member publishes its pgha version (shown by pgha list); a restart scheduled for later is
     * kept by the member's agent, shown by pgha list, carried out when due, skipped when its
     * condition no longer holds, and can be cancelled.
     */
    @Test
    @Order(7)
    void membersPublishTheirVersionAndScheduledRestartsRunWhenDue() throws Exception {
        var state = cluster.state();
        assertThat(state.members().values()).allMatch(m -> Version.current().equals(m.version()));
        assertThat(pgha("list", "-c", cfg()).out()).contains("Version", Version.current());
        String standby = state.sortedMembers().keySet().stream()
                .filter(n -> !n.equals(state.leader()))
                .findFirst()
                .orElseThrow();
        int node = ClusterFixture.index(standby);
        long pid = cluster.postmaster(node).orElseThrow().pid();

        // cancelled before it is due: nothing happens
        var later = pgha(
                "restart",
                "-c",
                cfg(),
                standby,
                "--scheduled",
                java.time.Instant.now().plusSeconds(3600).toString(),
                "--force");
        assertThat(later.exitCode()).as(later.out() + later.err()).isZero();
        assertThat(later.out()).contains(standby + ": restart of " + standby + " scheduled for");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> cluster.state().member(standby).orElseThrow().scheduledRestart() != null);
        assertThat(pgha("list", "-c", cfg()).out()).contains("Scheduled restart of " + standby);
        var twice = pgha(
                "restart",
                "-c",
                cfg(),
                standby,
                "--scheduled",
                java.time.Instant.now().plusSeconds(7200).toString(),
                "--force");
        assertThat(twice.exitCode()).isEqualTo(1);
        assertThat(twice.out()).contains("a restart is already scheduled");
        var cancel = pgha("restart", "-c", cfg(), "--cancel");
        assertThat(cancel.exitCode()).as(cancel.out() + cancel.err()).isZero();
        assertThat(cancel.out()).contains("cancelled the restart of " + standby);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> cluster.state().member(standby).orElseThrow().scheduledRestart() == null);

        // due, but only for a primary: skipped
        var wrongRole = pgha(
                "restart",
                "-c",
                cfg(),
                standby,
                "--role",
                "primary",
                "--scheduled",
                java.time.Instant.now().plusSeconds(2).toString(),
                "--force");
        assertThat(wrongRole.exitCode()).as(wrongRole.out() + wrongRole.err()).isZero();
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(ClusterFixture.agentLog(cluster, node))
                        .contains("skipped: the member is no longer a primary"));
        assertThat(cluster.postmaster(node).orElseThrow().pid()).isEqualTo(pid);

        // due: carried out, and the standby streams again
        var soon = pgha(
                "restart",
                "-c",
                cfg(),
                standby,
                "--scheduled",
                java.time.Instant.now().plusSeconds(3).toString(),
                "--force");
        assertThat(soon.exitCode()).as(soon.out() + soon.err()).isZero();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> cluster.postmaster(node).map(p -> p.pid() != pid).orElse(false));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            var m = cluster.state().member(standby).orElseThrow();
            return m.scheduledRestart() == null && m.isRunningStandby() && m.streaming();
        });
        var past = pgha("restart", "-c", cfg(), standby, "--scheduled", "2020-01-01T00:00:00Z", "--force");
        assertThat(past.exitCode()).isEqualTo(1);
        assertThat(past.err()).contains("--scheduled: 2020-01-01T00:00:00Z has passed");
    }
}
