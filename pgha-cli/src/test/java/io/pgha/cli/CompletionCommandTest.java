package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pgha completion}: picocli's script for the whole tree, and it completes in a real bash. */
class CompletionCommandTest {
    @Test
    void theScriptNamesEveryTopLevelCommand() {
        ClusterFixture.Run r = pgha("completion", "bash");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("complete -F");
        for (String command : Main.commandLine().getSubcommands().keySet()) {
            assertThat(r.out()).as("completion of %s", command).contains(command);
        }
        assertThat(pgha("completion").out()).isEqualTo(r.out()); // bash is the default
        assertThat(pgha("completion", "zsh").out()).contains("bashcompinit");
        assertThat(pgha("completion", "fish").exitCode()).isEqualTo(2);
    }

    @Test
    void bashCompletesCommandsAndOptions(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "bash is installed");
        Path script = Files.writeString(
                dir.resolve("pgha.bash"), pgha("completion", "bash").out());
        assertThat(complete(script, "pgha to")).contains("topology");
        assertThat(complete(script, "pgha list --wa")).contains("--watch");
        assertThat(complete(script, "pgha config ")).contains("validate", "generate");
        assertThat(complete(script, "pgha dsn --role ")).contains("primary", "replica", "prefer-replica", "any");
        assertThat(complete(script, "pgha resource ")).contains("agents", "describe", "cleanup", "disable", "enable");
        assertThat(complete(script, "pgha node ")).contains("maintenance");
        assertThat(complete(script, "pgha status --")).contains("--watch", "--format");
    }

    /** What bash offers after {@code line}, run through the completion function the script registers. */
    private static String complete(Path script, String line) throws Exception {
        String[] words = line.split(" ", -1);
        StringBuilder arr = new StringBuilder();
        for (String w : words) arr.append('\'').append(w).append("' ");
        String cmd = "source " + script + " 2>/dev/null; COMP_LINE='" + line + "'; COMP_POINT=" + line.length()
                + "; COMP_WORDS=(" + arr + "); COMP_CWORD=" + (words.length - 1)
                + "; f=$(complete -p pgha | sed -E 's/.*-F ([^ ]+).*/\\1/'); $f; printf '%s\\n' \"${COMPREPLY[@]}\"";
        Process p = new ProcessBuilder("/bin/bash", "-c", cmd)
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
