package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.SyncState;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DCS contract against a real ZooKeeper server embedded in the test JVM. */
class ZooKeeperDcsIT extends DcsContract {
    private static EmbeddedZooKeeper zk;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = EmbeddedZooKeeper.standalone(TestPorts.free(), dir);
    }

    @AfterAll
    static void stopZooKeeper() {
        if (zk != null) zk.close();
    }

    @Override
    protected Dcs connect(String cluster) throws Exception {
        ZooKeeperDcs d = ZooKeeperDcs.connectMember(zk.connectString(), "/pgha-test", cluster, 2000);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    /** Once awaitConnected said yes, connected() says so too (the listener's state is not behind). */
    @Test
    void aClientIsConnectedOnceAwaited() throws Exception {
        for (int i = 0; i < 20; i++) {
            try (ZooKeeperDcs d = ZooKeeperDcs.connectMember(zk.connectString(), "/pgha-test", "c" + i, 2000)) {
                assertThat(d.awaitConnected(10_000)).isTrue();
                assertThat(d.connected())
                        .as("connection %d: %s", i, d.connection())
                        .isTrue();
            }
        }
    }

    @Test
    void usesTheNegotiatedSessionTimeout() throws Exception {
        assertThat(client().sessionTimeoutMs())
                .as("granted exactly as asked, or refused")
                .isEqualTo(2000L);
    }

    /**
     * A lost connection is retried without ZooKeeper's random wait of up to 1 s (ZkReconnect, armed
     * by ZkHosts before every attempt), which a lease at ttl 2.5 s cannot afford, and the session
     * goes on.
     */
    @Test
    void aLostConnectionIsRetriedWithoutTheRandomWait() throws Exception {
        ZooKeeperDcs d = (ZooKeeperDcs) client();
        long session = d.handle().getSessionId();
        long armed = d.hosts().armed();
        d.handle().getTestable().closeSocket();
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> d.hosts().armed() > armed && d.connected());
        assertThat(d.handle().getSessionId()).as("the same session").isEqualTo(session);
        assertThat(d.acquireLeader("reconnected"))
                .as("the reconnected session writes")
                .isTrue();
    }

    @Test
    void anUnreachableServerIsAnErrorNotAnEmptyCluster() throws Exception {
        int dead = TestPorts.free();
        try (ZooKeeperDcs d = ZooKeeperDcs.connect("127.0.0.1:" + dead, "/pgha-test", "x", 2000)) {
            assertThatThrownBy(d::read)
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("cannot read the cluster");
            assertThatThrownBy(() -> d.acquireLeader("a")).isInstanceOf(DcsException.class);
        }
    }

    /**
     * A cluster read is two requests, whatever the number of members: the member list, then one
     * multi-read of the keys and every member. Counted by the server ("Received" of the srvr
     * command); pings of the sessions may add one or two.
     */
    @Test
    void aClusterReadIsTwoRequestsNotOnePerKey() throws Exception {
        Dcs a = client();
        for (String n : List.of("m1", "m2", "m3", "m4")) a.publishMember(member(n));
        assertThat(a.claimInitialize("m1")).isTrue();
        ClusterState before = a.read();
        assertThat(before.members()).hasSize(4);
        long received = received();
        ClusterState c = a.read();
        long requests = received() - received;
        assertThat(c.members()).containsOnlyKeys("m1", "m2", "m3", "m4");
        assertThat(c.initialized()).isTrue();
        assertThat(requests)
                .as("requests of one read (one per key and member would be 13)")
                .isLessThan(6);
    }

    /**
     * A client that registers no listener (a CLI command that reads once) sets no watch and reads no
     * member records behind the caller's read; the first listener starts the watch, and it signals.
     */
    @Test
    void theWatchStartsWithTheFirstListener() throws Exception {
        Dcs a = client();
        for (String n : List.of("m1", "m2", "m3")) a.publishMember(member(n));
        ZooKeeperDcs once = (ZooKeeperDcs) client();
        assertThat(once.read().members()).hasSize(3);
        assertThat(once.watching()).isFalse();
        Signals s = signals(once);
        assertThat(once.watching()).isTrue();
        int before = s.wakes().get();
        a.publishMember(member("m4"));
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> s.wakes().get() > before);
    }

    /**
     * A switchover's hand-over is two requests (the request read, then one multi that records the
     * stop position and deletes the leader key) instead of four (read and write the request, look at
     * the key, delete it): the time between the old primary's shutdown checkpoint and the target's
     * wake-up, during which nobody can write.
     */
    @Test
    void aHandOverIsTwoRequests() throws Exception {
        Dcs a = client();
        assertThat(a.acquireLeader("a")).isTrue();
        assertThat(a.renewLeader("a")).isTrue();
        assertThat(a.requestFailover(new FailoverRequest("a", "b", 0, 1, null))).isTrue();
        a.read(); // a request just before: no ping of the session falls into the count
        long received = received();
        a.handOver("a", fr -> fr.withStoppedAt(Lsn.parse("0/3000028")));
        long requests = received() - received;
        assertThat(a.read().leader()).isNull();
        assertThat(a.read().failover().stoppedAt()).isEqualTo(Lsn.parse("0/3000028"));
        assertThat(requests).as("requests of one hand-over (separate steps: 4)").isLessThan(4);
    }

    /**
     * A candidate takes the lease and writes the synchronous record naming it alone in two requests
     * (whether the record exists, then one multi) instead of three (the create, then whether the
     * record exists and a multi guarded by the key): a failover's path has one quorum write less.
     */
    @Test
    void takingTheLeaseWithTheSynchronousRecordIsTwoRequests() throws Exception {
        Dcs a = client();
        Dcs b = client();
        assertThat(a.acquireLeader("a")).isTrue(); // the cluster's node and the record exist from here on
        assertThat(a.writeSync("a", SyncState.of("a", 0, List.of()))).isTrue();
        a.releaseLeader("a");
        a.read(); // a request just before: no ping of the session falls into the count
        long before = received();
        assertThat(a.acquireLeader("a")).isTrue();
        assertThat(a.writeSync("a", SyncState.of("a", 1, List.of("b")))).isTrue();
        long separate = received() - before;
        a.releaseLeader("a");
        b.read();
        before = received();
        assertThat(b.acquireLeader("b", SyncState.of("b", 0, List.of()))).isTrue();
        long together = received() - before;
        assertThat(b.read().leader()).isEqualTo("b");
        assertThat(b.read().sync()).isEqualTo(SyncState.of("b", 0, List.of()));
        assertThat(together)
                .as("requests of taking the lease with the record, against " + separate + " in two steps")
                .isEqualTo(separate - 1);
    }

    /**
     * A lease renewal is one request, however many clients watch the cluster: their watches get an
     * event and read nothing back (a watch cache would read the key again in every client, the
     * leader's own included, at every renewal, several times a second).
     */
    @Test
    void aRenewalIsOneRequestHoweverManyClientsWatch() throws Exception {
        Dcs leader = client();
        Dcs agent = client();
        Dcs router = client();
        List<Signals> watching = List.of(signals(leader), signals(agent), signals(router));
        assertThat(leader.acquireLeader("a")).isTrue();
        seenByAll(router, watching);
        long received = received();
        for (int i = 0; i < 10; i++) assertThat(leader.renewLeader("a")).isTrue();
        // every client has had whatever the renewals signalled (a watch cache: its read of the key done)
        seenByAll(router, watching);
        long requests = received() - received;
        assertThat(requests)
                .as("requests of 10 renewals watched by 3 clients (40 with a read per client and renewal);"
                        + " the sessions' pings add a few")
                .isLessThan(20);
    }

    /**
     * A holder that stops renewing while its session lives on (a frozen agent whose client still
     * pings, or a session whose timeout the ensemble's new leader restarted) loses its key a ttl
     * after its last renewal, ended by another member, not when the session expires; never sooner
     * than a ttl after that renewal was sent, and the holder's next renewal fails.
     */
    @Test
    void aMemberEndsALeaseItsHolderNoLongerRenews() throws Exception {
        ZooKeeperDcs holder = (ZooKeeperDcs) client();
        Dcs other = client();
        signals(other); // a member's watch, as every agent has
        assertThat(holder.acquireLeader("a")).isTrue();
        long session = holder.handle().getSessionId();
        for (int i = 0; i < 3; i++) {
            Thread.sleep(300);
            assertThat(holder.renewLeader("a")).isTrue();
        }
        long lastSent = System.nanoTime();
        assertThat(holder.renewLeader("a")).isTrue();
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .pollInterval(java.time.Duration.ofMillis(20))
                .until(() -> other.read().leader() == null);
        long goneAfterMs = (System.nanoTime() - lastSent) / 1_000_000;
        assertThat(goneAfterMs)
                .as("the key went %d ms after the last renewal was sent: not before a ttl", goneAfterMs)
                .isGreaterThanOrEqualTo(2000);
        assertThat(holder.connected()).isTrue();
        assertThat(holder.handle().getSessionId())
                .as("the holder's session lives on: another member ended the key")
                .isEqualTo(session);
        assertThat(holder.renewLeader("a")).isFalse();
        assertThat(other.acquireLeader("b")).isTrue();
    }

    /** A member that may not end leases now (a failsafe promise) leaves an unrenewed key alone until it may. */
    @Test
    void aMemberThatMayNotEndLeasesLeavesTheKeyUntilItMay() throws Exception {
        Dcs holder = client();
        Dcs other = client();
        java.util.concurrent.atomic.AtomicBoolean allowed = new java.util.concurrent.atomic.AtomicBoolean();
        other.endUnrenewedLeasesWhile(allowed::get);
        signals(other);
        assertThat(holder.acquireLeader("a")).isTrue();
        Thread.sleep(2 * 2000 + 500);
        assertThat(other.read().leader())
                .as("not renewed for two ttl, but promised")
                .isEqualTo("a");
        allowed.set(true);
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(5))
                .until(() -> other.read().leader() == null);
    }

    /** A lease renewed as its holder does (every renew interval) is never ended by the members watching. */
    @Test
    void aLeaseThatIsRenewedIsNotEnded() throws Exception {
        Dcs holder = client();
        List<Dcs> others = List.of(client(), client());
        others.forEach(DcsContract::signals);
        signals(holder);
        assertThat(holder.acquireLeader("a")).isTrue();
        long end = System.nanoTime() + 3 * 2000 * 1_000_000L;
        while (System.nanoTime() - end < 0) {
            Thread.sleep(300);
            assertThat(holder.renewLeader("a")).isTrue();
        }
        for (Dcs o : others) assertThat(o.read().leader()).isEqualTo("a");
    }

    /**
     * Versions of the leader key start again at 0 with every holder, so a renewal of an earlier holder
     * that comes late must not land on the next holder's key because the versions match: every
     * renewal checks the term the key was taken in.
     */
    @Test
    void aLateRenewalOfAnEarlierHolderDoesNotLandOnTheNextHoldersKey() throws Exception {
        Dcs a = client();
        Dcs b = client();
        signals(b);
        assertThat(a.acquireLeader("a")).isTrue();
        assertThat(a.renewLeader("a")).isTrue();
        assertThat(a.renewLeader("a")).isTrue(); // version 2
        // a stops renewing with its session alive; b ends the key a ttl later and takes it
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> b.read().leader() == null);
        assertThat(b.acquireLeader("b")).isTrue();
        assertThat(b.renewLeader("b")).isTrue();
        assertThat(b.renewLeader("b")).isTrue(); // version 2 as well
        assertThat(a.renewLeader("a")).isFalse();
        assertThat(a.writeSync("a", SyncState.of("a", 0, List.of()))).isFalse();
        assertThat(b.read().leader()).as("the key still names its holder").isEqualTo("b");
        assertThat(b.renewLeader("b")).isTrue();
    }

    /** A router's publication, awaited until every client in {@code watching} saw it (and all before it). */
    private static void seenByAll(Dcs router, List<Signals> watching) throws Exception {
        List<Integer> before = watching.stream().map(w -> w.events().get()).toList();
        router.publishRouter(new io.pgha.core.model.RouterStatus("r1", "h:6432", null, java.util.Map.of(), 0, 0, 0));
        for (int i = 0; i < watching.size(); i++) {
            int was = before.get(i);
            java.util.concurrent.atomic.AtomicInteger events = watching.get(i).events();
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> events.get() > was);
        }
    }

    /** What the server has received so far, from its srvr four-letter command. */
    private static long received() throws Exception {
        String[] hostPort = zk.connectString().split(":");
        try (Socket s = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            String out = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            for (String line : out.split("\n"))
                if (line.startsWith("Received: "))
                    return Long.parseLong(line.substring(10).trim());
            throw new AssertionError("no Received in " + out);
        }
    }
}
