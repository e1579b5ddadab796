package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.agent.FakeCluster.Node;
import io.pgha.core.decide.Decision;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import io.pgha.testkit.InMemoryDcs;
import io.pgha.testkit.ManualClock;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Observe, decide and act with fakes: agents built from an in-memory DCS, fake PostgreSQL servers,
 * stand-in watchdog devices, peers that answer as the test says and one manual clock. Each test
 * plays a fault that real processes could show only with luck and seconds of waiting, and checks
 * the safety rule it threatens. No thread is started; long actions run on the caller's thread.
 */
class AgentSafetyTest {
    private static final long TTL = FakeCluster.TTL;

    @TempDir
    Path dir;

    private FakeCluster fakes;
    private ManualClock clock;
    private InMemoryDcs.Store store;
    private Map<String, Node> nodes;
    private FakeCluster.FakePeers peers;

    @BeforeEach
    void makeFakes() {
        fakes = new FakeCluster(dir);
        clock = fakes.clock;
        store = fakes.store;
        nodes = fakes.nodes;
        peers = fakes.peers;
    }

    @AfterEach
    void closeAgents() {
        fakes.close();
    }

    private Node node(String name, FakePostgres pg) throws Exception {
        return fakes.node(name, pg);
    }

    private void healthyCluster(DynamicConfig config) throws Exception {
        fakes.healthy(config);
    }

    @Test
    void aLostLeaseStopsThePrimaryAndOnlyThenDisarmsTheWatchdogAndLetsGo() throws Exception {
        healthyCluster(DynamicConfig.DEFAULT);
        Node n1 = nodes.get("n1");
        clock.advance(TTL); // no renewal for longer than the lease
        n1.agent().leaseGuard().enforce();
        assertThat(n1.pg().running).isFalse();
        assertThat(n1.pg().calls).contains("stopImmediately");
        assertThat(n1.agent().lease().held()).isFalse();
        assertThat(n1.watchdogLog()).endsWith("V");
    }

    @Test
    void aStopThatFailsKeepsTheWatchdogArmedAndTheLeaseHeldSoNobodyElseIsPromoted() throws Exception {
        healthyCluster(DynamicConfig.DEFAULT);
        Node n1 = nodes.get("n1");
        n1.pg().stopFails = true;
        // n1's lease lapses locally (its renewals stalled) while its DCS session lives on
        clock.advance(TTL);
        Decision d = n1.cycle();
        assertThat(d).isInstanceOf(Decision.Demote.class);
        assertThat(n1.pg().running).as("the stop failed").isTrue();
        assertThat(n1.dog().armed()).as("the fence holds").isTrue();
        assertThat(n1.watchdogLog()).doesNotContain("V");
        assertThat(store.snapshot().leader()).as("the key is not given up").isEqualTo("n1");
        for (String s : List.of("n2", "n3")) {
            assertThat(nodes.get(s).cycle()).as(s).isNotInstanceOf(Decision.TakeOver.class);
            assertThat(nodes.get(s).pg().recovery).as(s + " stays a standby").isTrue();
        }
        // the next attempt succeeds: only now is the watchdog disarmed and the key released
        n1.pg().stopFails = false;
        n1.cycle();
        assertThat(n1.pg().running).isFalse();
        assertThat(n1.watchdogLog()).endsWith("V");
        assertThat(store.snapshot().leader()).isNull();
        nodes.get("n2").cycle();
        assertThat(store.snapshot().leader())
                .as("now another member may take over")
                .isIn("n2", "n3");
    }

    @Test
    void aLeaseGuardWhoseStopFailsTriesAgainAndNeverDisarmsMeanwhile() throws Exception {
        healthyCluster(DynamicConfig.DEFAULT);
        Node n1 = nodes.get("n1");
        n1.pg().stopFails = true;
        clock.advance(TTL);
        for (int i = 0; i < 3; i++) n1.agent().leaseGuard().enforce();
        assertThat(n1.pg().calls.stream().filter("stopImmediately"::equals).count())
                .isEqualTo(3);
        assertThat(n1.agent().lease().held()).isTrue();
        assertThat(n1.dog().armed()).isTrue();
        n1.pg().stopFails = false;
        n1.agent().leaseGuard().enforce();
        assertThat(n1.agent().lease().held()).isFalse();
        assertThat(n1.dog().armed()).isFalse();
    }

    @Test
    void failsafeKeepsThePrimaryOnlyWhileEveryMemberConfirmsIt() throws Exception {
        healthyCluster(new DynamicConfig(false, DynamicConfig.DEFAULT_MAXIMUM_LAG, SyncMode.OFF, false, 1, true));
        Node n1 = nodes.get("n1");
        store.reachable(false);
        peers.confirm = true;
        assertThat(n1.agent().leaseGuard().renew()).as("confirmed by n2 and n3").isTrue();
        clock.advance(TTL - 900);
        assertThat(n1.agent().leaseGuard().renew()).isTrue();
        assertThat(n1.cycle())
                .isInstanceOf(Decision.Wait.class)
                .extracting(Decision::reason)
                .asString()
                .contains("failsafe");
        assertThat(n1.pg().running).isTrue();

        peers.confirm = false; // n3 cannot be reached any more
        assertThat(n1.agent().leaseGuard().renew()).isFalse();
        clock.advance(TTL);
        n1.agent().leaseGuard().enforce();
        assertThat(n1.pg().running).as("no confirmation, no writes").isFalse();
    }

    @Test
    void failsafeWithNoOtherMemberSeenIsNeverConfirmed() throws Exception {
        store.load(new ClusterState(
                "7000",
                null,
                Map.of(),
                new DynamicConfig(false, 1 << 20, SyncMode.OFF, false, 1, true),
                null,
                Lsn.ZERO,
                List.of(),
                SyncState.EMPTY));
        Node n1 = node("n1", FakePostgres.primary());
        n1.dcs().acquireLeader("n1");
        n1.agent().lease().confirmed(clock.nanoTime(), TTL - 833);
        n1.cycle();
        store.reachable(false);
        peers.confirm = true;
        assertThat(n1.agent().leaseGuard().renew())
                .as("nobody was asked, so nobody vouched")
                .isFalse();
    }

    @Test
    void aSwitchoverScheduledForLaterDoesNotHoldUpTheFailoverWhenThePrimaryDies() throws Exception {
        healthyCluster(DynamicConfig.DEFAULT);
        nodes.get("n3").pg().position = 0x2000000; // n2 is the most advanced standby
        FailoverRequest later =
                new FailoverRequest("n1", "n3", clock.wallMillis() + 3_600_000, clock.wallMillis(), null);
        assertThat(nodes.get("n2").dcs().requestFailover(later)).isTrue();
        Node n1 = nodes.get("n1");
        n1.pg().crash();
        store.expire(n1.dcs()); // its session ends: the leader key and its member record vanish
        assertThat(store.snapshot().leader()).isNull();
        assertThat(nodes.get("n3").cycle())
                .as("n3 is too far behind to take over")
                .isInstanceOf(Decision.Wait.class);
        Decision d = nodes.get("n2").cycle();
        assertThat(d).as(d.reason()).isInstanceOf(Decision.TakeOver.class);
        assertThat(store.snapshot().leader()).isEqualTo("n2");
        assertThat(nodes.get("n2").pg().recovery).as("n2 promoted").isFalse();
        nodes.get("n2").cycle();
        assertThat(store.snapshot().failover())
                .as("the abandoned switchover is dropped by the new primary")
                .isNull();
    }

    /**
     * The lease and the synchronous record naming the new primary alone are one DCS write: no member
     * ever reads the key as the candidate's with the old primary's synchronous set beside it.
     */
    @Test
    void theCandidateTakesTheLeaseAndTheSynchronousRecordInOneWrite() throws Exception {
        healthyCluster(DynamicConfig.DEFAULT);
        assertThat(nodes.get("n1").dcs().writeSync("n1", SyncState.of("n1", 1, List.of("n2", "n3"))))
                .isTrue();
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        nodes.get("n3").dcs().onAnyChange(() -> {
            ClusterState s = store.snapshot();
            if ("n2".equals(s.leader()))
                seen.add(s.sync().leader() + " " + s.sync().quorum());
        });
        Node n1 = nodes.get("n1");
        n1.pg().crash();
        store.expire(n1.dcs());
        Decision d = nodes.get("n2").cycle();
        assertThat(d).as(d.reason()).isInstanceOf(Decision.TakeOver.class);
        assertThat(nodes.get("n2").pg().recovery).as("n2 promoted").isFalse();
        assertThat(seen)
                .as("the synchronous record beside n2's key, at every change")
                .isNotEmpty();
        assertThat(seen).as("never n1's set beside n2's key").allMatch(x -> x.equals("n2 0"));
    }

    /**
     * A candidate whose watchdog is required but cannot be armed lets the lease go without promoting,
     * and puts the last primary's synchronous record back: in synchronous mode the others can then
     * still be promoted (the record naming the candidate alone would hold everyone back for good).
     */
    @Test
    void aCandidateThatCannotArmItsWatchdogGivesEverythingBack() throws Exception {
        healthyCluster(new DynamicConfig(false, DynamicConfig.DEFAULT_MAXIMUM_LAG, SyncMode.ON, false, 1, false));
        SyncState last = SyncState.of("n1", 1, List.of("n2", "n3"));
        assertThat(nodes.get("n1").dcs().writeSync("n1", last)).isTrue();
        Node n2 = nodes.get("n2");
        java.nio.file.Files.delete(n2.watchdog()); // the device is gone
        Node n1 = nodes.get("n1");
        n1.pg().crash();
        store.expire(n1.dcs());
        n2.cycle();
        assertThat(store.snapshot().leader()).as("the lease let go").isNull();
        assertThat(store.snapshot().sync())
                .as("the last primary's record is back")
                .isEqualTo(last);
        assertThat(n2.pg().recovery).as("still a standby").isTrue();
        assertThat(n2.dog().armed()).isFalse();
        assertThat(n2.cycle())
                .as("and it says why from now on")
                .extracting(Decision::reason)
                .asString()
                .contains("watchdog");
        Decision d = nodes.get("n3").cycle();
        assertThat(d).as("another candidate takes over: " + d.reason()).isInstanceOf(Decision.TakeOver.class);
        assertThat(store.snapshot().leader()).isEqualTo("n3");
    }
}
