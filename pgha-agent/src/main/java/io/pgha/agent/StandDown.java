package io.pgha.agent;

import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one order in which a primary stands down: PostgreSQL confirmed stopped, then the watchdog
 * disarmed, then (by the caller) the lease given up. When the stop fails (a fork that fails, an
 * unreadable pid file, a postmaster that does not die), the watchdog stays armed and the caller
 * keeps the lease, so that nobody else is promoted while this PostgreSQL may still take writes;
 * the stop is tried again on the next occasion. Thread-safe.
 */
final class StandDown {
    private static final Logger LOG = LoggerFactory.getLogger(StandDown.class);
    private static final long LOG_EVERY_NANOS = 5_000_000_000L;

    private final BooleanSupplier stopPostgres;
    private final Watchdog watchdog;
    private volatile long lastLoggedNanos;

    /** {@code stopPostgres} stops PostgreSQL at once and answers whether no postmaster is left. */
    StandDown(BooleanSupplier stopPostgres, Watchdog watchdog) {
        this.stopPostgres = stopPostgres;
        this.watchdog = watchdog;
    }

    /**
     * Stops PostgreSQL; true, with the watchdog disarmed, once it is confirmed stopped. False leaves
     * the watchdog armed: the caller must then keep the lease and try again later.
     */
    boolean stopAndDisarm() {
        boolean stopped;
        try {
            stopped = stopPostgres.getAsBoolean();
        } catch (RuntimeException e) {
            LOG.debug("stopping PostgreSQL failed", e);
            stopped = false;
        }
        if (!stopped) {
            long now = System.nanoTime();
            if (now - lastLoggedNanos > LOG_EVERY_NANOS) {
                lastLoggedNanos = now;
                LOG.error(
                        "PostgreSQL could not be stopped: keeping the watchdog armed and the leader lease held until it is");
            }
            return false;
        }
        watchdog.disarm();
        return true;
    }
}
