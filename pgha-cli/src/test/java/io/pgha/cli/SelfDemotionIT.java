package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.index;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.model.ClusterState;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.dcs.ZooKeeperDcs;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.TcpRelay;
import io.pgha.testkit.Writer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1 end to end: the primary's agent is cut off from ZooKeeper for real (each agent
 * reaches ZooKeeper through its own TCP relay, and the test cuts the primary's) while PostgreSQL
 * replication keeps working. The old primary must stop acknowledging writes before another member
 * takes the leader key; it rejoins as a standby once the network heals.
 */
class SelfDemotionIT {

    @TempDir
    Path zkDir;

    @Test
    void aPrimaryCutOffFromZooKeeperStopsWritingBeforeAnotherIsPromoted() throws Exception {
        List<TcpRelay> relays = new ArrayList<>();
        LocalCluster cluster = null;
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.standalone(FreePorts.one(), zkDir)) {
            int zkPort = Integer.parseInt(zk.connectString().split(":")[1]);
            List<String> connect = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                TcpRelay r = new TcpRelay(FreePorts.one(), zkPort);
                relays.add(r);
                connect.add("127.0.0.1:" + r.port());
            }
            cluster = ClusterFixture.start("demote", 3, null, connect);
            ClusterFixture.awaitHealthy(cluster, 3);
            try (ZooKeeperDcs direct = ZooKeeperDcs.connect(zk.connectString(), "/pgha", "demote", 3000)) {
                String old = direct.read().leader();
                int oldIndex = index(old);
                String url = "jdbc:postgresql://127.0.0.1:" + cluster.pgPort(oldIndex) + "/postgres?user=postgres";
                Writer.Ack lastOnOld;
                try (Writer w = new Writer(url, "demotion").start()) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> w.ackedCount() > 20);
                    relays.get(oldIndex - 1).cut();
                    await().atMost(Duration.ofSeconds(60))
                            .pollInterval(Duration.ofMillis(50))
                            .until(() -> {
                                ClusterState c = direct.read();
                                return c.leader() != null && !c.leader().equals(old);
                            });
                    Thread.sleep(2000); // anything the old primary still acknowledged would show up by now
                    lastOnOld = w.lastAck();
                }
                long newLeaderCreated = leaderCreated(zk.connectString());
                assertThat(lastOnOld).isNotNull();
                assertThat(lastOnOld.atMillis())
                        .as("last write acknowledged by the cut-off primary vs. creation of the new leader key")
                        .isLessThan(newLeaderCreated);
                System.out.printf(
                        "self-demotion: last write on the old primary %d ms before the new leader key%n",
                        newLeaderCreated - lastOnOld.atMillis());

                relays.get(oldIndex - 1).heal();
                LocalCluster c = cluster;
                await().atMost(Duration.ofSeconds(120)).until(() -> c.healthy(3));
                assertThat(direct.read().member(old).orElseThrow().following())
                        .isEqualTo(direct.read().leader());
            }
        } finally {
            ClusterFixture.stop(cluster);
            relays.forEach(TcpRelay::close);
        }
    }

    /** The creation time (ZooKeeper's wall clock, this machine's) of the current leader key. */
    private static long leaderCreated(String connect) throws Exception {
        ZooKeeper zk = new ZooKeeper(connect, 5000, e -> {});
        try {
            Stat stat = await().atMost(Duration.ofSeconds(10))
                    .until(() -> zk.exists("/pgha/demote/leader", false), s -> s != null);
            return stat.getCtime();
        } finally {
            zk.close();
        }
    }
}
