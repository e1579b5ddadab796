package io.pgha.agent.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgha.postgres.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OcfDriverTest {
    private static final Path REAL_ROOT = Path.of("/usr/lib/ocf");

    @TempDir
    Path dir;

    private Path root;
    private Path rscTmp;
    private Path record;

    /** A fake agent that records its argv and environment and exits as its parameters say. */
    @BeforeEach
    void fakeAgent() throws IOException {
        root = dir.resolve("ocf");
        rscTmp = dir.resolve("rsctmp");
        record = dir.resolve("record");
        Scripts.write(root.resolve("resource.d/acme/fake"), """
                printf '%s\\n' "$@" > "$OCF_RESKEY_record.argv"
                env > "$OCF_RESKEY_record.env"
                case "$1" in
                  meta-data) cat <<'XML'
                <?xml version="1.0"?>
                <!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
                <resource-agent name="fake" version="0.9">
                <version>1.1</version>
                <shortdesc lang="en">A fake</shortdesc>
                <parameters>
                <parameter name="record" required="1" unique="0"><shortdesc>where</shortdesc><content type="string"/></parameter>
                </parameters>
                <actions>
                <action name="start" timeout="20s"/><action name="promote" timeout="10"/><action name="demote" timeout="500ms"/>
                <action name="monitor" timeout="20s" interval="10s" depth="0"/>
                </actions>
                </resource-agent>
                XML
                  exit 0;;
                  hang) sleep 60 & echo $$ > "$OCF_RESKEY_record.pids"; echo $! >> "$OCF_RESKEY_record.pids"; wait; exit 0;;
                  chatty) i=0; while [ $i -lt 3000 ]; do echo "line $i of chatter"; i=$((i+1)); done; exit 0;;
                esac
                echo "doing $1" >&2
                exit "${OCF_RESKEY_rc:-0}"
                """);
    }

    private OcfDriver fake(Map<String, String> params) {
        return new OcfDriver("res1", "ocf:acme:fake", params, root, rscTmp);
    }

    @Test
    void passesTheActionAsTheOnlyArgumentAndEverythingElseInTheEnvironment() throws IOException {
        ActionResult r =
                fake(Map.of("record", record.toString(), "password", "s3cret!")).start(5000);

        assertThat(r.status()).isEqualTo(OcfStatus.SUCCESS);
        assertThat(r.ok()).isTrue();
        assertThat(Scripts.lines(Path.of(record + ".argv"))).containsExactly("start");
        Map<String, String> env = Scripts.env(Path.of(record + ".env"));
        assertThat(env)
                .containsEntry("OCF_ROOT", root.toString())
                .containsEntry("OCF_RA_VERSION_MAJOR", "1")
                .containsEntry("OCF_RA_VERSION_MINOR", "1")
                .containsEntry("OCF_RESOURCE_INSTANCE", "res1")
                .containsEntry("OCF_RESOURCE_TYPE", "fake")
                .containsEntry("OCF_RESOURCE_PROVIDER", "acme")
                .containsEntry("OCF_RESKEY_record", record.toString())
                .containsEntry("OCF_RESKEY_password", "s3cret!")
                .containsEntry("OCF_RESKEY_CRM_meta_timeout", "5000")
                .containsEntry("HA_RSCTMP", rscTmp.toString())
                .containsEntry("LC_ALL", "C.UTF-8")
                .doesNotContainKey("OCF_RESKEY_CRM_meta_interval");
        assertThat(env.keySet())
                .filteredOn(k -> !k.startsWith("OCF_") && !k.startsWith("HA_"))
                .isSubsetOf(Set.of("PATH", "TZ", "LANG", "LC_ALL", "PWD", "SHLVL", "_"));
        assertThat(rscTmp).isDirectory();
    }

    @Test
    void aRecurringMonitorGetsItsIntervalAProbeDoesNot() throws IOException {
        OcfDriver d = fake(Map.of("record", record.toString(), "rc", "0"));
        d.monitor(3000, 10_000);
        assertThat(Scripts.env(Path.of(record + ".env")))
                .containsEntry("OCF_RESKEY_CRM_meta_interval", "10000")
                .containsEntry("OCF_RESKEY_CRM_meta_timeout", "3000");
        d.monitor(3000);
        assertThat(Scripts.env(Path.of(record + ".env"))).doesNotContainKey("OCF_RESKEY_CRM_meta_interval");
        assertThat(Scripts.lines(Path.of(record + ".argv"))).containsExactly("monitor");
    }

    @Test
    void exitCodesBecomeStatusesAndTheOutputIsKept() {
        ActionResult r = fake(Map.of("record", record.toString(), "rc", "7")).monitor(5000);
        assertThat(r.status()).isEqualTo(OcfStatus.NOT_RUNNING);
        assertThat(r.exitCode()).isEqualTo(7);
        assertThat(r.output()).contains("doing monitor");
        assertThat(r.describe()).matches("monitor: not running \\(7\\) after \\d+ ms: doing monitor");

        assertThat(fake(Map.of("record", record.toString(), "rc", "190"))
                        .monitor(5000)
                        .status())
                .isEqualTo(OcfStatus.DEGRADED);
        assertThat(fake(Map.of("record", record.toString(), "rc", "6"))
                        .validate(5000)
                        .status())
                .isEqualTo(OcfStatus.ERR_CONFIGURED);
        ActionResult odd = fake(Map.of("record", record.toString(), "rc", "42")).stop(5000);
        assertThat(odd.status()).isEqualTo(OcfStatus.UNKNOWN);
        assertThat(odd.exitCode()).isEqualTo(42);
    }

    @Test
    void validateAndPromoteAndDemoteUseTheirOcfActionNames() throws IOException {
        OcfDriver d = fake(Map.of("record", record.toString()));
        d.validate(5000);
        assertThat(Scripts.lines(Path.of(record + ".argv"))).containsExactly("validate-all");
        d.promote(5000);
        assertThat(Scripts.lines(Path.of(record + ".argv"))).containsExactly("promote");
        d.demote(5000);
        assertThat(Scripts.lines(Path.of(record + ".argv"))).containsExactly("demote");
    }

    @Test
    void aTimeoutKillsTheAgentAndEverythingItStarted() throws Exception {
        ActionResult r = fake(Map.of("record", record.toString())).action("hang", 700);

        assertThat(r.status()).isEqualTo(OcfStatus.TIMEOUT);
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(r.describe()).startsWith("hang: timed out after ");
        List<Long> pids = Scripts.pids(Path.of(record + ".pids"));
        assertThat(pids).hasSize(2); // the agent's shell and its sleep
        for (long pid : pids)
            assertThat(Processes.awaitExit(pid, 5000)).as("pid %d gone", pid).isTrue();
    }

    @Test
    void onlyTheEndOfALongOutputIsKept() {
        ActionResult r = fake(Map.of("record", record.toString())).action("chatty", 5000);
        assertThat(r.ok()).isTrue();
        assertThat(r.output().length()).isLessThanOrEqualTo(Child.DEFAULT_OUTPUT_LIMIT);
        assertThat(r.output()).endsWith("line 2999 of chatter\n");
        assertThat(r.lastLine()).isEqualTo("line 2999 of chatter");
    }

    @Test
    void aMissingAgentIsNotInstalled() {
        ActionResult r = new OcfDriver("res1", "ocf:acme:absent", Map.of(), root, rscTmp).start(5000);
        assertThat(r.status()).isEqualTo(OcfStatus.ERR_INSTALLED);
        assertThat(r.output()).contains("ocf:acme:absent is not installed").contains("resource.d/acme/absent");
    }

    @Test
    void badNamesAreRejectedWithAMessageNamingThem() {
        assertThatThrownBy(() -> fake(Map.of("bad-name", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bad-name'")
                .hasMessageContaining("[A-Za-z_][A-Za-z0-9_]*");
        assertThatThrownBy(() -> fake(Map.of("9lives", "x"))).hasMessageContaining("'9lives'");
        assertThatThrownBy(() -> fake(Map.of("CRM_meta_timeout", "1"))).hasMessageContaining("CRM_meta_");
        assertThatThrownBy(() -> new OcfDriver("res1", "heartbeat:Dummy", Map.of(), root, rscTmp))
                .hasMessageContaining("ocf:PROVIDER:TYPE");
        assertThatThrownBy(() -> new OcfDriver("res1", "ocf:../..:sh", Map.of(), root, rscTmp))
                .hasMessageContaining("ocf:PROVIDER:TYPE");
        assertThatThrownBy(() -> new OcfDriver("bad name", "ocf:acme:fake", Map.of(), root, rscTmp))
                .hasMessageContaining("resource name 'bad name'");
    }

    @Test
    void metaDataIsParsedAndTellsWhetherTheAgentIsPromotable() throws Exception {
        OcfMetadata m = OcfDriver.metaData(root, "ocf:acme:fake", 5000);
        assertThat(m.name()).isEqualTo("fake");
        assertThat(m.version()).isEqualTo("0.9");
        assertThat(m.shortDesc()).isEqualTo("A fake");
        assertThat(m.parameters())
                .containsExactly(new OcfMetadata.Parameter("record", true, false, "string", null, "where"));
        assertThat(m.action("promote").orElseThrow().timeout()).hasSeconds(10);
        assertThat(m.action("demote").orElseThrow().timeoutMs(0)).isEqualTo(500);
        assertThat(m.action("monitor").orElseThrow())
                .isEqualTo(new OcfMetadata.Action("monitor", Duration.ofSeconds(20), Duration.ofSeconds(10), 0));
        assertThat(m.promotable()).isTrue();
        assertThat(fake(Map.of("record", record.toString())).promotable()).isTrue();
    }

    @Test
    void metaDataNeverLoadsExternalEntities() {
        String xml = """
                <?xml version="1.0"?>
                <!DOCTYPE resource-agent [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
                <resource-agent name="x"><shortdesc>&leak;</shortdesc></resource-agent>
                """;
        try {
            assertThat(OcfMetadata.parse(xml).shortDesc()).doesNotContain("root:");
        } catch (ResourceException e) {
            assertThat(e.getMessage()).contains("meta-data");
        }
    }

    @Test
    void installedAgentsListsExecutablesOnlySorted() throws IOException {
        Scripts.write(root.resolve("resource.d/acme/another"), "exit 0");
        Files.writeString(root.resolve("resource.d/acme/README"), "not an agent");
        Scripts.write(root.resolve("resource.d/acme/.ocf-shellfuncs"), "exit 0");
        assertThat(OcfDriver.installedAgents(root)).containsExactly("ocf:acme:another", "ocf:acme:fake");
        assertThat(OcfDriver.installedAgents(dir.resolve("nowhere"))).isEmpty();
    }

    // ---- the installed resource-agents package

    private static void assumeInstalled(String type) {
        assumeTrue(
                Files.isExecutable(REAL_ROOT.resolve("resource.d/heartbeat/" + type)),
                "ocf:heartbeat:" + type + " is not installed (apt-get install resource-agents)");
    }

    @Test
    void theRealDummyAgentStartsMonitorsAndStops() {
        assumeInstalled("Dummy");
        Path state = dir.resolve("dummy.state");
        OcfDriver d = new OcfDriver(
                "dummy1", "ocf:heartbeat:Dummy", Map.of("state", state.toString()), REAL_ROOT, dir.resolve("rsc"));

        assertThat(d.validate(20_000).status()).isEqualTo(OcfStatus.SUCCESS);
        assertThat(d.monitor(20_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
        assertThat(d.start(20_000).status()).isEqualTo(OcfStatus.SUCCESS);
        assertThat(state).exists();
        assertThat(d.monitor(20_000, 10_000).status()).isEqualTo(OcfStatus.SUCCESS);
        assertThat(d.stop(20_000).status()).isEqualTo(OcfStatus.SUCCESS);
        assertThat(d.monitor(20_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
        assertThat(d.stop(20_000).status()).isEqualTo(OcfStatus.SUCCESS);
        assertThat(d.promotable()).isFalse();
    }

    @Test
    void theRealIPaddr2MetaDataRequiresAnIp() throws Exception {
        assumeInstalled("IPaddr2");
        OcfMetadata m = OcfDriver.metaData(REAL_ROOT, "ocf:heartbeat:IPaddr2", 20_000);
        assertThat(m.name()).isEqualTo("IPaddr2");
        assertThat(m.parameter("ip").orElseThrow().required()).isTrue();
        assertThat(m.action("start")).isPresent();
        assertThat(m.promotable()).isFalse();
        assertThat(OcfDriver.installedAgents(REAL_ROOT))
                .contains("ocf:heartbeat:IPaddr2", "ocf:heartbeat:Dummy")
                .noneMatch(a -> a.contains(":."))
                .isSorted();
    }

    @Test
    void metaDataOfAMissingAgentSaysSo() {
        assertThatThrownBy(() -> OcfDriver.metaData(root, "ocf:acme:absent", 5000))
                .isInstanceOf(ResourceException.class)
                .hasMessageContaining("ocf:acme:absent is not installed");
    }
}
