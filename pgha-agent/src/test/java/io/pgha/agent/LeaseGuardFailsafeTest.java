package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.Timing;
import io.pgha.core.config.WatchdogConfig;
import io.pgha.testkit.StubDcs;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Failsafe mode when the lease renewal hangs: a renewal sent just before ZooKeeper went away can
 * block in the client for longer than the lease. The members' confirmation must not wait for it.
 */
class LeaseGuardFailsafeTest {
  private static final Timing TIMING = new Timing(2500, 1000, 833).validate();

  private record Run(long stoppedAfterMs, int confirmations) {}

  private static Run hangForThreeLeases(boolean membersConfirm) throws Exception {
    StubDcs dcs = new StubDcs();
    Lease lease = new Lease(System::nanoTime);
    long validity = TIMING.leaseValidityMs(dcs.sessionTimeoutMs());
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong stopped = new AtomicLong();
    AtomicInteger asked = new AtomicInteger();
    long start = System.nanoTime();
    try (LeaseGuard guard = new LeaseGuard("a", dcs, lease, TIMING, () -> stopped.compareAndSet(0, System.nanoTime()) || true, () -> {},
        new Watchdog(WatchdogConfig.off()))) {
      guard.failsafe(() -> {
        asked.incrementAndGet();
        return membersConfirm;
      });
      lease.confirmed(System.nanoTime(), validity);
      dcs.renewal(me -> {
        dcs.connected(false); // the server went away while this renewal was on its way
        release.await();
        return false;
      });
      guard.start();
      Thread.sleep(3 * validity);
      release.countDown();
    }
    return new Run(stopped.get() == 0 ? -1 : (stopped.get() - start) / 1_000_000, asked.get());
  }

  @Test
  void membersConfirmingKeepThePrimaryWhileTheRenewalHangs() throws Exception {
    Run r = hangForThreeLeases(true);
    assertThat(r.stoppedAfterMs()).as("never stopped").isEqualTo(-1);
    assertThat(r.confirmations()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void withoutConfirmationTheLeaseRunsOutAsUsual() throws Exception {
    Run r = hangForThreeLeases(false);
    assertThat(r.stoppedAfterMs()).as("stopped when the lease ran out").isPositive();
    assertThat(r.confirmations()).isPositive();
  }
}
