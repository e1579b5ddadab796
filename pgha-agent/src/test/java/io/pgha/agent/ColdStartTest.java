package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.decide.LocalState;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.ControlState;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When an agent counts as being in a cold start of the whole cluster. */
class ColdStartTest {
    private static final Lsn POS = Lsn.parse("0/3000000");

    private static LocalState standby(boolean streaming) {
        return new LocalState(
                true, true, true, true, 1, POS, POS, null, streaming, ControlState.IN_ARCHIVE_RECOVERY, Lsn.ZERO, true);
    }

    private static LocalState stoppedPrimary() {
        return new LocalState(
                true, false, false, false, 1, POS, POS, null, false, ControlState.IN_PRODUCTION, POS, false);
    }

    private static ClusterState leaderPublishedAt(long at) {
        Member n1 = new Member(
                "n1",
                "http://n1",
                "127.0.0.1",
                5432,
                Role.PRIMARY,
                MemberState.RUNNING,
                1,
                POS,
                POS,
                null,
                false,
                Tags.NONE,
                "",
                at);
        return new ClusterState("7", "n1", Map.of("n1", n1), null, null, POS, List.of(), null);
    }

    @Test
    void aStandbyThatSawNoPrimaryIsInAColdStartUntilItStreams() {
        ColdStart c = new ColdStart();
        assertThat(c.observe(ClusterState.empty(), standby(false), false, true)).isTrue();
        assertThat(c.observe(ClusterState.empty(), standby(false), false, true)).isTrue();
        assertThat(c.observe(ClusterState.empty(), standby(true), false, true)).isFalse();
        assertThat(c.observe(ClusterState.empty(), standby(false), false, true))
                .as("a primary seen once stays seen")
                .isFalse();
    }

    @Test
    void aLeaderRecordRestoredFromBeforeThePowerLossIsNoLivePrimary() {
        ColdStart c = new ColdStart();
        assertThat(c.observe(leaderPublishedAt(100), standby(false), false, true))
                .isTrue();
        assertThat(c.observe(leaderPublishedAt(100), standby(false), false, true))
                .as("the same record again: nobody republished it")
                .isTrue();
        assertThat(c.observe(leaderPublishedAt(200), standby(false), false, true))
                .as("republished while this agent watched: that primary lives")
                .isFalse();
    }

    @Test
    void theFormerPrimaryIsNoColdStartCandidateToHoldBack() {
        ColdStart c = new ColdStart();
        assertThat(c.observe(ClusterState.empty(), stoppedPrimary(), false, true))
                .isFalse();
        assertThat(c.observe(ClusterState.empty(), standby(false), false, true))
                .as("started read-only for the leader race, it is still the former primary")
                .isFalse();
    }

    @Test
    void holdingTheLeaseIsSeeingAPrimary() {
        ColdStart c = new ColdStart();
        assertThat(c.observe(ClusterState.empty(), standby(false), true, true)).isFalse();
    }

    @Test
    void withoutDataThereIsNothingToDecideYet() {
        ColdStart c = new ColdStart();
        assertThat(c.observe(ClusterState.empty(), LocalState.noData(), false, true))
                .isFalse();
        assertThat(c.observe(ClusterState.empty(), standby(false), false, true)).isTrue();
    }
}
