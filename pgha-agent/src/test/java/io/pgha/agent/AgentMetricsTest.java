package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.WatchdogConfig;
import io.pgha.core.model.ArchiveStatus;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import io.pgha.core.model.Tags;
import io.pgha.core.resource.ResourceStatus;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.InMemoryDcs;
import io.pgha.testkit.ManualClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics}: Patroni's names and labels, pgha's extras, the JVM's; from a fixed view. */
class AgentMetricsTest {
    private static final long MB = FakeView.MB;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    private String scrape(FakeView v) {
        AgentMetrics m = new AgentMetrics(v);
        open.add(m);
        return m.scrape();
    }

    /** The value of the one series {@code name} of member n1 in cluster main. */
    private static double value(String text, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$")
                .matcher(text);
        assertThat(m.find()).as(name + " in\n" + text).isTrue();
        assertThat(m.group(1)).as(name + "'s labels").contains("scope=\"main\"").contains("name=\"n1\"");
        double v = Double.parseDouble(m.group(2));
        assertThat(m.find()).as("one series of " + name).isFalse();
        return v;
    }

    private static void values(String text, Map<String, Double> expected) {
        expected.forEach((name, v) -> assertThat(value(text, name)).as(name).isEqualTo(v));
    }

    @Test
    void aPrimaryHoldingTheLease() {
        FakeView v = FakeView.of().primary().lease();
        v.pendingRestart = true;
        v.dcsLastSeenMillis = 1_800_000_000_123L;
        String t = scrape(v);
        values(
                t,
                Map.ofEntries(
                        Map.entry("patroni_postgres_running", 1.0),
                        Map.entry("patroni_primary", 1.0),
                        Map.entry("patroni_replica", 0.0),
                        Map.entry("patroni_standby_leader", 0.0),
                        Map.entry("patroni_sync_standby", 0.0),
                        Map.entry("patroni_xlog_location", (double) (100 * MB)),
                        Map.entry("patroni_xlog_received_location", 0.0),
                        Map.entry("patroni_xlog_replayed_location", 0.0),
                        Map.entry("patroni_postgres_timeline", 2.0),
                        Map.entry("patroni_cluster_unlocked", 0.0),
                        Map.entry("patroni_pending_restart", 1.0),
                        Map.entry("patroni_is_paused", 0.0),
                        Map.entry("patroni_failsafe_mode_is_active", 0.0),
                        Map.entry("patroni_dcs_last_seen", 1_800_000_000.0),
                        Map.entry("pgha_lease_held", 1.0),
                        Map.entry("pgha_wal_position_bytes", (double) (100 * MB))));
        assertThat(t)
                .contains("# TYPE patroni_primary gauge")
                .contains("# HELP patroni_primary Value is 1 if this member is a running primary")
                .doesNotContain("pgha_archive_")
                .doesNotContain("pgha_primary")
                .doesNotContain("pgha_timeline");
    }

    @Test
    void aStreamingSynchronousStandbyOfAPausedCluster() {
        FakeView v = FakeView.of().standby(90, true).sync(SyncMode.ON, "n0", 1, "n1");
        v.dynamic = v.dynamic.withPaused(true);
        String t = scrape(v);
        values(
                t,
                Map.ofEntries(
                        Map.entry("patroni_postgres_running", 1.0),
                        Map.entry("patroni_primary", 0.0),
                        Map.entry("patroni_replica", 1.0),
                        Map.entry("patroni_standby_leader", 0.0),
                        Map.entry("patroni_sync_standby", 1.0),
                        Map.entry("patroni_quorum_standby", 0.0),
                        Map.entry("patroni_xlog_location", 0.0),
                        Map.entry("patroni_xlog_received_location", (double) (90 * MB)),
                        Map.entry("patroni_xlog_replayed_location", (double) (90 * MB)),
                        Map.entry("patroni_postgres_streaming", 1.0),
                        Map.entry("patroni_postgres_in_archive_recovery", 0.0),
                        Map.entry("patroni_postgres_timeline", 2.0),
                        Map.entry("patroni_cluster_unlocked", 0.0),
                        Map.entry("patroni_is_paused", 1.0),
                        Map.entry("patroni_pending_restart", 0.0),
                        Map.entry("pgha_lease_held", 0.0)));
        // the leader's position minus a member's replayed one is its lag, as on Patroni's dashboards
        assertThat(value(scrape(FakeView.of().primary()), "patroni_xlog_location")
                        - value(t, "patroni_xlog_replayed_location"))
                .isEqualTo(10.0 * MB);
    }

    @Test
    void aQuorumStandbyAndOneOutsideTheSet() {
        assertThat(value(
                        scrape(FakeView.of().standby(90, true).sync(SyncMode.QUORUM, "n0", 1, "n1", "n2")),
                        "patroni_quorum_standby"))
                .isEqualTo(1.0);
        String outside = scrape(FakeView.of().standby(90, false).sync(SyncMode.ON, "n0", 1, "n2"));
        assertThat(value(outside, "patroni_sync_standby")).isZero();
        assertThat(value(outside, "patroni_postgres_streaming")).isZero();
        assertThat(value(outside, "patroni_postgres_in_archive_recovery")).isEqualTo(1.0);
    }

    @Test
    void theStandbyLeaderOfAStandbyCluster() {
        String t = scrape(FakeView.of().standbyCluster().standby(90, true).lease());
        assertThat(value(t, "patroni_standby_leader")).isEqualTo(1.0);
        assertThat(value(t, "patroni_replica")).isZero();
        assertThat(value(t, "patroni_primary")).isZero();
        assertThat(value(t, "patroni_xlog_replayed_location")).isEqualTo(90.0 * MB);
    }

    @Test
    void aStoppedMemberOfALeaderlessClusterInFailsafe() {
        FakeView v = FakeView.of();
        v.leader = null;
        v.failsafeActive = true;
        String t = scrape(v);
        values(
                t,
                Map.of(
                        "patroni_postgres_running", 0.0,
                        "patroni_primary", 0.0,
                        "patroni_replica", 0.0,
                        "patroni_postgres_timeline", 0.0,
                        "patroni_xlog_location", 0.0,
                        "patroni_cluster_unlocked", 1.0,
                        "patroni_failsafe_mode_is_active", 1.0,
                        "patroni_dcs_last_seen", 0.0));
    }

    @Test
    void archiveMetersExistOnlyWhileThisMemberIsAnArchivingPrimary() {
        FakeView v = FakeView.of().primary().lease();
        v.archive =
                new ArchiveStatus(3, 3 * 4 * MB, 120, "000000020000000000000010", 4, "000000020000000000000011", true);
        AgentMetrics m = new AgentMetrics(v);
        open.add(m);
        String t = m.scrape();
        values(
                t,
                Map.of(
                        "pgha_archive_pending_files", 3.0,
                        "pgha_archive_pending_bytes", 12.0 * MB,
                        "pgha_archive_failing", 1.0,
                        "pgha_archive_archived_files_total", 120.0,
                        "pgha_archive_failed_total", 4.0));
        assertThat(t).contains("# TYPE pgha_archive_failed_total counter");
        v.archive = new ArchiveStatus(0, 0, 125, "000000020000000000000015", 4, "000000020000000000000011", false);
        assertThat(value(m.scrape(), "pgha_archive_failing")).isZero();
        v.archive = null;
        assertThat(m.scrape()).doesNotContain("pgha_archive_");
    }

    /** The value of {@code name}'s series for {@code resource} (and {@code state}, when given); null when absent. */
    private static Double resourceValue(String text, String name, String resource, String state) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$")
                .matcher(text);
        Double found = null;
        while (m.find()) {
            String labels = m.group(1);
            if (!labels.contains("resource=\"" + resource + "\"")) continue;
            if (state != null && !labels.contains("state=\"" + state + "\"")) continue;
            assertThat(labels).contains("scope=\"main\"").contains("name=\"n1\"");
            assertThat(found)
                    .as("one series of " + name + " for " + resource + " " + state)
                    .isNull();
            found = Double.parseDouble(m.group(2));
        }
        return found;
    }

    private static ResourceStatus resource(ResourceStatus.State state, int failCount) {
        return new ResourceStatus(state, failCount, "monitor: running (0) after 3 ms", 1_800_000_000_000L, "test");
    }

    @Test
    void eachResourceOfThisMemberHasItsStateAndFailCountAndRemovedOnesLeaveNoSeries() {
        FakeView v = FakeView.of().primary().lease();
        v.resources = Map.of(
                "vip", resource(ResourceStatus.State.STARTED, 0),
                "fs", resource(ResourceStatus.State.FAILED, 2),
                "svc", resource(ResourceStatus.State.BLOCKED, 1_000_000));
        AgentMetrics m = new AgentMetrics(v);
        open.add(m);
        String t = m.scrape();
        assertThat(resourceValue(t, "pgha_resource_running", "vip", null)).isEqualTo(1.0);
        assertThat(resourceValue(t, "pgha_resource_running", "fs", null)).isZero();
        assertThat(resourceValue(t, "pgha_resource_running", "svc", null)).isZero();
        assertThat(resourceValue(t, "pgha_resource_fail_count", "vip", null)).isZero();
        assertThat(resourceValue(t, "pgha_resource_fail_count", "fs", null)).isEqualTo(2.0);
        assertThat(resourceValue(t, "pgha_resource_fail_count", "svc", null)).isEqualTo(1_000_000.0);
        for (ResourceStatus.State s : ResourceStatus.State.values()) {
            assertThat(resourceValue(t, "pgha_resource_state", "vip", s.label()))
                    .as("vip " + s)
                    .isEqualTo(s == ResourceStatus.State.STARTED ? 1.0 : 0.0);
            assertThat(resourceValue(t, "pgha_resource_state", "fs", s.label()))
                    .as("fs " + s)
                    .isEqualTo(s == ResourceStatus.State.FAILED ? 1.0 : 0.0);
        }
        assertThat(t)
                .contains("# TYPE pgha_resource_running gauge")
                .contains("# TYPE pgha_resource_state gauge")
                .contains("# TYPE pgha_resource_fail_count gauge");

        // the VIP moved away (stopped here), fs recovered, svc was removed from the config
        v.resources = Map.of(
                "vip", resource(ResourceStatus.State.STOPPED, 0), "fs", resource(ResourceStatus.State.STARTED, 2));
        t = m.scrape();
        assertThat(resourceValue(t, "pgha_resource_running", "vip", null)).isZero();
        assertThat(resourceValue(t, "pgha_resource_state", "vip", "stopped")).isEqualTo(1.0);
        assertThat(resourceValue(t, "pgha_resource_state", "vip", "started")).isZero();
        assertThat(resourceValue(t, "pgha_resource_running", "fs", null)).isEqualTo(1.0);
        assertThat(t).doesNotContain("resource=\"svc\"");

        // no resources at all: no resource series
        v.resources = Map.of();
        assertThat(m.scrape()).doesNotContain("pgha_resource_");
    }

    @Test
    void aMemberWithoutResourcesHasNoResourceSeries() {
        assertThat(scrape(FakeView.of().primary().lease())).doesNotContain("pgha_resource_");
        assertThat(scrape(FakeView.of())).as("before the first cycle").doesNotContain("pgha_resource_");
    }

    @Test
    void jvmAndProcessMetricsCarryTheMembersLabels() {
        String t = scrape(FakeView.of().primary());
        for (String name : List.of(
                "jvm_memory_used_bytes",
                "jvm_memory_max_bytes",
                "jvm_threads_live_threads",
                "jvm_gc_memory_allocated_bytes_total",
                "system_cpu_count",
                "process_cpu_usage",
                "process_uptime_seconds",
                "process_start_time_seconds",
                "process_files_open_files")) {
            assertThat(t).as(name).containsPattern("(?m)^" + name + "\\{[^}]*name=\"n1\"[^}]*\\} ");
        }
    }

    @Test
    void theAgentAsksForPendingRestartAtMostEveryFiveSecondsAndRecordsItsDcsReads() throws Exception {
        Member n0 = new Member(
                "n0",
                "http://10.0.0.2:8008",
                "10.0.0.2",
                5432,
                Role.PRIMARY,
                MemberState.RUNNING,
                1,
                new Lsn(0x3000000),
                new Lsn(0x3000000),
                null,
                false,
                Tags.NONE,
                "primary",
                1L);
        InMemoryDcs.Store store = new InMemoryDcs.Store(2500)
                .load(new ClusterState(
                        "7000", "n0", Map.of("n0", n0), null, null, Lsn.ZERO, List.of(), SyncState.EMPTY));
        FakePostgres pg = FakePostgres.standbyOf("n0");
        ManualClock clock = new ManualClock(1_800_000_000_000L);
        ExecutorService actions = Executors.newSingleThreadExecutor();
        Agent agent = new Agent(
                FakeView.config(Map.of()),
                new Agent.Parts(pg, store.connect(), new Watchdog(WatchdogConfig.off()), new NoPeers(), clock, null),
                actions);
        open.add(actions::shutdownNow);
        open.add(agent);
        assertThat(agent.dcsLastSeenMillis()).isZero();
        agent.cycle();
        assertThat(agent.dcsLastSeenMillis()).isEqualTo(1_800_000_000_000L);
        assertThat(agent.pendingRestart()).isFalse();
        pg.pendingRestart = true;
        clock.advance(1000);
        agent.cycle();
        assertThat(agent.pendingRestart()).as("not asked again within 5 s").isFalse();
        assertThat(pg.calls.stream().filter("pendingRestart"::equals)).hasSize(1);
        clock.advance(5000);
        agent.cycle();
        assertThat(agent.pendingRestart()).isTrue();
        assertThat(agent.dcsLastSeenMillis()).isEqualTo(1_800_000_006_000L);
        AgentMetrics metrics = new AgentMetrics(agent);
        open.add(metrics);
        assertThat(value(metrics.scrape(), "patroni_pending_restart")).isEqualTo(1.0);
        pg.running = false;
        agent.cycle();
        assertThat(agent.pendingRestart())
                .as("a stopped server has nothing pending")
                .isFalse();
    }

    /** Peers that never answer (no leader race happens in these tests). */
    private static final class NoPeers implements Peers {
        @Override
        public java.util.Set<String> confirmLeader(
                java.util.Collection<Member> members,
                String leader,
                io.pgha.core.config.Credentials auth,
                long timeoutMs) {
            return java.util.Set.of();
        }

        @Override
        public Map<String, Lsn> positions(java.util.Collection<Member> members, long timeoutMs) {
            return Map.of();
        }
    }

    /** Metric names in the tables of docs/metrics.md (prose may name others, e.g. Patroni's missing ones). */
    private static java.util.Set<String> documented() throws Exception {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("..", "docs", "metrics.md"))) {
            if (!line.startsWith("| `")) continue;
            Matcher m = Pattern.compile("`([a-z][a-z0-9_]+)`").matcher(line.substring(0, line.indexOf(" |", 2)));
            while (m.find()) names.add(m.group(1));
        }
        return names;
    }

    @Test
    void docsMetricsListsEveryMetricAndTheDashboardUsesOnlyListedOnes() throws Exception {
        FakeView v = FakeView.of().primary().lease();
        v.archive = new ArchiveStatus(1, 1, 1, "a", 1, "b", false);
        v.resources = Map.of("vip", resource(ResourceStatus.State.STARTED, 0));
        v.sets = java.util.List.of(new io.pgha.logical.SetStatus(
                "shop", "reports", "main", "streaming", null, 3, 3, 1024L, 0.5, 4096L, 0L, null));
        String t = scrape(v);
        java.util.Set<String> scraped = new java.util.TreeSet<>();
        Matcher m = Pattern.compile("(?m)^([a-z][a-z0-9_]*)\\{").matcher(t);
        while (m.find()) scraped.add(m.group(1));
        java.util.Set<String> docs = documented();
        for (String name : scraped) {
            String base = name.replaceAll("_(sum|count)$", "");
            assertThat(docs.contains(name) || docs.contains(base))
                    .as(name + " is in docs/metrics.md")
                    .isTrue();
        }
        for (String name : docs) {
            if (name.startsWith("patroni_") || name.startsWith("pgha_"))
                assertThat(scraped).as("documented " + name).contains(name);
        }
        String dashboard =
                java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "grafana-dashboard.json"));
        Matcher used = Pattern.compile("\\b((?:patroni|pgha|jvm|process|system)_[a-z0-9_]+)")
                .matcher(dashboard);
        int n = 0;
        while (used.find()) {
            String name = used.group(1);
            n++;
            assertThat(docs.contains(name) || docs.contains(name.replaceAll("_(sum|count)$", "")))
                    .as("the dashboard's " + name + " is a documented metric")
                    .isTrue();
        }
        assertThat(n).isGreaterThan(20);
    }

    @Test
    void servedOverHttpInPrometheusTextFormat() throws Exception {
        int port = FreePorts.one();
        FakeView v = FakeView.of()
                .with(Map.of("restapi.listen", "127.0.0.1", "restapi.port", port))
                .primary()
                .lease();
        InMemoryDcs dcs = new InMemoryDcs.Store().load(v.cluster()).connect();
        RestApi api = new RestApi(v, new ClusterControl(dcs, () -> 0L));
        open.add(api);
        api.start();
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(AgentMetrics.CONTENT_TYPE);
        assertThat(value(r.body(), "patroni_primary")).isEqualTo(1.0);
    }
}
