package io.pgha.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Child processes get a clean environment (the build puts a password into this JVM's). */
class OsCommandTest {

    @Test
    void aChildSeesOnlyWhatItIsGivenNotTheAgentsSecrets() throws Exception {
        assumeTrue(
                System.getenv("PGHA_POSTGRESQL_SUPERUSER_PASSWORD") != null, "run by Maven, which sets the variable");
        OsCommand.Result r = new OsCommand("postgres").run(List.of("env"), Map.of("PGPASSFILE", "/x/pgpass"), 10_000);
        assertThat(r.ok()).isTrue();
        assertThat(r.output())
                .doesNotContain("secret-in-the-agent-env")
                .doesNotContain("PGHA_")
                .contains("PGPASSFILE=/x/pgpass")
                .contains("LC_ALL=C.UTF-8")
                .contains("PATH=");
        for (String line : r.output().strip().split("\n")) {
            String name = line.split("=", 2)[0];
            assertThat(List.of("PATH", "TZ", "LANG", "LC_ALL", "PGPASSFILE"))
                    .as("variable %s", name)
                    .contains(name);
        }
    }
}
