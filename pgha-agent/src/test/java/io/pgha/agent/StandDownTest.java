package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.Timing;
import io.pgha.core.config.WatchdogConfig;
import io.pgha.core.config.WatchdogConfig.Mode;
import io.pgha.testkit.StubDcs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fences that hold: a stop that fails keeps the watchdog armed and the lease held, and is tried again. */
class StandDownTest {
    private static final Timing TIMING = new Timing(2500, 1000, 833).validate();

    @TempDir
    Path dir;

    private Watchdog armedWatchdog(Path dev) throws Exception {
        Files.createFile(dev);
        Watchdog w = new Watchdog(new WatchdogConfig(Mode.REQUIRED, dev.toString(), 5));
        assertThat(w.arm()).isTrue();
        return w;
    }

    @Test
    void aFailedStopLeavesTheWatchdogArmedAndASuccessfulOneDisarmsIt() throws Exception {
        Path dev = dir.resolve("wd");
        Watchdog w = armedWatchdog(dev);
        AtomicBoolean stops = new AtomicBoolean(false);
        StandDown s = new StandDown(stops::get, w);
        assertThat(s.stopAndDisarm()).isFalse();
        assertThat(w.armed()).isTrue();
        assertThat(Files.readString(dev)).doesNotContain("V");
        StandDown throwing = new StandDown(
                () -> {
                    throw new IllegalStateException("fork failed");
                },
                w);
        assertThat(throwing.stopAndDisarm()).isFalse();
        assertThat(w.armed()).isTrue();
        stops.set(true);
        assertThat(s.stopAndDisarm()).isTrue();
        assertThat(w.armed()).isFalse();
        assertThat(Files.readString(dev)).endsWith("V");
    }

    @Test
    void aLostLeaseStaysHeldAndTheWatchdogArmedUntilPostgresIsConfirmedStopped() throws Exception {
        Path dev = dir.resolve("wd");
        Watchdog w = armedWatchdog(dev);
        StubDcs dcs = new StubDcs();
        dcs.renewal(me -> false); // the key is gone: the lease is lost at the next renewal
        Lease lease = new Lease(System::nanoTime);
        AtomicBoolean stops = new AtomicBoolean(false);
        AtomicInteger attempts = new AtomicInteger();
        try (LeaseGuard guard = new LeaseGuard(
                "a",
                dcs,
                lease,
                TIMING,
                () -> {
                    attempts.incrementAndGet();
                    return stops.get();
                },
                () -> {},
                w)) {
            lease.confirmed(System.nanoTime(), TIMING.leaseValidityMs(dcs.sessionTimeoutMs()));
            guard.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> attempts.get() >= 3);
            assertThat(lease.held()).as("held until PostgreSQL is stopped").isTrue();
            assertThat(w.armed()).isTrue();
            assertThat(Files.readString(dev)).doesNotContain("V");
            stops.set(true);
            await().atMost(Duration.ofSeconds(10)).until(() -> !lease.held());
            assertThat(w.armed()).isFalse();
            assertThat(Files.readString(dev)).endsWith("V");
        }
    }
}
