package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import org.junit.jupiter.api.Test;

/** Cancelling a scheduled switchover: only one that is scheduled and has not begun. */
class ClusterControlTest {
  private static final long NOW = 1_800_000_000_000L;
  private static final long HOUR = 3_600_000L;

  private static FailoverDcs dcs(FailoverRequest pending) {
    return new FailoverDcs(FakeView.of().primary().lease().failover(pending).cluster());
  }

  private static ClusterControl control(FailoverDcs dcs) {
    return new ClusterControl(dcs, () -> NOW);
  }

  @Test
  void cancelsAScheduledSwitchoverBeforeItsTime() throws Exception {
    FailoverRequest scheduled = new FailoverRequest("n1", "n0", NOW + HOUR, NOW - 1000, null);
    FailoverDcs dcs = dcs(scheduled);
    assertThat(control(dcs).cancelSwitchover()).contains(scheduled);
    assertThat(dcs.failover()).isNull();
  }

  @Test
  void nothingPendingIsEmptyAndChangesNothing() throws Exception {
    FailoverDcs dcs = dcs(null);
    assertThat(control(dcs).cancelSwitchover()).isEmpty();
    assertThat(dcs.failover()).isNull();
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
    FailoverDcs dcs = dcs(pending);
    assertThatThrownBy(() -> control(dcs).cancelSwitchover()).isInstanceOf(ControlException.class).hasMessageContaining(why);
    assertThat(dcs.failover()).as("left pending").isEqualTo(pending);
  }

  @Test
  void anUnreachableDcsIsADcsException() {
    FailoverDcs dcs = dcs(new FailoverRequest("n1", "n0", NOW + HOUR, NOW, null));
    dcs.reachable = false;
    assertThatThrownBy(() -> control(dcs).cancelSwitchover()).isInstanceOf(io.pgha.dcs.DcsException.class);
  }
}
