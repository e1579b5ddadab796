package io.pgha.core.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.ControlState;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Invariant checks over many generated observations: whatever the situation, the decider never
 * lets a member write without the lease, and never promotes without taking the leader key.
 */
class DeciderSafetyTest {
    private static final Random RANDOM = new Random(42);

    @Test
    void aPrimaryWithoutConfirmedLeaseNeverKeepsWriting() {
        for (Observation o : generated(20_000)) {
            if (!o.local().runningPrimary() || o.leaseHeld()) continue;
            Decision d = Decider.decide(o);
            boolean ownStaleKeyWhilePaused =
                    o.cluster().config().paused() && o.me().equals(o.cluster().leader());
            boolean allowed = d instanceof Decision.Demote
                    || d instanceof Decision.ReacquireLease
                    || (d instanceof Decision.Wait && (o.runningAction() != null || ownStaleKeyWhilePaused));
            assertThat(allowed).as("%s -> %s", o, d).isTrue();
            if (d instanceof Decision.ReacquireLease) {
                assertThat(o.cluster().leader())
                        .as("reacquire only a vacant key: %s", o)
                        .isNull();
            }
        }
    }

    @Test
    void onlyTheLeaseHolderPromotesAndTakeOverNeedsAVacantKey() {
        for (Observation o : generated(20_000)) {
            Decision d = Decider.decide(o);
            if (d instanceof Decision.Promote
                    || d instanceof Decision.KeepLeading
                    || d instanceof Decision.RestartPrimary) {
                assertThat(o.leaseHeld()).as("%s -> %s", o, d).isTrue();
            }
            if (d instanceof Decision.TakeOver) {
                assertThat(o.cluster().leader()).as("%s", o).isNull();
                if (o.cluster().config().paused()) {
                    assertThat(o.cluster().failover().candidate())
                            .as("paused: only a requested candidate: %s", o)
                            .isEqualTo(o.me());
                }
                assertThat(o.dcsReachable()).isTrue();
            }
        }
    }

    @Test
    void nothingAutomaticHappensWhilePaused() {
        for (Observation o : generated(20_000)) {
            if (!o.cluster().config().paused() || !o.dcsReachable() || o.runningAction() != null) continue;
            Decision d = Decider.decide(o);
            var fr = o.cluster().failover();
            boolean requestedForMe = fr != null && o.me().equals(fr.candidate());
            if (d instanceof Decision.TakeOver || d instanceof Decision.Promote) {
                assertThat(requestedForMe || o.leaseHeld())
                        .as("only a requested failover acts while paused: %s", o)
                        .isTrue();
                continue;
            }
            assertThat(d)
                    .as("%s", o)
                    .isInstanceOfAny(
                            Decision.Wait.class,
                            Decision.KeepLeading.class,
                            Decision.ReacquireLease.class,
                            Decision.Demote.class);
        }
    }

    /**
     * Invariant 2: in synchronous mode an automatic (or manual) failover promotes only the last
     * primary or a recorded synchronous standby that compared itself with enough recorded standbys
     * to overlap every commit quorum, and none of those it compared with is more advanced.
     */
    @Test
    void synchronousModeOnlyPromotesAMemberHoldingEveryAcknowledgedCommit() {
        int checked = 0;
        for (Observation o : generated(40_000)) {
            var c = o.cluster();
            if (!c.config().synchronous()) continue;
            Decision d = Decider.decide(o);
            if (!(d instanceof Decision.TakeOver)) continue;
            var fr = c.failover();
            if (fr != null && fr.isSwitchover() && fr.stoppedAt() != null && o.me().equals(fr.candidate())) continue;
            checked++;
            var sync = c.sync();
            if (o.me().equals(sync.leader())) continue;
            assertThat(sync.quorum()).as("%s -> %s", o, d).isPositive();
            assertThat(sync.members()).as("%s -> %s", o, d).contains(o.me());
            long answered = sync.members().stream()
                    .filter(m -> m.equals(o.me()) || o.peerPositions().containsKey(m))
                    .count();
            assertThat(answered).as("%s -> %s", o, d).isGreaterThanOrEqualTo(sync.neededForFailover());
            if (sync.quorum() == sync.members().size()) continue; // every recorded standby confirmed every commit
            for (var peer : o.peerPositions().entrySet()) {
                if (!sync.members().contains(peer.getKey())) continue;
                var m = c.member(peer.getKey());
                if (m.isEmpty() || m.get().timeline() != o.local().timeline()) continue;
                assertThat(peer.getValue().compareTo(o.local().walPosition()))
                        .as("a more advanced synchronous peer: %s -> %s", o, d)
                        .isLessThanOrEqualTo(0);
            }
        }
        assertThat(checked).as("generated enough synchronous take-overs").isGreaterThan(50);
    }

    private static List<Observation> generated(int n) {
        List<Observation> out = new ArrayList<>();
        String[] names = {"n1", "n2", "n3", null};
        for (int i = 0; i < n; i++) {
            String leader = names[RANDOM.nextInt(names.length)];
            Obs b = Obs.of().leader(leader);
            if (RANDOM.nextInt(10) == 0) b.uninitialized();
            if (RANDOM.nextInt(8) == 0) b.paused();
            if (RANDOM.nextInt(8) == 0) b.unreachable();
            if (RANDOM.nextInt(10) == 0) b.action(LongAction.CLONE);
            if (leader != null && RANDOM.nextBoolean())
                b.primaryMember(leader, 1 + RANDOM.nextInt(3), RANDOM.nextInt(1000));
            if (RANDOM.nextBoolean())
                b.standbyMember("n3", 1 + RANDOM.nextInt(3), RANDOM.nextInt(1000), Tags.NONE)
                        .peer("n3", RANDOM.nextInt(1000));
            if (RANDOM.nextInt(4) == 0) b.history(1, RANDOM.nextInt(1000));
            if (RANDOM.nextBoolean()) {
                b.syncMode(RANDOM.nextBoolean() ? SyncMode.ON : SyncMode.QUORUM);
                List<String> set = new ArrayList<>();
                for (String m : new String[] {"n1", "n2", "n3"}) if (RANDOM.nextBoolean()) set.add(m);
                b.sync(
                        names[RANDOM.nextInt(4)],
                        set.isEmpty() ? 0 : RANDOM.nextInt(set.size() + 1),
                        set.toArray(String[]::new));
                if (RANDOM.nextBoolean())
                    b.standbyMember("n2", 1 + RANDOM.nextInt(3), RANDOM.nextInt(1000), Tags.NONE)
                            .peer("n2", RANDOM.nextInt(1000));
            }
            if (RANDOM.nextInt(6) == 0)
                b.failover(new FailoverRequest(
                        RANDOM.nextBoolean() ? "n1" : null, names[RANDOM.nextInt(3)], 0, Obs.NOW, null));
            if ("n1".equals(leader) && RANDOM.nextBoolean()) b.leaseHeld();
            if (RANDOM.nextInt(5) == 0) b.downFor(RANDOM.nextInt(60_000));
            int tl = 1 + RANDOM.nextInt(3);
            long pos = RANDOM.nextInt(1000);
            switch (RANDOM.nextInt(6)) {
                case 0 -> b.noData();
                case 1 -> b.runningPrimary(tl, pos);
                case 2 -> b.runningStandby(tl, pos, names[RANDOM.nextInt(4)], RANDOM.nextBoolean());
                case 3 ->
                    b.stoppedPrimary(
                            RANDOM.nextBoolean() ? ControlState.SHUT_DOWN : ControlState.IN_PRODUCTION, tl, pos);
                case 4 -> b.stoppedStandby(tl, pos);
                default -> b.postmasterStarting(RANDOM.nextBoolean());
            }
            out.add(b.build());
        }
        return out;
    }
}
