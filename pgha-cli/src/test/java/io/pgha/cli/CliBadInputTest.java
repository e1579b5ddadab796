package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad command lines and configs get a clear error naming the problem, and nothing is started. */
class CliBadInputTest {

    @Test
    void anAgentWithAnInvalidConfigStopsNamingTheKeyAndStartsNothing(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("node.yml"), """
        cluster: c
        name: n1
        data_dir: %s/data
        postgresql: {port: 99999}
        dcs: {zookeeper: {connect: "127.0.0.1:1"}}
        """.formatted(dir));
        ClusterFixture.Run r = pgha("agent", "--config", cfg.toString());
        assertThat(r.exitCode()).as("a config error").isEqualTo(Main.CONFIG_ERROR);
        assertThat(r.err()).contains("postgresql.port: 99999 is not a TCP port");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void unsafeTimingIsRefused(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("node.yml"), """
        cluster: c
        name: n1
        data_dir: %s/data
        dcs: {zookeeper: {connect: "127.0.0.1:1"}}
        timing: {ttl: 3s, safety_margin: 50ms}
        """.formatted(dir));
        ClusterFixture.Run r = pgha("agent", "--config", cfg.toString());
        assertThat(r.exitCode()).isEqualTo(Main.CONFIG_ERROR);
        assertThat(r.err()).contains("timing.safety_margin", "two primaries");
    }

    @Test
    void commandsWithoutAConfigSaySo() {
        ClusterFixture.Run r = pgha("list");
        assertThat(r.exitCode()).isEqualTo(Main.CONFIG_ERROR);
        assertThat(r.err()).contains("no config: pass -c FILE");
        assertThat(pgha("list", "-c", "/nonexistent/node.yml").err()).contains("does not exist or is not readable");
    }

    @Test
    void anUnreachableDcsHasItsOwnExitStatus(@TempDir Path dir) throws Exception {
        Path cfg = Files.writeString(dir.resolve("node.yml"), """
        cluster: c
        name: n1
        data_dir: %s/data
        dcs: {zookeeper: {connect: "127.0.0.1:1"}}
        """.formatted(dir));
        ClusterFixture.Run r = pgha("list", "-c", cfg.toString());
        assertThat(r.exitCode()).isEqualTo(Main.DCS_UNREACHABLE);
        assertThat(r.err()).contains("cannot reach ZooKeeper at 127.0.0.1:1");
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertThat(pgha("list", "--format", "xml").exitCode()).isEqualTo(2);
        assertThat(pgha("nosuchcommand").exitCode()).isEqualTo(2);
        assertThat(pgha("failover").exitCode()).isEqualTo(2);
        ClusterFixture.Run both = pgha("switchover", "--cancel", "--to", "node2", "-c", "/nonexistent/node.yml");
        assertThat(both.exitCode()).isNotZero();
        assertThat(both.err()).contains("--cancel takes no --to or --at");
    }

    @Test
    void aDemoOfTwoNodesIsRefusedBeforeAnythingStarts(@TempDir Path dir) {
        ClusterFixture.Run r =
                pgha("demo", "--nodes", "2", "--dir", dir.resolve("demo").toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("--nodes: 2 nodes cannot keep a ZooKeeper quorum");
        assertThat(dir.resolve("demo")).doesNotExist();
    }
}
