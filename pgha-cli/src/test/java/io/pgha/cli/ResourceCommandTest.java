package io.pgha.cli;

import static io.pgha.cli.CliFixtures.primary;
import static io.pgha.cli.CliFixtures.standby;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.resource.ResourceStatus;
import io.pgha.core.resource.ResourceStatus.State;
import io.pgha.dcs.Json;
import io.pgha.testkit.InMemoryDcs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgha status} (crm_mon's view of the resources), {@code pgha resource} against the OCF agents
 * installed on this machine, {@code pgha node maintenance}, and their bad input.
 */
class ResourceCommandTest {
    private static final Path OCF_ROOT = Path.of("/usr/lib/ocf");
    private static final Path IPADDR2 = OCF_ROOT.resolve("resource.d/heartbeat/IPaddr2");

    @AfterEach
    void realDcsAgain() {
        CliFixtures.noDcs();
    }

    private static ResourceStatus status(State s, int fails, String last, String reason) {
        return new ResourceStatus(s, fails, last, 1_800_000_000_000L, reason);
    }

    /** {@code m} with {@code resources} in its record. */
    private static Member reporting(Member m, Map<String, ResourceStatus> resources) {
        return new Member(
                m.name(),
                m.apiUrl(),
                m.host(),
                m.pgPort(),
                m.role(),
                m.state(),
                m.timeline(),
                m.walPosition(),
                m.replayPosition(),
                m.following(),
                m.streaming(),
                m.tags(),
                m.lastDecision(),
                m.updatedAt(),
                m.watchdog(),
                m.archive(),
                m.upstreamPosition(),
                m.pendingRestart(),
                m.version(),
                m.scheduledRestart(),
                resources);
    }

    /**
     * db1 is the primary, db2 a standby, db3 a standby in maintenance. The VIP runs with the
     * primary; the log shipper is a clone that failed once on db2 and hard on db3; the report job is
     * disabled.
     */
    static ClusterState cluster() {
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("vip", Map.of("kind", "ip", "address", "10.0.0.100/24", "interface", "eth0"));
        resources.put(
                "shipper",
                Map.of("kind", "ocf", "agent", "ocf:heartbeat:Dummy", "with", "every", "migration_threshold", 3));
        resources.put(
                "report", Map.of("kind", "script", "path", "/usr/local/bin/report", "with", "any", "disabled", true));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("resources", resources);
        settings.put("maintenance", List.of("db3"));
        DynamicConfig config = DynamicSettings.apply(DynamicConfig.DEFAULT, settings);
        ResourceStatus stopped = status(State.STOPPED, 0, null, null);
        Member db1 = reporting(
                primary("db1", 5432),
                Map.of(
                        "vip", status(State.STARTED, 0, "start: success (0) after 41 ms", "with the primary db1"),
                        "shipper", status(State.STARTED, 0, "monitor: success (0) after 3 ms", "on every member"),
                        "report", status(State.STOPPED, 0, null, "disabled")));
        Member db2 = reporting(
                standby("db2", 5433, 0x3000000L, "db1"),
                Map.of(
                        "vip",
                        stopped,
                        "shipper",
                        status(
                                State.FAILED,
                                1,
                                "monitor: not running (7) after 5 ms",
                                "recovering after a failure (1 of 3)"),
                        "report",
                        stopped));
        Member db3 = reporting(
                standby("db3", 5434, 0x3000000L, "db1"),
                Map.of(
                        "vip",
                        stopped,
                        "shipper",
                        status(State.BLOCKED, 1_000_000, "stop: generic error (1) after 20000 ms", null),
                        "report",
                        stopped));
        Map<String, Member> members = new LinkedHashMap<>();
        for (Member m : List.of(db1, db2, db3)) members.put(m.name(), m);
        return new ClusterState("7000000000000000001", "db1", members, config, null, new Lsn(0x3000000L), List.of());
    }

    @Test
    void statusShowsEveryResourceWhereItRunsWhereItShouldAndWhy() {
        String out = StatusCommand.render("main", cluster());
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0))
                .isEqualTo("Cluster main: primary db1; members: db1 (primary, running), db2 (standby, running),"
                        + " db3 (standby, running, maintenance)");
        assertThat(lines.get(1)).isEqualTo("Fencing: off");
        assertThat(lines.get(3)).startsWith("Resource").contains("Kind", "Agent", "With", "Running on", "Why");
        String vip = row(lines, "vip ");
        assertThat(vip.split("\\s{2,}"))
                .containsExactly("vip", "ip", "10.0.0.100/24", "primary", "db1", "db1", "-", "with the primary db1");
        // the clone: db3 is in maintenance and failed hard, so it should run on db1 and db2 only
        String shipper = row(lines, "shipper ");
        assertThat(shipper.split("\\s{2,}"))
                .containsExactly(
                        "shipper",
                        "ocf",
                        "ocf:heartbeat:Dummy",
                        "every",
                        "db1",
                        "db1, db2",
                        "db2=1, db3=INFINITY",
                        "on every member");
        String report = row(lines, "report ");
        assertThat(report.split("\\s{2,}"))
                .containsExactly(
                        "report (disabled)", "script", "/usr/local/bin/report", "any", "-", "-", "-", "disabled");
        int details = lines.indexOf("Details:");
        assertThat(details).as(out).isPositive();
        assertThat(lines.subList(details + 1, lines.size()))
                .containsExactly(
                        "  shipper on db2: failed, recovering after a failure (1 of 3)"
                                + " (last: monitor: not running (7) after 5 ms)",
                        "  shipper on db3: blocked (last: stop: generic error (1) after 20000 ms)");
    }

    @Test
    void statusOfAClusterWithoutResourcesSaysSo() {
        ClusterState c = CliFixtures.state("db1", primary("db1", 5432));
        assertThat(StatusCommand.render("main", c))
                .isEqualTo("Cluster main: primary db1; members: db1 (primary, running)\n"
                        + "Fencing: off\n"
                        + "No resources configured (see docs/resources.md).\n");
    }

    @Test
    void statusThroughTheCommandLineAndAsJson(@TempDir Path dir) throws Exception {
        CliFixtures.useDcs(cluster());
        Path cfg = CliFixtures.config(dir);
        ClusterFixture.Run text = pgha("status", "-c", cfg.toString());
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).isEqualTo(StatusCommand.render("main", cluster()));

        ClusterFixture.Run json = pgha("status", "-c", cfg.toString(), "--format", "json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = Json.parse(json.out().getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.class);
        assertThat(doc)
                .containsEntry("cluster", "main")
                .containsEntry("leader", "db1")
                .containsEntry("maintenance", List.of("db3"))
                .containsEntry("fencing", "off");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) doc.get("resources");
        assertThat(rows).extracting(r -> r.get("name")).containsExactly("vip", "shipper", "report");
        Map<String, Object> shipper = rows.get(1);
        assertThat(shipper)
                .containsEntry("kind", "ocf")
                .containsEntry("with", "every")
                .containsEntry("target", List.of("db1", "db2"))
                .containsEntry("running_on", List.of("db1"));
        @SuppressWarnings("unchecked")
        Map<String, Map<String, Object>> per = (Map<String, Map<String, Object>>) shipper.get("members");
        assertThat(per.get("db2")).containsEntry("state", "failed").containsEntry("fail_count", 1);
    }

    @Test
    void statusWatchRefusesAnAbsurdInterval(@TempDir Path dir) throws Exception {
        CliFixtures.useDcs(cluster());
        ClusterFixture.Run r = pgha("status", "-c", CliFixtures.config(dir).toString(), "--watch", "0");
        assertThat(r.exitCode()).isEqualTo(Main.USAGE);
        assertThat(r.err()).contains("--watch: 0.0 seconds is not between 0.1 and 86400");
    }

    @Test
    void statusWatchRedrawsEachRoundFromTheDcs(@TempDir Path dir) throws Exception {
        InMemoryDcs.Store store = CliFixtures.useDcs(cluster());
        ClusterFixture.Run r = pgha(
                "status",
                "-c",
                CliFixtures.config(dir).toString(),
                "--watch",
                "0.1",
                "--rounds",
                "2",
                "--format",
                "json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        for (String line : lines)
            assertThat(Json.parse(line.getBytes(java.nio.charset.StandardCharsets.UTF_8), Map.class))
                    .containsEntry("leader", "db1");
        assertThat(store.snapshot().leader()).isEqualTo("db1");
    }

    // ------------------------------------------------------------------ OCF agents on this machine

    @Test
    void agentsListsTheInstalledOcfAgents() throws Exception {
        assumeTrue(Files.isExecutable(IPADDR2), "resource-agents is not installed (no " + IPADDR2 + ")");
        ClusterFixture.Run r = pgha("resource", "agents");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> agents = r.out().lines().toList();
        assertThat(agents).contains("ocf:heartbeat:IPaddr2", "ocf:heartbeat:Filesystem", "ocf:heartbeat:Dummy");
        assertThat(agents).allMatch(a -> a.matches("ocf:[A-Za-z0-9_.+-]+:[A-Za-z0-9_.+-]+"));
        assertThat(agents).isSorted();

        ClusterFixture.Run json = pgha("resource", "agents", "--format", "json");
        assertThat(json.exitCode()).isZero();
        assertThat(Json.parse(json.out().getBytes(java.nio.charset.StandardCharsets.UTF_8), List.class))
                .isEqualTo(agents);
    }

    @Test
    void agentsUnderAnEmptyRootSaysWhatToInstall(@TempDir Path dir) {
        ClusterFixture.Run r = pgha("resource", "agents", "--ocf-root", dir.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.out())
                .isEqualTo("No OCF resource agents under " + dir
                        + " (install the resource-agents package, or give --ocf-root).\n");
    }

    @Test
    void describeShowsIpaddr2sParametersAndActionsFromItsMetaData() {
        assumeTrue(Files.isExecutable(IPADDR2), "resource-agents is not installed (no " + IPADDR2 + ")");
        ClusterFixture.Run r = pgha("resource", "describe", "ocf:heartbeat:IPaddr2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).startsWith("ocf:heartbeat:IPaddr2").containsIgnoringCase("IPv4");
        assertThat(lines.get(2)).startsWith("Parameter").contains("Required", "Type", "Default", "Description");
        String ip = row(lines, "ip ");
        assertThat(ip.split("\\s+")).startsWith("ip", "yes", "string");
        assertThat(row(lines, "cidr_netmask ")).doesNotContain(" yes ");
        assertThat(row(lines, "nic ")).startsWith("nic ");
        int actions = lines.indexOf(
                lines.stream().filter(l -> l.startsWith("Action")).findFirst().orElseThrow());
        List<String> actionNames = lines.subList(actions + 2, lines.size()).stream()
                .map(l -> l.split("\\s+")[0])
                .toList();
        assertThat(actionNames).contains("start", "stop", "monitor", "meta-data", "validate-all");
        assertThat(row(lines, "monitor ")).containsPattern("monitor\\s+\\d+s\\s+\\d+s");
    }

    @Test
    void describeAsJson() {
        assumeTrue(Files.isExecutable(IPADDR2), "resource-agents is not installed (no " + IPADDR2 + ")");
        ClusterFixture.Run json = pgha("resource", "describe", "ocf:heartbeat:IPaddr2", "--format", "json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        assertThat(json.out()).contains("\"parameters\"", "\"ip\"", "\"timeout\" : \"20s\"");
    }

    @Test
    void describeRefusesWhatIsNotAnOcfAgentName() {
        ClusterFixture.Run r = pgha("resource", "describe", "heartbeat/IPaddr2");
        assertThat(r.exitCode()).isEqualTo(Main.FAILED);
        assertThat(r.err())
                .isEqualTo("error: agent 'heartbeat/IPaddr2' is not of the form ocf:PROVIDER:TYPE"
                        + " (such as ocf:heartbeat:IPaddr2)\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void describeOfAnAgentThatIsNotInstalledSaysWhere(@TempDir Path dir) {
        ClusterFixture.Run r = pgha("resource", "describe", "ocf:acme:Nothing", "--ocf-root", dir.toString());
        assertThat(r.exitCode()).isEqualTo(Main.FAILED);
        assertThat(r.err())
                .isEqualTo("error: ocf:acme:Nothing is not installed: no executable "
                        + dir.resolve("resource.d/acme/Nothing") + "\n");
    }

    @Test
    void describeWithoutAnAgentIsAUsageError() {
        assertThat(pgha("resource", "describe").exitCode()).isEqualTo(Main.USAGE);
        assertThat(pgha("resource", "nosuch").exitCode()).isEqualTo(Main.USAGE);
    }

    // ------------------------------------------------------------------ disable, enable, maintenance

    @Test
    void disableAndEnableWriteTheResourcesFlagInTheDcs(@TempDir Path dir) throws Exception {
        InMemoryDcs.Store store = CliFixtures.useDcs(cluster());
        String cfg = CliFixtures.config(dir).toString();
        ClusterFixture.Run off = pgha("resource", "disable", "vip", "-c", cfg);
        assertThat(off.exitCode()).as(off.err()).isZero();
        assertThat(off.out()).isEqualTo("resource vip disabled: it stops everywhere.\n");
        assertThat(store.snapshot().config().resources().resources().get("vip").disabled())
                .isTrue();
        ClusterFixture.Run on = pgha("resource", "enable", "vip", "-c", cfg);
        assertThat(on.exitCode()).isZero();
        assertThat(store.snapshot().config().resources().resources().get("vip").disabled())
                .isFalse();

        ClusterFixture.Run nosuch = pgha("resource", "disable", "nosuch", "-c", cfg);
        assertThat(nosuch.exitCode()).isEqualTo(Main.FAILED);
        assertThat(nosuch.err()).contains("no resource named 'nosuch' (resources: vip, shipper, report)");
    }

    @Test
    void maintenanceOnAndOffWriteTheListInTheDcs(@TempDir Path dir) throws Exception {
        InMemoryDcs.Store store = CliFixtures.useDcs(cluster());
        String cfg = CliFixtures.config(dir).toString();
        ClusterFixture.Run on = pgha("node", "maintenance", "on", "db2", "-c", cfg);
        assertThat(on.exitCode()).as(on.err()).isZero();
        assertThat(on.out()).startsWith("db2 is in maintenance");
        assertThat(store.snapshot().config().resources().maintenance()).containsExactly("db2", "db3");
        ClusterFixture.Run off = pgha("node", "maintenance", "off", "db3", "-c", cfg);
        assertThat(off.exitCode()).isZero();
        assertThat(off.out()).startsWith("db3 is out of maintenance");
        assertThat(store.snapshot().config().resources().maintenance()).containsExactly("db2");

        ClusterFixture.Run nosuch = pgha("node", "maintenance", "on", "db9", "-c", cfg);
        assertThat(nosuch.exitCode()).isEqualTo(Main.FAILED);
        assertThat(nosuch.err()).contains("no member named 'db9'");
    }

    @Test
    void maintenanceTakesOnOrOffAndNothingElse() {
        ClusterFixture.Run r = pgha("node", "maintenance", "maybe", "node1");
        assertThat(r.exitCode()).isEqualTo(Main.FAILED);
        assertThat(r.err()).isEqualTo("error: 'maybe' is not on or off\n");
        assertThat(r.out()).isEmpty();
        assertThat(pgha("node", "maintenance", "on").exitCode()).isEqualTo(Main.USAGE);
    }

    /** The one line of {@code lines} that starts with {@code prefix}. */
    private static String row(List<String> lines, String prefix) {
        List<String> found = lines.stream().filter(l -> l.startsWith(prefix)).toList();
        assertThat(found)
                .as("one line starting with '%s' in\n%s", prefix, String.join("\n", lines))
                .hasSize(1);
        return found.get(0);
    }
}
