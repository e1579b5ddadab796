package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Garbage written straight into etcd (as a buggy tool or an intruder with DCS access would) costs
 * the bad entry only, exactly as with ZooKeeper ({@link ZooKeeperUnparsableDataIT}): read() still
 * answers with the good members and the last valid config, a bad sync record names nobody, and
 * edit-config and a new failover request replace damaged entries.
 */
class EtcdUnparsableDataIT {
    private static LocalEtcd etcd;
    private static Client raw;

    @TempDir
    static Path dir;

    private final String cluster = "bad" + System.nanoTime();
    private final String root = "/pgha-test/" + cluster;
    private EtcdDcs a;
    private EtcdDcs b;

    @BeforeAll
    static void startEtcd() throws Exception {
        etcd = LocalEtcd.start(dir, 1);
        raw = Client.builder()
                .endpoints(URI.create("http://" + etcd.endpoints()))
                .build();
    }

    @AfterAll
    static void stopEtcd() {
        if (raw != null) raw.close();
        if (etcd != null) etcd.close();
    }

    @BeforeEach
    void connect() throws Exception {
        a = member();
        b = member();
    }

    private EtcdDcs member() throws Exception {
        EtcdDcs d = EtcdDcs.connectMember(EtcdDcsIT.config(etcd.endpoints()), cluster, 2000);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    @AfterEach
    void close() {
        if (a != null) a.close();
        if (b != null) b.close();
    }

    /** Writes {@code text} as the raw bytes of {@code name} under the cluster. */
    private void write(String name, String text) throws Exception {
        raw.getKVClient()
                .put(
                        ByteSequence.from(root + "/" + name, StandardCharsets.UTF_8),
                        ByteSequence.from(text, StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS);
    }

    @Test
    void aGarbageMemberIsSkippedAndTheGoodOnesRemain() throws Exception {
        a.publishMember(DcsContract.member("db1"));
        write("members/db2", "{\"name\": \"db2\", \"role\": ");
        write("members/db3", "\u0000\u0001garbage");
        ClusterState c = b.read();
        assertThat(c.members()).containsOnlyKeys("db1");
        assertThat(c.unreadable()).containsExactly("members/db2", "members/db3");
        assertThat(b.connected()).isTrue();
    }

    @Test
    void aConfigThatDoesNotValidateKeepsTheLastValidOneUntilEditConfigReplacesIt() throws Exception {
        DynamicConfig good = a.updateConfig(c -> c.withSynchronous(SyncMode.ON, true, 2));
        assertThat(b.read().config()).isEqualTo(good);
        for (String bad : List.of("{\"paused\": tru", "{\"synchronousNodeCount\": 1000}")) {
            write("config", bad);
            ClusterState c = b.read();
            assertThat(c.config()).as(bad).isEqualTo(good);
            assertThat(c.unreadable()).containsExactly("config");
        }
        EtcdDcs fresh = member();
        try {
            assertThat(fresh.read().config())
                    .as("a client that never read a valid config")
                    .isEqualTo(ClusterDecoder.CONFIG_STAND_IN);
            DynamicConfig repaired = fresh.updateConfig(c -> c.withPaused(true));
            assertThat(repaired).isEqualTo(ClusterDecoder.CONFIG_STAND_IN.withPaused(true));
            assertThat(b.read().config()).isEqualTo(repaired);
            assertThat(b.read().unreadable()).isEmpty();
        } finally {
            fresh.close();
        }
    }

    @Test
    void garbageEverywhereStillReadsAndANewFailoverRequestReplacesABadOne() throws Exception {
        a.publishMember(DcsContract.member("db1"));
        a.appendHistory(new HistoryEntry(1, Lsn.parse("0/100"), "failover", 1, "db1"));
        a.publishLeaderOptime(Lsn.parse("0/5000"));
        assertThat(a.acquireLeader("db1")).isTrue();
        ClusterState before = b.read();
        write("members/db2", "[]");
        write("config", "not json at all");
        write("sync", "42");
        write("failover", "{\"candidate\": {}}");
        write("optime", "later");
        write("history", "{\"timeline\": 2}");
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
        assertThat(b.requestFailover(new FailoverRequest(null, "db2", 0, 2, null)))
                .as("a readable pending request stays")
                .isFalse();
        assertThat(a.writeSync("db1", SyncState.of("db1", 0, List.of())))
                .as("the lease holder rewrites the sync record")
                .isTrue();
        assertThat(b.read().sync()).isEqualTo(SyncState.of("db1", 0, List.of()));
    }
}
