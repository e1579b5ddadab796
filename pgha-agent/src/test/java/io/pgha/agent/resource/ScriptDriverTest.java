package io.pgha.agent.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgha.postgres.OsCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScriptDriverTest {
    @TempDir
    Path dir;

    private Path record;
    private Path script;

    /** Records argv, environment and user; exits with $RC_<action> (default 0). */
    @BeforeEach
    void recordingScript() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        record = dir.resolve("record");
        script = Scripts.write(dir.resolve("svc"), """
                printf '%s\\n' "$@" > "$OCF_RESKEY_record.argv"
                env > "$OCF_RESKEY_record.env"
                id -un > "$OCF_RESKEY_record.user"
                echo "svc $1"
                eval "rc=\\${OCF_RESKEY_rc_$1:-0}"
                exit "$rc"
                """);
    }

    private ScriptDriver ocf(Map<String, String> extra) {
        Map<String, String> p = new java.util.HashMap<>(extra);
        p.put("record", record.toString());
        return new ScriptDriver("svc1", script, p);
    }

    private ScriptDriver lsb(String action, int rc) {
        return new ScriptDriver(
                "svc1", script, Map.of("record", record.toString(), "rc_" + action, Integer.toString(rc)), true, null);
    }

    private String argv() throws IOException {
        return String.join(" ", Scripts.lines(Path.of(record + ".argv")));
    }

    @Test
    void anOcfStyleScriptGetsTheActionAndItsParametersInTheEnvironment() throws IOException {
        ScriptDriver d = ocf(Map.of("db_password", "hunter2"));
        ActionResult r = d.start(5000);

        assertThat(r.ok()).isTrue();
        assertThat(argv()).isEqualTo("start");
        assertThat(Scripts.env(Path.of(record + ".env")))
                .containsEntry("PGHA_RESOURCE", "svc1")
                .containsEntry("OCF_RESOURCE_INSTANCE", "svc1")
                .containsEntry("OCF_RESKEY_db_password", "hunter2")
                .containsEntry("OCF_RESKEY_CRM_meta_timeout", "5000");
        for (String action : new String[] {"stop", "monitor", "validate-all", "promote", "demote"}) {
            ActionResult a = switch (action) {
                case "stop" -> d.stop(5000);
                case "monitor" -> d.monitor(5000);
                case "validate-all" -> d.validate(5000);
                case "promote" -> d.promote(5000);
                default -> d.demote(5000);
            };
            assertThat(a.action()).isEqualTo(action);
            assertThat(argv()).isEqualTo(action);
            assertThat(a.output()).contains("svc " + action);
        }
    }

    @Test
    void anOcfStyleScriptsExitCodesAreOcfCodes() {
        assertThat(ocf(Map.of("rc_monitor", "7")).monitor(5000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
        assertThat(ocf(Map.of("rc_monitor", "8")).monitor(5000).status()).isEqualTo(OcfStatus.RUNNING_PROMOTED);
        assertThat(ocf(Map.of("rc_start", "5")).start(5000).status()).isEqualTo(OcfStatus.ERR_INSTALLED);
    }

    @ParameterizedTest
    @CsvSource({
        "0, SUCCESS",
        "1, ERR_GENERIC",
        "2, ERR_GENERIC",
        "3, NOT_RUNNING",
        "4, ERR_GENERIC",
        "150, ERR_GENERIC",
    })
    void lsbStatusCodesBecomeMonitorResults(int lsbCode, OcfStatus expected) throws IOException {
        ActionResult r = lsb("status", lsbCode).monitor(5000);
        assertThat(argv()).isEqualTo("status");
        assertThat(r.action()).isEqualTo("monitor");
        assertThat(r.status()).isEqualTo(expected);
        assertThat(r.exitCode()).isEqualTo(lsbCode);
    }

    @Test
    void lsbStatusOneSaysTheServiceDiedLeavingItsPidFile() {
        assertThat(lsb("status", 1).monitor(5000).describe()).contains("died and left its pid file");
    }

    @ParameterizedTest
    @CsvSource({
        "start, 0, SUCCESS",
        "start, 1, ERR_GENERIC",
        "start, 5, ERR_INSTALLED",
        "start, 6, ERR_CONFIGURED",
        "start, 7, NOT_RUNNING",
        "start, 99, ERR_GENERIC",
        "stop, 0, SUCCESS",
        "stop, 7, SUCCESS",
        "stop, 1, ERR_GENERIC",
    })
    void lsbStartAndStopCodes(String action, int lsbCode, OcfStatus expected) throws IOException {
        ScriptDriver d = lsb(action, lsbCode);
        ActionResult r = action.equals("start") ? d.start(5000) : d.stop(5000);
        assertThat(argv()).isEqualTo(action);
        assertThat(r.status()).isEqualTo(expected);
    }

    @Test
    void lsbValidateRunsNothingAndLsbHasNoPromote() throws IOException {
        ScriptDriver d = lsb("start", 0);
        assertThat(d.validate(5000).status()).isEqualTo(OcfStatus.SUCCESS);
        assertThat(d.promote(5000).status()).isEqualTo(OcfStatus.ERR_UNIMPLEMENTED);
        assertThat(d.demote(5000).status()).isEqualTo(OcfStatus.ERR_UNIMPLEMENTED);
        assertThat(Path.of(record + ".argv")).doesNotExist();
        Files.delete(script);
        assertThat(d.validate(5000).status()).isEqualTo(OcfStatus.ERR_INSTALLED);
    }

    @Test
    void aMissingScriptIsNotInstalled() {
        ActionResult r = new ScriptDriver("svc1", dir.resolve("absent"), Map.of()).start(5000);
        assertThat(r.status()).isEqualTo(OcfStatus.ERR_INSTALLED);
        assertThat(r.output()).contains("absent");
    }

    @Test
    void aScriptRunsAsTheGivenUser() throws IOException {
        assumeTrue(OsCommand.runningAsRoot(), "switching users needs root");
        ScriptDriver d = new ScriptDriver("svc1", script, Map.of("record", record.toString()), false, "nobody");
        assertThat(d.start(5000).status()).isEqualTo(OcfStatus.SUCCESS);
        assertThat(Scripts.lines(Path.of(record + ".user"))).containsExactly("nobody");
        ocf(Map.of()).start(5000);
        assertThat(Scripts.lines(Path.of(record + ".user"))).containsExactly("root");
    }

    @Test
    void aHangingScriptTimesOut() throws IOException {
        Path slow = Scripts.write(dir.resolve("slow"), "sleep 60");
        ActionResult r = new ScriptDriver("svc1", slow, Map.of(), true, null).monitor(500);
        assertThat(r.status()).isEqualTo(OcfStatus.TIMEOUT);
        assertThat(r.action()).isEqualTo("monitor");
    }

    @Test
    void badParameterNamesAndUsersAreRejected() {
        assertThatThrownBy(() -> new ScriptDriver("svc1", script, Map.of("a.b", "x")))
                .hasMessageContaining("'a.b'");
        assertThatThrownBy(() -> new ScriptDriver("svc1", script, Map.of(), false, "no body"))
                .hasMessageContaining("OS user 'no body'");
    }
}
