package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.NodeConfig;
import io.pgha.dcs.ZooKeeperDcs;
import io.pgha.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pgha zookeeper -c node.yml}: a dedicated server that enforces the config's dcs.auth for every client. */
class DedicatedZooKeeperIT {
    @TempDir
    Path dir;

    @Test
    void aDedicatedServerWithTheNodesCredentialRefusesAnonymousClients() throws Exception {
        int port = FreePorts.block(1, 100, 200);
        Path cfg = dir.resolve("node.yml");
        Files.writeString(
                cfg,
                String.join(
                        "\n",
                        "cluster: zk",
                        "name: n1",
                        "data_dir: " + dir.resolve("data"),
                        "dcs:",
                        "  zookeeper:",
                        "    connect: \"127.0.0.1:" + port + "\"",
                        "  auth:",
                        "    username: pgha",
                        "    password: a-long-test-password",
                        ""));
        Process server = CliFixtures.pgha(
                dir.resolve("zk.log"),
                "zookeeper",
                "-c",
                cfg.toString(),
                "--id",
                "1",
                "--peer",
                "1=127.0.0.1:" + port + ":" + (port + 100) + ":" + (port + 200),
                "--data-dir",
                dir.resolve("zk").toString());
        try {
            NodeConfig node = ConfigLoader.load(cfg);
            try (ZooKeeperDcs pgha = ZooKeeperDcs.connect(node.dcs(), "zk", 4000)) {
                await().atMost(Duration.ofSeconds(60))
                        .ignoreExceptions()
                        .until(() -> pgha.claimInitialize("n1") || pgha.read().initialized());
            }
            try (ZooKeeper anonymous = new ZooKeeper("127.0.0.1:" + port, 5000, e -> {})) {
                assertThatThrownBy(() -> anonymous.getChildren("/", false))
                        .as("no operation before authentication")
                        .isInstanceOf(KeeperException.SessionClosedRequireAuthException.class);
            }
            assertThat(Files.readString(dir.resolve("zk.log"))).doesNotContain("no dcs.auth");
        } finally {
            server.destroy();
            if (!server.waitFor(20, TimeUnit.SECONDS)) server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
