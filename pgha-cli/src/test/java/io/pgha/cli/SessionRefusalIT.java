package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent whose ZooKeeper grants another session timeout than {@code timing.ttl} stops before its first
 * cycle, with the error that names both values, and starts no PostgreSQL. The agent connects in the
 * background while it builds its other parts; the check runs before the loop, where it could take the
 * lease.
 */
class SessionRefusalIT {
    @TempDir
    Path dir;

    @Test
    void anAgentWhoseServerGrantsALongerSessionExitsBeforeItsFirstCycle() throws Exception {
        // As root, PostgreSQL's OS user must reach the data directory: JUnit makes its directory 0700, and
        // the agent would stop on that (before its session could be refused) instead
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        // tickTime 2000: the server grants at least 4000 ms, the agent asks for its ttl of 2500 ms
        try (EmbeddedZooKeeper zk =
                EmbeddedZooKeeper.standalone("127.0.0.1", FreePorts.one(), dir.resolve("zk"), 2000)) {
            Path data = dir.resolve("node1").resolve("data");
            Path cfg = Files.writeString(dir.resolve("node1.yml"), """
                    cluster: refused
                    name: node1
                    data_dir: %s
                    timing: {ttl: 2500ms}
                    postgresql:
                      port: %d
                      authentication: {superuser: {username: postgres}, replication: {username: postgres}}
                    restapi: {port: %d}
                    dcs:
                      zookeeper: {connect: "%s"}
                    """.formatted(
                            data, FreePorts.one(), FreePorts.one(), zk.connectString()));
            Process agent = CliFixtures.pgha(dir.resolve("agent.log"), "agent", "--config", cfg.toString());
            try {
                assertThat(agent.waitFor(60, TimeUnit.SECONDS))
                        .as("the agent exits")
                        .isTrue();
                String log = Files.readString(dir.resolve("agent.log"));
                assertThat(agent.exitValue()).as(log).isEqualTo(Main.FAILED);
                assertThat(log)
                        .contains("ZooKeeper granted a session timeout of 4000 ms but timing.ttl is 2500 ms")
                        .contains("raise timing.ttl to 4000 ms or more")
                        .doesNotContain("Bootstrap:")
                        .doesNotContain("started; REST API")
                        .doesNotContain("cannot write into");
                assertThat(data.resolve("PG_VERSION")).as("no initdb ran").doesNotExist();
            } finally {
                if (agent.isAlive()) agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
