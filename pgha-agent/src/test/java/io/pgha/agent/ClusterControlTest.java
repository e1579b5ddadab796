package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import io.pgha.testkit.InMemoryDcs;
import org.junit.jupiter.api.Test;

/** Cancelling a scheduled switchover: only one that is scheduled and has not begun. */
class ClusterControlTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long HOUR = 3_600_000L;

    private static InMemoryDcs dcs(FailoverRequest pending) {
        return new InMemoryDcs.Store()
                .load(FakeView.of().primary().lease().failover(pending).cluster())
                .connect();
    }

    private static FailoverRequest pending(InMemoryDcs dcs) {
        return dcs.store().snapshot().failover();
    }

    private static ClusterControl control(InMemoryDcs dcs) {
        return new ClusterControl(dcs, () -> NOW);
    }

    @Test
    void cancelsAScheduledSwitchoverBeforeItsTime() throws Exception {
        FailoverRequest scheduled = new FailoverRequest("n1", "n0", NOW + HOUR, NOW - 1000, null);
        InMemoryDcs dcs = dcs(scheduled);
        assertThat(control(dcs).cancelSwitchover()).contains(scheduled);
        assertThat(pending(dcs)).isNull();
    }

    @Test
    void nothingPendingIsEmptyAndChangesNothing() throws Exception {
        InMemoryDcs dcs = dcs(null);
        assertThat(control(dcs).cancelSwitchover()).isEmpty();
        assertThat(pending(dcs)).isNull();
    }

    @Test
    void refusesImmediateRequestsAndSwitchoversThatHaveBegun() {
        assertRefused(new FailoverRequest("n1", "n0", 0, NOW, null), "an immediate switchover to n0 is pending");
        assertRefused(new FailoverRequest(null, "n0", 0, NOW, null), "a failover to n0 is pending");
        assertRefused(new FailoverRequest("n1", "n0", NOW - 1, NOW - HOUR, null), "has begun");
        assertRefused(new FailoverRequest("n1", "n0", NOW + HOUR, NOW - HOUR, null, true), "has begun");
        assertRefused(new FailoverRequest("n1", "n0", NOW + HOUR, NOW - HOUR, new Lsn(42)), "has begun");
    }

    private static void assertRefused(FailoverRequest pending, String why) {
        InMemoryDcs dcs = dcs(pending);
        assertThatThrownBy(() -> control(dcs).cancelSwitchover())
                .isInstanceOf(ControlException.class)
                .hasMessageContaining(why);
        assertThat(pending(dcs)).as("left pending").isEqualTo(pending);
    }

    @Test
    void anUnreachableDcsIsADcsException() {
        InMemoryDcs dcs = dcs(new FailoverRequest("n1", "n0", NOW + HOUR, NOW, null));
        dcs.store().reachable(false);
        assertThatThrownBy(() -> control(dcs).cancelSwitchover()).isInstanceOf(io.pgha.dcs.DcsException.class);
    }

    // ------------------------------------------------------------------ manual failover (no second primary)

    private static io.pgha.core.model.Member member(
            String name, io.pgha.core.model.Role role, io.pgha.core.model.MemberState state) {
        return new io.pgha.core.model.Member(
                name,
                "http://" + name,
                "10.0.0." + name.charAt(1),
                5432,
                role,
                state,
                2,
                new Lsn(100),
                new Lsn(100),
                null,
                false,
                io.pgha.core.model.Tags.NONE,
                "test",
                1L);
    }

    /** No leader; n2 is a running standby; the last primary n1 (by the sync record) as given, or absent. */
    private static InMemoryDcs afterPrimaryLoss(io.pgha.core.model.Member lastPrimary) {
        java.util.Map<String, io.pgha.core.model.Member> members = new java.util.HashMap<>();
        members.put("n2", member("n2", io.pgha.core.model.Role.STANDBY, io.pgha.core.model.MemberState.RUNNING));
        if (lastPrimary != null) members.put(lastPrimary.name(), lastPrimary);
        return new InMemoryDcs.Store()
                .load(new io.pgha.core.model.ClusterState(
                        "7000",
                        null,
                        members,
                        io.pgha.core.model.DynamicConfig.DEFAULT,
                        null,
                        new Lsn(100),
                        java.util.List.of(),
                        new io.pgha.core.model.SyncState("n1", 0, java.util.List.of())))
                .connect();
    }

    @Test
    void aManualFailoverIsRefusedWhileTheLastPrimaryMayStillTakeWrites() throws Exception {
        InMemoryDcs gone = afterPrimaryLoss(null);
        assertThatThrownBy(() -> control(gone).failover("n2"))
                .isInstanceOf(ControlException.class)
                .hasMessageContaining("the last primary n1 has no agent reporting")
                .hasMessageContaining("two primaries")
                .hasMessageContaining("--assume-primary-down");
        assertThat(pending(gone)).as("nothing requested").isNull();

        InMemoryDcs starting = afterPrimaryLoss(
                member("n1", io.pgha.core.model.Role.UNKNOWN, io.pgha.core.model.MemberState.STARTING));
        assertThatThrownBy(() -> control(starting).failover("n2")).hasMessageContaining("n1 reports PostgreSQL");

        InMemoryDcs writable =
                afterPrimaryLoss(member("n1", io.pgha.core.model.Role.PRIMARY, io.pgha.core.model.MemberState.RUNNING));
        assertThatThrownBy(() -> control(writable).failover("n2", true))
                .as("not even with the override")
                .hasMessageContaining("n1 reports a running primary");
        assertThat(pending(writable)).isNull();
    }

    @Test
    void aManualFailoverGoesAheadWhenTheLastPrimaryIsReportedStoppedOrTheOperatorSaysSo() throws Exception {
        InMemoryDcs stopped =
                afterPrimaryLoss(member("n1", io.pgha.core.model.Role.UNKNOWN, io.pgha.core.model.MemberState.STOPPED));
        assertThat(control(stopped).failover("n2").candidate()).isEqualTo("n2");
        InMemoryDcs gone = afterPrimaryLoss(null);
        assertThat(control(gone).failover("n2", true).candidate()).isEqualTo("n2");
        assertThat(pending(gone).candidate()).isEqualTo("n2");
    }

    @Test
    void aSwitchoverWhosePrimaryIsGoneCanBeCancelledAtAnyTime() throws Exception {
        InMemoryDcs dcs = afterPrimaryLoss(null);
        FailoverRequest abandoned = new FailoverRequest("n1", "n2", NOW - 1, NOW - HOUR, null);
        dcs.requestFailover(abandoned);
        assertThat(control(dcs).cancelSwitchover()).contains(abandoned);
        assertThat(pending(dcs)).isNull();
    }
}
