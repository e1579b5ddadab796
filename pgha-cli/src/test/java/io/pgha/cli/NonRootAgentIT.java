package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.ZooKeeperDcs;
import io.pgha.postgres.Directories;
import io.pgha.postgres.OsCommand;
import io.pgha.postgres.Processes;
import io.pgha.testkit.FreePorts;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The agent running as an unprivileged user (the production shape where pgha runs as {@code
 * postgres}): no setpriv, PostgreSQL started directly. As root the test drops to {@code postgres}
 * for the agent process; the rest of the suite covers running as root.
 */
class NonRootAgentIT {

    @Test
    void anAgentRunningAsThePostgresUserBootstrapsAndStopsCleanly() throws Exception {
        assumeTrue(OsCommand.runningAsRoot(), "the whole suite runs unprivileged already");
        Path dir = Files.createTempDirectory("pgha-nonroot");
        Process agent = null;
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path jar = Files.copy(
                    Path.of("target", "pgha.jar"), dir.resolve("pgha.jar"), StandardCopyOption.REPLACE_EXISTING);
            int pg = FreePorts.one();
            int api = FreePorts.one();
            int zk = FreePorts.one();
            int router = FreePorts.one();
            int pooled = FreePorts.one();
            Path users = dir.resolve("users.txt");
            Files.writeString(
                    Files.createFile(
                            users, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                    "\"postgres\" \"first-pw\"\n");
            Path cfg = Files.writeString(dir.resolve("node1.yml"), """
          cluster: nonroot
          name: node1
          data_dir: %1$s/node1/data
          postgresql:
            port: %2$d
            authentication: {superuser: {username: postgres}, replication: {username: postgres}}
            pg_hba: ["host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"]
          restapi: {port: %3$d}
          dcs:
            embedded: {my_id: 1, data_dir: %1$s/node1/zookeeper, peers: ["1=127.0.0.1:%4$d:%5$d:%6$d"]}
          router: {port: %7$d, pool: {port: %8$d, auth_file: %1$s/users.txt}}
          """.formatted(
                            dir, pg, api, zk, FreePorts.one(), FreePorts.one(), router, pooled));
            new ProcessBuilder("chown", "-R", "postgres:", dir.toString())
                    .inheritIO()
                    .start()
                    .waitFor(30, TimeUnit.SECONDS);
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            agent = new ProcessBuilder(List.of(
                            "setpriv",
                            "--reuid=postgres",
                            "--regid=postgres",
                            "--init-groups",
                            "--",
                            java,
                            "-Xmx64m",
                            "-jar",
                            jar.toString(),
                            "agent",
                            "--config",
                            cfg.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("agent.log").toFile())
                    .start();
            try (ZooKeeperDcs dcs = ZooKeeperDcs.connect("127.0.0.1:" + zk, "/pgha", "nonroot", 3000)) {
                Process a = agent;
                await().atMost(Duration.ofSeconds(120)).until(() -> {
                    if (!a.isAlive())
                        throw new AssertionError("agent exited:\n" + Files.readString(dir.resolve("agent.log")));
                    ClusterState c = ClusterFixture.quietly(dcs::read, null);
                    return c != null
                            && "node1".equals(c.leader())
                            && c.leaderMember().map(Member::isRunningPrimary).orElse(false);
                });
            }
            long postmaster = Processes.postmasterPid(dir.resolve("node1").resolve("data"));
            assertThat(ProcessHandle.of(agent.pid()).flatMap(p -> p.info().user()))
                    .contains("postgres");
            assertThat(ProcessHandle.of(postmaster).flatMap(p -> p.info().user()))
                    .contains("postgres");
            // The router section makes the agent run a router in its own process.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                try (var c = DriverManager.getConnection(
                                "jdbc:postgresql://127.0.0.1:" + router + "/postgres?user=postgres");
                        var st = c.createStatement();
                        var rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                    rs.next();
                    assertThat(rs.getBoolean(1)).isFalse();
                }
            });

            // Its pooled listener reads its auth file again on the agent's SIGHUP, as a standalone router does.
            assertThat(pooledUser(pooled, "first-pw")).isEqualTo("postgres");
            Files.writeString(users, "\"postgres\" \"second-pw\"\n");
            assertThat(new ProcessBuilder("kill", "-HUP", Long.toString(agent.pid()))
                            .inheritIO()
                            .start()
                            .waitFor())
                    .isZero();
            await().atMost(Duration.ofSeconds(30))
                    .ignoreExceptions() // the old password fails until the reload has run
                    .untilAsserted(
                            () -> assertThat(pooledUser(pooled, "second-pw")).isEqualTo("postgres"));
            assertThatThrownBy(() -> pooledUser(pooled, "first-pw"))
                    .hasMessageContaining("password authentication failed");
            assertThat(agent.isAlive()).as("SIGHUP never stops the agent").isTrue();

            agent.toHandle().destroy(); // SIGTERM: the agent stops PostgreSQL and exits
            assertThat(agent.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(Processes.alive(postmaster)).isFalse();
            assertThatThrownBy(() -> new Socket("127.0.0.1", router).close())
                    .as("the router stopped with the agent")
                    .isInstanceOf(ConnectException.class);
        } finally {
            if (agent != null && agent.isAlive()) agent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            long left = Processes.postmasterPid(dir.resolve("node1").resolve("data"));
            if (left > 0) ProcessHandle.of(left).ifPresent(ProcessHandle::destroyForcibly);
            Directories.delete(dir);
        }
    }

    /** Who the pooled listener logged in, with that password. */
    private static String pooledUser(int port, String password) throws Exception {
        try (var c = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres&password=" + password);
                var st = c.createStatement();
                var rs = st.executeQuery("SELECT current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
