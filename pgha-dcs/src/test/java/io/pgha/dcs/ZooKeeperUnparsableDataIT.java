package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage written straight into ZooKeeper (as a buggy tool or an intruder with DCS access would)
 * costs the bad entry only: read() still answers, with the good members and the last valid config,
 * and a bad sync record never names a standby as synchronous.
 */
class ZooKeeperUnparsableDataIT {
    private static EmbeddedZooKeeper zk;

    @TempDir
    static Path dir;

    private final String cluster = "bad" + System.nanoTime();
    private final String root = "/pgha-test/" + cluster;
    private CuratorFramework raw;
    private ZooKeeperDcs a;
    private ZooKeeperDcs b;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = EmbeddedZooKeeper.standalone(TestPorts.free(), dir);
    }

    @AfterAll
    static void stopZooKeeper() {
        if (zk != null) zk.close();
    }

    @BeforeEach
    void connect() throws Exception {
        raw = CuratorFrameworkFactory.newClient(zk.connectString(), 4000, 2000, new RetryOneTime(100));
        raw.start();
        assertThat(raw.blockUntilConnected(10, java.util.concurrent.TimeUnit.SECONDS))
                .isTrue();
        a = member();
        b = member();
    }

    private ZooKeeperDcs member() throws Exception {
        ZooKeeperDcs d = ZooKeeperDcs.connectMember(zk.connectString(), "/pgha-test", cluster, 2000);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    @AfterEach
    void close() {
        if (a != null) a.close();
        if (b != null) b.close();
        if (raw != null) raw.close();
    }

    /** Writes {@code text} as the raw bytes of {@code name} under the cluster, creating it if needed. */
    private void write(String name, String text, CreateMode mode) throws Exception {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        String p = root + "/" + name;
        if (raw.checkExists().forPath(p) == null)
            raw.create().creatingParentsIfNeeded().withMode(mode).forPath(p, bytes);
        else raw.setData().forPath(p, bytes);
    }

    @Test
    void aGarbageMemberIsSkippedAndTheGoodOnesRemain() throws Exception {
        a.publishMember(DcsContract.member("db1"));
        write("members/db2", "{\"name\": \"db2\", \"role\": ", CreateMode.EPHEMERAL);
        write("members/db3", "\u0000\u0001garbage", CreateMode.EPHEMERAL);
        ClusterState c = b.read();
        assertThat(c.members()).containsOnlyKeys("db1");
        assertThat(c.unreadable()).containsExactly("members/db2", "members/db3");
        assertThat(b.connected()).isTrue();
    }

    @Test
    void aConfigThatDoesNotParseOrValidateKeepsTheLastValidOne() throws Exception {
        DynamicConfig good = a.updateConfig(c -> c.withSynchronous(SyncMode.ON, true, 2));
        assertThat(b.read().config()).isEqualTo(good);
        for (String bad : List.of(
                "{\"paused\": tru",
                "{\"synchronousNodeCount\": 1000}",
                "{\"switchoverDrainTimeoutMs\": -1}",
                "{\"synchronousMode\": \"sometimes\"}")) {
            write("config", bad, CreateMode.PERSISTENT);
            ClusterState c = b.read();
            assertThat(c.config()).as(bad).isEqualTo(good);
            assertThat(c.unreadable()).containsExactly("config");
        }
        ZooKeeperDcs fresh = member();
        try {
            assertThat(fresh.read().config())
                    .as("a client that never read a valid config")
                    .isEqualTo(ClusterDecoder.CONFIG_STAND_IN);
            DynamicConfig repaired = fresh.updateConfig(c -> c.withPaused(true));
            assertThat(repaired)
                    .as("edit-config replaces the damaged entry")
                    .isEqualTo(ClusterDecoder.CONFIG_STAND_IN.withPaused(true));
            assertThat(b.read().config()).isEqualTo(repaired);
            assertThat(b.read().unreadable()).isEmpty();
        } finally {
            fresh.close();
        }
    }

    @Test
    void aGarbageSyncRecordNamesNobodyUntilThePrimaryRewritesIt() throws Exception {
        assertThat(a.acquireLeader("db1")).isTrue();
        SyncState rec = SyncState.of("db1", 1, List.of("db2"));
        assertThat(a.writeSync("db1", rec)).isTrue();
        assertThat(b.read().sync()).isEqualTo(rec);
        write("sync", "{\"leader\": \"db1\", \"quorum\": 1, \"members\": [\"db2\"", CreateMode.PERSISTENT);
        ClusterState c = b.read();
        assertThat(c.sync()).isEqualTo(SyncState.UNREADABLE);
        assertThat(c.sync().contains("db2")).isFalse();
        assertThat(c.unreadable()).containsExactly("sync");
        assertThat(c.leader()).isEqualTo("db1");
        assertThat(a.writeSync("db1", SyncState.of("db1", 0, List.of())))
                .as("the lease holder can overwrite it")
                .isTrue();
        assertThat(b.read().sync()).isEqualTo(SyncState.of("db1", 0, List.of()));
    }

    @Test
    void garbageEverywhereStillReadsWithoutThrowing() throws Exception {
        a.publishMember(DcsContract.member("db1"));
        a.appendHistory(
                new io.pgha.core.model.HistoryEntry(1, io.pgha.core.model.Lsn.parse("0/100"), "failover", 1, "db1"));
        a.publishLeaderOptime(io.pgha.core.model.Lsn.parse("0/5000"));
        ClusterState before = b.read();
        write("members/db2", "[]", CreateMode.EPHEMERAL);
        write("config", "not json at all", CreateMode.PERSISTENT);
        write("sync", "42", CreateMode.PERSISTENT);
        write("failover", "{\"candidate\": {}}", CreateMode.PERSISTENT);
        write("optime", "later", CreateMode.PERSISTENT);
        write("history", "{\"timeline\": 2}", CreateMode.PERSISTENT);
        ClusterState c = b.read();
        assertThat(c.members()).containsOnlyKeys("db1");
        assertThat(c.config()).isEqualTo(before.config());
        assertThat(c.sync()).isEqualTo(SyncState.UNREADABLE);
        assertThat(c.failover()).isNull();
        assertThat(c.leaderOptime()).isEqualTo(before.leaderOptime());
        assertThat(c.history()).isEqualTo(before.history());
        assertThat(c.unreadable()).containsExactly("config", "failover", "history", "members/db2", "optime", "sync");
        FailoverRequest fr = new FailoverRequest(null, "db1", 0, 1, null);
        assertThat(b.requestFailover(fr))
                .as("a new request replaces the unreadable one")
                .isTrue();
        assertThat(b.read().failover()).isEqualTo(fr);
    }
}
