package io.pgha.core.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.decide.Decision.TakeOver;
import io.pgha.core.decide.Decision.Wait;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import io.pgha.core.model.Tags;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the DCS client reports for a {@code sync} entry that does not parse ({@link
 * SyncState#UNREADABLE}) keeps invariant 2: no standby is promoted on it, and the primary replaces it
 * with a record of its own through the ordinary, always safe takeover step.
 */
class UnreadableSyncRecordTest {

    private static Obs mostAdvancedStandbyWithoutLeader() {
        return Obs.of()
                .syncMode(SyncMode.ON)
                .runningStandby(1, 200, "n2", false)
                .standbyMember("n3", 1, 100, Tags.NONE)
                .peer("n3", 100);
    }

    @Test
    void noStandbyIsPromotedOnAnUnreadableRecord() {
        assertThat(Decider.decide(
                        mostAdvancedStandbyWithoutLeader().sync("n2", 1, "n1").build()))
                .as("the same member with a readable record naming it")
                .isInstanceOf(TakeOver.class);
        Decision d = Decider.decide(mostAdvancedStandbyWithoutLeader()
                .sync(SyncState.UNREADABLE.leader(), 0)
                .build());
        assertThat(d).isInstanceOf(Wait.class);
        assertThat(d.reason()).contains("not recorded as synchronous").contains("does not parse");
    }

    @Test
    void theUnreadableRecordNamesNoMember() {
        assertThat(SyncState.UNREADABLE.quorum()).isZero();
        assertThat(SyncState.UNREADABLE.members()).isEmpty();
        assertThat(SyncState.UNREADABLE.leader())
                .as("no member name can look like this")
                .doesNotMatch("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    }

    @Test
    void thePrimaryReplacesItWithARecordThatPromisesNothing() {
        DynamicConfig cfg = DynamicConfig.DEFAULT.withSynchronous(SyncMode.ON, true, 1);
        var members = SyncPlannerTest.members("a");
        var t = SyncPlanner.target("p", cfg, members, SyncPlannerTest.streaming("a"), SyncState.UNREADABLE);
        SyncPlanner.Step step = SyncPlanner.next(
                "p", SyncMode.ON, t, SyncState.UNREADABLE, "FIRST 1 (\"a\")", Map.of("a", new Lsn(100)), new Lsn(50));
        assertThat(step)
                .isEqualTo(new SyncPlanner.WriteDcs(
                        new SyncState("p", 0, List.of()), "taking over the synchronous record from (unreadable)"));
        assertThat(t.pg().members())
                .as("PostgreSQL keeps counting the streaming standby: synchronous replication is not dropped")
                .containsExactly("a");
    }
}
