package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.Timing;
import io.pgha.core.config.WatchdogConfig;
import io.pgha.testkit.ManualClock;
import io.pgha.testkit.StubDcs;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The lease guard wakes at the instant the lease runs out instead of polling: these tests run its
 * real threads on the real monotonic clock, with renewals that never succeed, and check
 * that PostgreSQL is stopped once the lease has run out, never before, and that a renewal planned
 * meanwhile moves the stop.
 */
class LeaseGuardTimerTest {
    private static final Timing TIMING = new Timing(2500, 1000, 833).validate();

    /** A guard whose stop records when it ran (System.nanoTime) and answers {@code stops}. */
    private static LeaseGuard guard(Lease lease, AtomicLong stoppedAt, AtomicInteger attempts, boolean stops) {
        return guard(lease, stoppedAt, attempts, stops, new StubDcs());
    }

    private static LeaseGuard guard(
            Lease lease, AtomicLong stoppedAt, AtomicInteger attempts, boolean stops, StubDcs dcs) {
        return new LeaseGuard(
                "a",
                dcs,
                lease,
                TIMING,
                () -> {
                    attempts.incrementAndGet();
                    stoppedAt.compareAndSet(0, System.nanoTime());
                    return stops;
                },
                () -> {},
                new Watchdog(WatchdogConfig.off()));
    }

    @Test
    void theStopComesOnceTheLeaseRanOutAndARenewalMovesIt() throws Exception {
        Lease lease = new Lease(System::nanoTime);
        AtomicLong stoppedAt = new AtomicLong();
        AtomicInteger attempts = new AtomicInteger();
        // Every renewal fails without an answer: on a loaded machine the renewer's first run can come
        // after the lease below is taken, and a renewal the DCS confirmed would extend the lease past
        // the wait (a CI run failed so). A failed renewal neither extends nor stops.
        StubDcs dcs = new StubDcs();
        dcs.renewal(me -> {
            throw new io.pgha.dcs.DcsException("unreachable");
        });
        try (LeaseGuard g = guard(lease, stoppedAt, attempts, true, dcs)) {
            g.start();
            long t0 = System.nanoTime();
            lease.confirmed(t0, 400);
            Thread.sleep(200);
            long t1 = System.nanoTime();
            lease.confirmed(t1, 400); // a renewal: valid until t1 + 400 ms
            await().atMost(Duration.ofSeconds(10)).until(() -> stoppedAt.get() != 0);
            assertThat(stoppedAt.get() - (t1 + 400_000_000L))
                    .as("stopped before the renewed lease ran out")
                    .isGreaterThanOrEqualTo(0);
            assertThat(lease.held()).isFalse();
            assertThat(attempts.get()).isEqualTo(1);
        }
    }

    @Test
    void aStopThatIsNotConfirmedIsTriedAgain() throws Exception {
        Lease lease = new Lease(System::nanoTime);
        AtomicLong stoppedAt = new AtomicLong();
        AtomicInteger attempts = new AtomicInteger();
        // The DCS confirms no renewal: the lease is lost. (A renewal the DCS confirms extends a lease
        // whose stop is pending, and the guard then rightly stops trying; the renewer's first run,
        // at start, could come after the lease below and do that on a slow machine.)
        StubDcs dcs = new StubDcs();
        dcs.renewal(me -> false);
        try (LeaseGuard g = guard(lease, stoppedAt, attempts, false, dcs)) {
            g.start();
            lease.confirmed(System.nanoTime(), 100);
            await().atMost(Duration.ofSeconds(10)).until(() -> attempts.get() >= 3);
            assertThat(lease.held())
                    .as("a lost lease stays held until its PostgreSQL is stopped")
                    .isTrue();
        }
    }

    @Test
    void anAgentWithoutTheLeaseIsNotWokenButOnceASecond() {
        ManualClock clock = new ManualClock();
        Lease lease = new Lease(clock::nanoTime);
        try (LeaseGuard g = guard(lease, new AtomicLong(), new AtomicInteger(), true)) {
            assertThat(g.nextCheckNanos()).isEqualTo(LeaseGuard.IDLE_CHECK_MS * 1_000_000L);
            lease.confirmed(clock.nanoTime(), 1500);
            assertThat(g.nextCheckNanos()).isEqualTo(1501 * 1_000_000L);
            clock.advance(1500);
            assertThat(g.nextCheckNanos()).isEqualTo(LeaseGuard.STOP_RETRY_MS * 1_000_000L);
        }
    }

    @Test
    void theFailsafeConfirmerLooksOftenOnlyWhileALeaseIsHeldInFailsafeMode() {
        ManualClock clock = new ManualClock();
        Lease lease = new Lease(clock::nanoTime);
        java.util.concurrent.atomic.AtomicBoolean failsafeMode = new java.util.concurrent.atomic.AtomicBoolean();
        try (LeaseGuard g = guard(lease, new AtomicLong(), new AtomicInteger(), true)) {
            g.failsafe(() -> false, failsafeMode::get);
            long idle = LeaseGuard.IDLE_CHECK_MS * 1_000_000L;
            long often = LeaseGuard.CONFIRM_CHECK_MS * 1_000_000L;
            assertThat(g.nextConfirmNanos()).as("no lease").isEqualTo(idle);
            lease.confirmed(clock.nanoTime(), 1500);
            assertThat(g.nextConfirmNanos())
                    .as("a lease held with failsafe mode off: nothing to confirm")
                    .isEqualTo(idle);
            failsafeMode.set(true);
            assertThat(g.nextConfirmNanos()).as("a lease held in failsafe mode").isEqualTo(often);
            g.failsafe(() -> false);
            assertThat(g.nextConfirmNanos())
                    .as("a confirmation without a switch: always on")
                    .isEqualTo(often);
        }
    }
}
