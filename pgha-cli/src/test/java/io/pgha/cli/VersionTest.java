package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/** {@code pgha --version} is the version Maven built, never a constant in the code. */
class VersionTest {
    @Test
    void theVersionIsTheBuildsVersion() {
        String built = System.getProperty("pgha.build.version"); // set by pgha-cli/pom.xml for surefire
        assumeTrue(built != null, "run by Maven");
        assertThat(Version.current()).isEqualTo(built);
        ClusterFixture.Run r = pgha("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("pgha " + built + "\n").contains("Java ");
    }

    @Test
    void theResourceWasFilteredAndBothSpellingsAgree() {
        assertThat(Version.current())
                .doesNotContain("${")
                .isNotEqualTo("unknown")
                .matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(pgha("-V").out()).isEqualTo(pgha("--version").out());
    }
}
