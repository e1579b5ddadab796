package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.PermanentSlot;
import io.pgha.core.model.Role;
import io.pgha.core.model.SlotPositions;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import io.pgha.core.model.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Dcs} implementation must have. Each test gets a fresh cluster name;
 * {@link #connect(String)} opens an independent client (its own session).
 */
abstract class DcsContract {
    private final List<Dcs> clients = new ArrayList<>();
    private final String cluster = "c" + System.nanoTime();

    /** A new client of {@code cluster} with its own session. */
    protected abstract Dcs connect(String cluster) throws Exception;

    protected Dcs client() throws Exception {
        Dcs d = connect(cluster);
        clients.add(d);
        return d;
    }

    @AfterEach
    void closeClients() {
        clients.forEach(Dcs::close);
    }

    static Member member(String name) {
        return new Member(
                name,
                "http://x",
                "127.0.0.1",
                5432,
                Role.STANDBY,
                MemberState.RUNNING,
                1,
                Lsn.parse("0/10"),
                Lsn.parse("0/10"),
                null,
                false,
                Tags.NONE,
                "test",
                1);
    }

    @Test
    void anEmptyClusterIsUninitializedWithoutLeader() throws Exception {
        ClusterState c = client().read();
        assertThat(c.initialized()).isFalse();
        assertThat(c.leader()).isNull();
        assertThat(c.members()).isEmpty();
        assertThat(c.config()).isEqualTo(DynamicConfig.DEFAULT);
    }

    @Test
    void onlyTheLeaseHolderWritesTheSynchronousRecord() throws Exception {
        Dcs a = client();
        Dcs b = client();
        SyncState rec = SyncState.of("a", 1, List.of("b", "c"));
        assertThat(a.writeSync("a", rec)).as("no lease yet").isFalse();
        assertThat(a.read().sync()).isEqualTo(SyncState.EMPTY);
        assertThat(a.acquireLeader("a")).isTrue();
        assertThat(a.writeSync("a", rec)).isTrue();
        assertThat(b.writeSync("b", SyncState.of("b", 0, List.of())))
                .as("b does not hold the lease")
                .isFalse();
        assertThat(b.read().sync()).isEqualTo(rec);
        assertThat(a.renewLeader("a")).isTrue();
        SyncState next = SyncState.of("a", 2, List.of("b", "c"));
        assertThat(a.writeSync("a", next)).as("still valid after a renewal").isTrue();
        assertThat(b.read().sync()).isEqualTo(next);
        a.releaseLeader("a");
        assertThat(a.writeSync("a", rec)).as("released").isFalse();
        assertThat(b.read().sync()).isEqualTo(next);
    }

    @Test
    void theLeaderKeyAndTheSynchronousRecordAreTakenTogether() throws Exception {
        Dcs a = client();
        Dcs b = client();
        SyncState mine = SyncState.of("a", 0, List.of());
        assertThat(a.acquireLeader("a", mine)).as("no record yet: created").isTrue();
        assertThat(b.read().leader()).isEqualTo("a");
        assertThat(b.read().sync()).isEqualTo(mine);
        assertThat(b.acquireLeader("b", SyncState.of("b", 0, List.of())))
                .as("the key is held")
                .isFalse();
        assertThat(b.read().sync()).as("the loser wrote nothing").isEqualTo(mine);
        assertThat(a.renewLeader("a")).as("a lease like any other").isTrue();
        SyncState next = SyncState.of("a", 1, List.of("b"));
        assertThat(a.writeSync("a", next)).isTrue();
        a.releaseLeader("a");
        SyncState theirs = SyncState.of("b", 0, List.of());
        assertThat(b.acquireLeader("b", theirs)).as("over an existing record").isTrue();
        assertThat(a.read().leader()).isEqualTo("b");
        assertThat(a.read().sync()).isEqualTo(theirs);
        assertThat(b.renewLeader("b")).isTrue();
        assertThat(b.writeSync("b", SyncState.of("b", 1, List.of("a"))))
                .as("the lease holder writes on")
                .isTrue();
    }

    @Test
    void dynamicConfigKeepsTheSynchronousSettings() throws Exception {
        Dcs a = client();
        a.updateConfig(c -> c.withSynchronous(SyncMode.QUORUM, true, 2));
        DynamicConfig read = client().read().config();
        assertThat(read.synchronousMode()).isEqualTo(SyncMode.QUORUM);
        assertThat(read.synchronousModeStrict()).isTrue();
        assertThat(read.synchronousNodeCount()).isEqualTo(2);
    }

    @Test
    void onlyOneMemberClaimsTheInitializeKey() throws Exception {
        Dcs a = client();
        Dcs b = client();
        assertThat(a.claimInitialize("a")).isTrue();
        assertThat(b.claimInitialize("b")).isFalse();
        assertThat(b.read().initialize()).isEqualTo("a");
        a.completeInitialize("7312");
        assertThat(b.read().initialize()).isEqualTo("7312");
        a.abandonInitialize();
        assertThat(b.claimInitialize("b")).isTrue();
    }

    @Test
    void membersVanishWithTheirSession() throws Exception {
        Dcs a = client();
        Dcs b = client();
        a.publishMember(member("a"));
        a.publishMember(member("a"));
        assertThat(b.read().members()).containsKey("a");
        assertThat(b.read().members().get("a").walPosition()).isEqualTo(Lsn.parse("0/10"));
        a.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> !b.read().members().containsKey("a"));
    }

    @Test
    void theLeaderKeyIsExclusiveAndRenewableOnlyByItsHolder() throws Exception {
        Dcs a = client();
        Dcs b = client();
        assertThat(a.acquireLeader("a")).isTrue();
        assertThat(b.acquireLeader("b")).isFalse();
        assertThat(b.renewLeader("b")).isFalse();
        assertThat(a.renewLeader("a")).isTrue();
        assertThat(a.renewLeader("a")).isTrue();
        assertThat(b.read().leader()).isEqualTo("a");
        a.releaseLeader("a");
        assertThat(a.renewLeader("a")).isFalse();
        assertThat(b.acquireLeader("b")).isTrue();
        assertThat(a.read().leader()).isEqualTo("b");
    }

    @Test
    void theLeaderKeyVanishesWithItsHoldersSession() throws Exception {
        Dcs a = client();
        Dcs b = client();
        b.onChange(() -> {});
        assertThat(a.acquireLeader("a")).isTrue();
        long closed = System.nanoTime();
        a.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> b.acquireLeader("b"));
        assertThat(b.read().leader()).isEqualTo("b");
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(b.leaderGoneNanos())
                        .as("a watching client saw the key go with its holder's session")
                        .isGreaterThanOrEqualTo(closed));
    }

    @Test
    void aKeyRecreatedByAnotherSessionIsNotRenewedByTheOldHolder() throws Exception {
        Dcs a = client();
        Dcs b = client();
        assertThat(a.acquireLeader("a")).isTrue();
        a.releaseLeader("a");
        assertThat(b.acquireLeader("b")).isTrue();
        assertThat(a.renewLeader("a")).isFalse();
        assertThat(a.read().leader()).isEqualTo("b");
    }

    @Test
    void configChangesAreAtomicUnderContention() throws Exception {
        Dcs a = client();
        Dcs b = client();
        List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        Runnable bump = () -> {
            for (int i = 0; i < 25; i++) {
                try {
                    (i % 2 == 0 ? a : b).updateConfig(c -> new DynamicConfig(c.paused(), c.maximumLagOnFailover() + 1));
                } catch (DcsException e) {
                    failures.add(e.getMessage());
                }
            }
        };
        Thread t1 = new Thread(bump);
        Thread t2 = new Thread(bump);
        t1.start();
        t2.start();
        t1.join();
        t2.join();
        assertThat(failures).isEmpty();
        assertThat(a.read().config().maximumLagOnFailover()).isEqualTo(DynamicConfig.DEFAULT_MAXIMUM_LAG + 50);
        a.updateConfig(c -> c.withPaused(true));
        assertThat(b.read().config().paused()).isTrue();
    }

    @Test
    void oneFailoverRequestAtATime() throws Exception {
        Dcs a = client();
        FailoverRequest fr = new FailoverRequest("a", "b", 0, 1, null);
        assertThat(a.requestFailover(fr)).isTrue();
        assertThat(a.requestFailover(new FailoverRequest(null, "c", 0, 2, null)))
                .isFalse();
        a.updateFailover(f -> f.withStoppedAt(Lsn.parse("0/99")));
        assertThat(a.read().failover()).isEqualTo(fr.withStoppedAt(Lsn.parse("0/99")));
        a.clearFailover();
        assertThat(a.read().failover()).isNull();
        a.updateFailover(f -> f.withStoppedAt(Lsn.ZERO));
        assertThat(a.read().failover()).isNull();
    }

    /**
     * A switchover's hand-over: the stop position recorded and the key released, and a member that
     * watches never sees the key gone without the position (the target promotes only after replaying
     * up to it). Also after renewals (the key's version moved), with no request pending (the key is
     * released anyway), and never on a key another member holds.
     */
    @Test
    void aHandOverRecordsTheStopPositionAndReleasesTheKeyTogether() throws Exception {
        Dcs a = client();
        Dcs b = client();
        Lsn stop = Lsn.parse("0/3000028");
        assertThat(a.acquireLeader("a")).isTrue();
        for (int i = 0; i < 3; i++) assertThat(a.renewLeader("a")).isTrue();
        assertThat(a.requestFailover(new FailoverRequest("a", "b", 0, 1, null))).isTrue();
        List<String> torn = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicInteger looks = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watcher = new Thread(() -> {
            while (!done.get()) {
                try {
                    ClusterState c = b.read();
                    looks.incrementAndGet();
                    if (c.leader() == null
                            && (c.failover() == null || c.failover().stoppedAt() == null))
                        torn.add("no leader, failover " + c.failover());
                    if (c.leader() == null) return;
                } catch (Exception e) {
                    torn.add(e.toString());
                    return;
                }
            }
        });
        watcher.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> looks.get() > 0);
        a.handOver("a", fr -> fr.withStoppedAt(stop));
        watcher.join(10_000);
        done.set(true);
        assertThat(torn).isEmpty();
        ClusterState c = b.read();
        assertThat(c.leader()).isNull();
        assertThat(c.failover().stoppedAt()).isEqualTo(stop);
        assertThat(a.renewLeader("a")).as("released").isFalse();
        assertThat(b.acquireLeader("b")).isTrue();

        // a's hand-over again, now that b holds the key: the request may change, b's key stays
        a.handOver("a", fr -> fr.withStoppedAt(Lsn.parse("0/4000000")));
        assertThat(a.read().leader()).isEqualTo("b");
        assertThat(b.renewLeader("b")).isTrue();
        b.releaseLeader("b");

        // no request pending: the key is released all the same
        a.clearFailover();
        assertThat(a.acquireLeader("a")).isTrue();
        a.handOver("a", fr -> fr.withStoppedAt(stop));
        assertThat(b.read().leader()).isNull();
        assertThat(b.read().failover()).isNull();
        assertThat(a.renewLeader("a")).isFalse();
    }

    @Test
    void historyKeepsOneEntryPerTimeline() throws Exception {
        Dcs a = client();
        a.appendHistory(new HistoryEntry(1, Lsn.parse("0/100"), "failover", 10, "b"));
        a.appendHistory(new HistoryEntry(1, Lsn.parse("0/200"), "again", 20, "c"));
        a.appendHistory(new HistoryEntry(2, Lsn.parse("0/300"), "switchover", 30, "a"));
        ClusterState c = a.read();
        assertThat(c.history()).extracting(HistoryEntry::timeline).containsExactly(1, 2);
        assertThat(c.switchpointOf(1)).contains(Lsn.parse("0/100"));
    }

    @Test
    void optimeIsPublished() throws Exception {
        Dcs a = client();
        a.publishLeaderOptime(Lsn.parse("5/ABCDEF00"));
        assertThat(a.read().leaderOptime()).isEqualTo(Lsn.parse("5/ABCDEF00"));
    }

    @Test
    void onlyTheLeaseHolderPublishesSlotPositions() throws Exception {
        Dcs a = client();
        Dcs b = client();
        Map<String, Lsn> positions = Map.of("cdc", Lsn.parse("0/3000060"), "archiver", Lsn.ZERO);
        assertThat(a.publishSlots("a", positions)).as("no lease yet").isFalse();
        assertThat(b.read().slots()).isEqualTo(SlotPositions.EMPTY);
        assertThat(a.acquireLeader("a")).isTrue();
        assertThat(a.publishSlots("a", positions)).isTrue();
        assertThat(b.publishSlots("b", Map.of()))
                .as("b does not hold the lease")
                .isFalse();
        assertThat(b.read().slots()).isEqualTo(new SlotPositions("a", positions));
        assertThat(b.read().slots().writtenBy("a")).isTrue();
        a.releaseLeader("a");
        assertThat(b.acquireLeader("b")).isTrue();
        assertThat(b.publishSlots("b", Map.of())).isTrue();
        assertThat(a.read().slots()).isEqualTo(new SlotPositions("b", Map.of()));
    }

    @Test
    void dynamicConfigKeepsTheSlotSettings() throws Exception {
        Dcs a = client();
        Map<String, PermanentSlot> slots =
                Map.of("cdc", PermanentSlot.logical("app", "pgoutput"), "archiver", PermanentSlot.PHYSICAL);
        a.updateConfig(c -> c.withSlots(90_000, slots));
        DynamicConfig read = client().read().config();
        assertThat(read.memberSlotsTtlMs()).isEqualTo(90_000);
        assertThat(read.slots()).isEqualTo(slots);
    }

    @Test
    void changesAreSignalled() throws Exception {
        Dcs a = client();
        Dcs b = client();
        AtomicInteger events = new AtomicInteger();
        b.onChange(events::incrementAndGet);
        int before = events.get();
        a.publishMember(member("a"));
        await().atMost(Duration.ofSeconds(10)).until(() -> events.get() > before);
    }

    /** How often a client woke agents ({@link Dcs#onChange}) and observers ({@link Dcs#onAnyChange}). */
    record Signals(AtomicInteger wakes, AtomicInteger events) {}

    static Signals signals(Dcs d) {
        Signals s = new Signals(new AtomicInteger(), new AtomicInteger());
        d.onChange(s.wakes()::incrementAndGet);
        d.onAnyChange(s.events()::incrementAndGet);
        return s;
    }

    /**
     * A change seen by observers only (a router's publication), awaited until it arrived: changes are
     * signalled in order, so every change made before it has been signalled too.
     */
    static void seenAfterAllBefore(Dcs router, AtomicInteger observerEvents) throws Exception {
        int before = observerEvents.get();
        router.publishRouter(new io.pgha.core.model.RouterStatus("r1", "h:6432", null, java.util.Map.of(), 0, 0, 0));
        await().atMost(Duration.ofSeconds(10)).until(() -> observerEvents.get() > before);
    }

    /**
     * A lease renewal (with ZooKeeper a write to the leader key several times a second) wakes no
     * agent and no observer: each would run a cycle for nothing (a DCS read, PostgreSQL's queries),
     * a router would read the cluster. A new leader, or none, wakes them at once.
     */
    @Test
    void leaseRenewalsDoNotWakeAgentsButTheLeaderGoingDoes() throws Exception {
        Dcs leader = client();
        Dcs router = client();
        Dcs watching = client();
        Signals agent = signals(watching);
        AtomicInteger agentWakes = agent.wakes();
        AtomicInteger observerEvents = agent.events();
        assertThat(leader.acquireLeader("a")).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> agentWakes.get() > 0);
        seenAfterAllBefore(router, observerEvents);
        int wakes = agentWakes.get();
        for (int i = 0; i < 5; i++) assertThat(leader.renewLeader("a")).isTrue();
        int events = observerEvents.get();
        seenAfterAllBefore(router, observerEvents);
        assertThat(agentWakes.get()).as("renewals do not wake agents").isEqualTo(wakes);
        assertThat(observerEvents.get() - events)
                .as("nor observers (a router would read the cluster at each): the router's publication is all"
                        + " they saw; the 5 renewals would add 5")
                .isLessThanOrEqualTo(2);
        assertThat(watching.leaderGoneNanos()).as("the key has not gone yet").isZero();
        long released = System.nanoTime();
        leader.releaseLeader("a");
        await().atMost(Duration.ofSeconds(10)).until(() -> agentWakes.get() > wakes);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(watching.leaderGoneNanos())
                        .as("when the key went, for the promotion's log line")
                        .isGreaterThanOrEqualTo(released));
    }

    @Test
    void routersArePublishedAndVanishWithTheirSessionWithoutWakingAgents() throws Exception {
        Dcs router = client();
        Dcs agent = client();
        Signals counted = signals(agent);
        AtomicInteger agentWakes = counted.wakes();
        AtomicInteger observerEvents = counted.events();
        agent.publishMember(member("a"));
        await().atMost(Duration.ofSeconds(10)).until(() -> agentWakes.get() > 0);
        Thread.sleep(300);
        int wakes = agentWakes.get();
        int events = observerEvents.get();
        router.publishRouter(
                new io.pgha.core.model.RouterStatus("r1", "h:6432", null, java.util.Map.of("a", 2), 1, 5, 1));
        router.publishRouter(
                new io.pgha.core.model.RouterStatus("r1", "h:6432", "h:6433", java.util.Map.of("a", 3), 0, 6, 2));
        assertThat(agent.routers()).singleElement().satisfies(r -> {
            assertThat(r.readOnly()).isEqualTo("h:6433");
            assertThat(r.sessions()).containsEntry("a", 3);
            assertThat(r.routed()).isEqualTo(6);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> observerEvents.get() > events);
        // a member republishing its state is seen by observers such as routers, not by agents
        agent.publishMember(member("a").withUpdatedAt(42));
        await().atMost(Duration.ofSeconds(10)).until(() -> observerEvents.get() > events + 2);
        assertThat(agentWakes.get())
                .as("router publications and member refreshes do not wake agents")
                .isEqualTo(wakes);
        // a member whose state changes does: a standby waiting for a running primary acts at once
        agent.publishMember(member("a").withState(io.pgha.core.model.MemberState.STARTING));
        await().atMost(Duration.ofSeconds(10)).until(() -> agentWakes.get() > wakes);
        router.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> agent.routers().isEmpty());
    }
}
