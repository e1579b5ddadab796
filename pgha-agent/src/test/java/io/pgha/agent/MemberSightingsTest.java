package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.decide.SlotPlanner;
import io.pgha.core.decide.SlotPlanner.Drop;
import io.pgha.core.decide.SlotPlanner.Slot;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.SlotPositions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A primary's memory of its members, driven by a stepped clock, through the slot planner's verdict. */
class MemberSightingsTest {
    static final long SECOND = 1_000_000_000L;
    final AtomicLong clock = new AtomicLong(1_000 * SECOND);
    final MemberSightings sightings = new MemberSightings(clock::get);
    final DynamicConfig ttl60s = DynamicConfig.DEFAULT.withSlots(60_000, Map.of());
    final List<Slot> slotOfB = List.of(Slot.physical("pgha_b", false, Lsn.ZERO));

    /** One primary cycle seeing {@code members}: whether it would drop b's slot. */
    boolean cycleDropsB(List<String> members) {
        long now = sightings.saw(members);
        var plan = SlotPlanner.primary(
                "p",
                slotOfB,
                members,
                sightings.lastSeen(),
                sightings.leadingSinceNanos(),
                now,
                ttl60s,
                SlotPositions.EMPTY);
        return plan.steps().stream()
                .anyMatch(s -> s instanceof Drop d && d.slot().equals("pgha_b"));
    }

    void step(long seconds) {
        clock.addAndGet(seconds * SECOND);
    }

    @Test
    void aBrieflyAbsentMemberKeepsItsSlotAndALongAbsentOneLosesIt() {
        assertThat(cycleDropsB(List.of("p", "b"))).isFalse();
        step(30);
        assertThat(cycleDropsB(List.of("p"))).as("b's agent has been away 30 s").isFalse();
        step(20);
        assertThat(cycleDropsB(List.of("p", "b"))).as("back after 50 s").isFalse();
        step(59);
        assertThat(cycleDropsB(List.of("p")))
                .as("away again, 59 s since last seen")
                .isFalse();
        step(1);
        assertThat(cycleDropsB(List.of("p"))).as("60 s since last seen").isTrue();
    }

    @Test
    void aNewLeaderCountsAbsenceFromWhenItBeganLeading() {
        assertThat(cycleDropsB(List.of("p", "b"))).isFalse();
        step(120);
        sightings.notLeading();
        step(600);
        assertThat(cycleDropsB(List.of("p")))
                .as("leading again: nothing seen before counts")
                .isFalse();
        step(59);
        assertThat(cycleDropsB(List.of("p"))).isFalse();
        step(1);
        assertThat(cycleDropsB(List.of("p"))).isTrue();
    }

    @Test
    void membersNeverSeenCountFromTheFirstCycle() {
        assertThat(cycleDropsB(List.of("p"))).isFalse();
        step(60);
        assertThat(cycleDropsB(List.of("p"))).isTrue();
    }
}
