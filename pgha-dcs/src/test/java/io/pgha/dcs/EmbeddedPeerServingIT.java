package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.DcsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an agent reads before its DCS client's first attempt: whether its embedded peer serves. A
 * peer without a quorum does not (it would accept a client and close it at once); it does once a
 * second peer of three joins it; a standalone server does once started.
 */
class EmbeddedPeerServingIT {
    @TempDir
    Path dir;

    @Test
    void aPeerServesOnlyWithAQuorumAndAStandaloneServerOnceStarted() throws Exception {
        List<DcsConfig.Peer> peers = new ArrayList<>();
        for (int id = 1; id <= 3; id++)
            peers.add(new DcsConfig.Peer(id, "127.0.0.1", TestPorts.free(), TestPorts.free(), TestPorts.free()));
        EmbeddedZooKeeper first = null;
        EmbeddedZooKeeper second = null;
        try {
            first = EmbeddedZooKeeper.start(1, peers, Files.createDirectories(dir.resolve("zk1")));
            assertThat(first.serving()).as("one peer of three alone").isFalse();
            assertThat(first.awaitServing(500)).as("still alone after the wait").isFalse();
            second = EmbeddedZooKeeper.start(2, peers, Files.createDirectories(dir.resolve("zk2")));
            assertThat(first.awaitServing(60_000)).as("two of three: a quorum").isTrue();
            assertThat(second.awaitServing(60_000)).isTrue();
            // and it does serve: a session through the first peer
            try (ZooKeeperDcs c = ZooKeeperDcs.connect(
                    peers.get(0).clientAddress(), "/pgha-test", "s", 4000, false, ZooKeeperAccess.OPEN)) {
                assertThat(c.awaitConnected(30_000)).isTrue();
            }
        } finally {
            if (second != null) second.close();
            if (first != null) first.close();
        }
        try (EmbeddedZooKeeper alone =
                EmbeddedZooKeeper.standalone(TestPorts.free(), Files.createDirectories(dir.resolve("alone")))) {
            assertThat(alone.serving()).isTrue();
        }
    }
}
