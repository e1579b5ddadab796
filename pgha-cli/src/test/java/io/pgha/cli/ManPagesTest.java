package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Man pages rendered from the command definitions: one per command, valid troff, readable by man. */
class ManPagesTest {
    @Test
    void onePagePerCommandWithItsOptions() {
        Map<String, String> pages = ManPages.pages(Main.commandLine());
        assertThat(pages.keySet())
                .contains("pgha.1", "pgha-list.1", "pgha-archive-push.1", "pgha-config-generate.1", "pgha-dsn.1");
        assertThat(pages).hasSize(CommandTreeTest.paths().size());
        String list = pages.get("pgha-list.1");
        assertThat(list)
                .startsWith(".\\\"")
                .contains(".TH \"PGHA-LIST\" \"1\"", "pgha " + Version.current())
                .contains(".SH NAME\npgha\\-list \\- Show the members")
                .contains(".SH SYNOPSIS\n\\fBpgha list\\fR")
                .contains(".SH OPTIONS\n.TP\n")
                .contains("\\fB\\-c\\fR, \\fB\\-\\-config\\fR=\\fIFILE\\fR\n")
                .contains("\\fB\\-\\-format\\fR=")
                .contains("\\fB\\-\\-watch\\fR[=\\fISECONDS\\fR]\nredraw every SECONDS")
                .contains(".SH SEE ALSO\n\\fBpgha\\fR(1)")
                .doesNotContain("--rounds", "\\-\\-rounds"); // hidden
        String root = pages.get("pgha.1");
        assertThat(root).contains(".SH COMMANDS", ".SH ENVIRONMENT", "PGHA_CONFIG");
        for (String command : Main.commandLine().getSubcommands().keySet()) {
            assertThat(root).contains(".TP\n\\fB" + ManPages.esc(command) + "\\fR\n");
        }
        assertThat(pages.get("pgha-backup.1")).contains("\\fB\\-h\\fR, \\fB\\-\\-host\\fR=", "(default: 127.0.0.1)");
        assertThat(pages.get("pgha-backup.1")).contains("\\fB\\-\\-[no\\-]progress\\fR");
        assertThat(pages.keySet())
                .contains(
                        "pgha-status.1",
                        "pgha-resource.1",
                        "pgha-resource-agents.1",
                        "pgha-resource-describe.1",
                        "pgha-resource-cleanup.1",
                        "pgha-resource-disable.1",
                        "pgha-resource-enable.1",
                        "pgha-node-maintenance.1");
        assertThat(pages.get("pgha-status.1")).contains("\\fB\\-\\-watch\\fR[=\\fISECONDS\\fR]");
        assertThat(pages.get("pgha-resource-cleanup.1")).contains("\\fB\\-\\-node\\fR=\\fIMEMBER\\fR");
    }

    @Test
    void everyTextLineIsSafeTroff() {
        for (var e : ManPages.pages(Main.commandLine()).entrySet()) {
            for (String line : e.getValue().split("\n")) {
                if (line.startsWith(".") || line.startsWith("'")) {
                    assertThat(line)
                            .as("%s: a request line", e.getKey())
                            .matches("\\.(\\\\\".*|TH .*|SH [A-Z ]+|TP|PP|RS|RE|nf|fi)");
                }
                // an unescaped backslash would start a troff escape: only ours (\f, \-, \e, \&, \") may appear
                assertThat(line.replaceAll("\\\\(f[BIR]|-|e|&|\")", ""))
                        .as("%s: %s", e.getKey(), line)
                        .doesNotContain("\\");
            }
        }
    }

    @Test
    void manRendersThePagesWithoutWarnings(@TempDir Path dir) throws Exception {
        ClusterFixture.Run r = pgha("man", "--dir", dir.toString());
        assertThat(r.exitCode()).isZero();
        List<String> written = r.out().lines().toList();
        assertThat(written)
                .contains(
                        dir.resolve("pgha.1").toString(),
                        dir.resolve("pgha-list.1").toString());
        for (String f : written) assertThat(Path.of(f)).isRegularFile();

        assumeTrue(Files.isExecutable(Path.of("/usr/bin/man")), "man is installed");
        String page = run("man", "-l", dir.resolve("pgha-list.1").toString());
        assertThat(page).contains("NAME", "pgha-list - Show the members", "SYNOPSIS", "OPTIONS");
        assertThat(page).contains("-c, --config=FILE", "--watch[=SECONDS]", "--format=");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/groff")), "groff is installed");
        for (String f : written) {
            Process p = new ProcessBuilder("groff", "-man", "-ww", "-z", "-Tutf8", f)
                    .redirectErrorStream(true)
                    .start();
            String warnings = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(warnings).as(f).isEmpty();
        }
    }

    @Test
    void onePageToStandardOutput() {
        assertThat(pgha("man", "archive", "push").out()).contains(".TH \"PGHA-ARCHIVE-PUSH\"");
        assertThat(pgha("man").out()).contains(".TH \"PGHA\"");
        ClusterFixture.Run r = pgha("man", "nosuch");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("no command 'nosuch'");
    }

    private static String run(String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("MANPAGER", "cat");
        pb.environment().put("MANWIDTH", "100");
        pb.environment().put("LC_ALL", "C");
        pb.environment().remove("MAN_KEEP_FORMATTING");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
