package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.pgha.core.config.DcsConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DCS contract against a real one-member etcd (the OS's etcd binary), and etcd's own session rules. */
class EtcdDcsIT extends DcsContract {
    private static LocalEtcd etcd;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startEtcd() throws Exception {
        etcd = LocalEtcd.start(dir, 1);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) etcd.close();
    }

    static DcsConfig config(String endpoints) {
        return new DcsConfig(null, null, new DcsConfig.Etcd(List.of(endpoints.split(","))), "/pgha-test", null, null);
    }

    @Override
    protected Dcs connect(String cluster) throws Exception {
        EtcdDcs d = EtcdDcs.connectMember(config(etcd.endpoints()), cluster, 2000);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    @Test
    void usesTheGrantedTtl() throws Exception {
        Dcs d = client();
        assertThat(d.connection()).isEqualTo(Dcs.Connection.CONNECTED);
        assertThat(d.sessionTimeoutMs())
                .as("granted exactly as asked, or refused")
                .isEqualTo(2000L);
        assertThat(d.describe()).isEqualTo("etcd at " + etcd.endpoints());
    }

    @Test
    void anUnreachableServerIsAnErrorNotAnEmptyCluster() throws Exception {
        int dead = TestPorts.free();
        try (EtcdDcs d = EtcdDcs.connect(config("127.0.0.1:" + dead), "x", 2000)) {
            assertThatThrownBy(d::read)
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("cannot read the cluster");
            assertThatThrownBy(() -> d.acquireLeader("a")).isInstanceOf(DcsException.class);
            assertThat(d.connection()).isEqualTo(Dcs.Connection.SUSPENDED);
        }
    }

    @Test
    void aMemberIsRefusedALeaseTtlOtherThanAsked() throws Exception {
        // etcd raises TTLs below its minimum (1.5 election timeouts, rounded up: 2 s by default)
        try (EtcdDcs d = EtcdDcs.connectMember(config(etcd.endpoints()), "refused", 1000)) {
            assertThat(d.awaitConnected(10_000)).isTrue();
            assertThat(d.connection()).isEqualTo(Dcs.Connection.REFUSED);
            assertThatThrownBy(() -> d.checkSession(1000))
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("etcd granted a lease TTL of 2 s but timing.ttl is 1000 ms")
                    .hasMessageContaining("raise timing.ttl to 2000 ms");
            assertThatThrownBy(d::read).isInstanceOf(DcsException.class).hasMessageContaining("timing.ttl");
            assertThatThrownBy(() -> d.acquireLeader("a")).isInstanceOf(DcsException.class);
            assertThatThrownBy(() -> d.publishMember(member("a"))).isInstanceOf(DcsException.class);
        }
    }

    @Test
    void aMemberTtlOfNoWholeSecondsIsRefused() throws Exception {
        try (EtcdDcs d = EtcdDcs.connectMember(config(etcd.endpoints()), "refused", 2500)) {
            assertThat(d.awaitConnected(1000)).isTrue();
            assertThat(d.connection()).isEqualTo(Dcs.Connection.REFUSED);
            assertThatThrownBy(() -> d.checkSession(1000))
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("timing.ttl is 2500 ms but etcd grants leases in whole seconds")
                    .hasMessageContaining("2000 or 3000 ms");
        }
    }

    @Test
    void anObserverTakesAnyTtl() throws Exception {
        try (EtcdDcs d = EtcdDcs.connect(config(etcd.endpoints()), "observer", 1000)) {
            assertThat(d.awaitConnected(10_000)).isTrue();
            assertThat(d.connection()).isEqualTo(Dcs.Connection.CONNECTED);
            assertThat(d.sessionTimeoutMs()).isEqualTo(2000L);
            assertThat(d.read().leader()).isNull();
        }
    }

    @Test
    void aLostLeaseIsReplacedAndTheLeaderKeyWithItIsGone() throws Exception {
        EtcdDcs a = (EtcdDcs) client();
        Dcs b = client();
        List<Dcs.Connection> seen = new CopyOnWriteArrayList<>();
        a.onChange(() -> seen.add(a.connection()));
        assertThat(a.acquireLeader("a")).isTrue();
        a.publishMember(member("a"));
        long lease = a.leaseId();
        revoke(lease);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(Dcs.Connection.LOST));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> a.connection() == Dcs.Connection.CONNECTED && a.leaseId() != 0 && a.leaseId() != lease);
        assertThat(b.read().leader()).as("the leader key went with the lease").isNull();
        assertThat(b.read().members()).doesNotContainKey("a");
        assertThat(a.renewLeader("a")).isFalse();
        assertThat(a.writeSync("a", io.pgha.core.model.SyncState.EMPTY)).isFalse();
        a.publishMember(member("a"));
        assertThat(b.read().members()).containsKey("a");
        assertThat(a.reclaimLeader("a")).as("vacant").isTrue();
        assertThat(a.renewLeader("a")).isTrue();
        assertThat(b.read().leader()).isEqualTo("a");
    }

    @Test
    void aLeaderKeyNamingMeUnderAnotherLeaseIsMovedToMine() throws Exception {
        Dcs a = client();
        Dcs old = client(); // stands in for a's earlier lease
        Dcs c = client();
        assertThat(old.acquireLeader("a")).isTrue();
        assertThat(a.renewLeader("a")).isFalse();
        assertThat(a.reclaimLeader("a")).isTrue();
        assertThat(old.renewLeader("a"))
                .as("the key is a's current lease's now")
                .isFalse();
        old.close();
        assertThat(a.renewLeader("a")).isTrue();
        assertThat(c.read().leader()).as("it did not go with the old lease").isEqualTo("a");
        assertThat(a.writeSync("a", io.pgha.core.model.SyncState.EMPTY)).isTrue();
        a.releaseLeader("a");
        assertThat(c.acquireLeader("c")).isTrue();
        assertThat(a.reclaimLeader("a")).as("held by another member").isFalse();
        assertThat(c.read().leader()).isEqualTo("c");
    }

    @Test
    void closingRevokesTheLeaseAtOnce() throws Exception {
        Dcs a = client();
        Dcs b = client();
        assertThat(a.acquireLeader("a")).isTrue();
        a.close();
        assertThat(b.read().leader()).isNull();
    }

    @Test
    void updatesOfMembersOptimeAndSlotsAndRoutersDoNotWakeAgents() {
        try (EtcdDcs d = EtcdDcs.connect(config(etcd.endpoints()), "rel", 2000)) {
            String p = "/pgha-test/rel/";
            assertThat(d.relevant(true, p + "members/a")).isFalse();
            assertThat(d.relevant(false, p + "members/a")).as("joined or left").isTrue();
            assertThat(d.relevant(true, p + "optime")).isFalse();
            assertThat(d.relevant(true, p + "slots")).isFalse();
            assertThat(d.relevant(false, p + "routers/r1")).isFalse();
            assertThat(d.relevant(true, p + "leader")).isTrue();
            assertThat(d.relevant(true, p + "config")).isTrue();
            assertThat(d.relevant(true, p + "sync")).isTrue();
        }
    }

    /** Revokes {@code lease} with a client of its own, as an operator or an expiry would end it. */
    private static void revoke(long lease) throws Exception {
        try (Client c = Client.builder()
                .endpoints(URI.create("http://" + etcd.endpoints()))
                .build()) {
            c.getLeaseClient().revoke(lease).get(5, TimeUnit.SECONDS);
        }
    }
}
