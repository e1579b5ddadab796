package io.pgha.agent;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the agent as soon as its postmaster is gone, instead of at its next cycle (up to {@code
 * loop_wait} later): a primary whose postmaster crashed is restarted at once, while it still holds
 * the lease. Looks at the postmaster's pid every {@link #PERIOD_MS} ms (a read of postmaster.pid
 * and of /proc); an intended stop wakes the agent too, which costs one early cycle.
 */
final class PostmasterWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostmasterWatch.class);
    static final long PERIOD_MS = 50;

    private final LongSupplier pid;
    private final java.util.function.LongPredicate alive;
    private final Runnable wake;
    private ScheduledExecutorService timer;
    /** The pid seen last, or -1 when no postmaster was running. */
    private long last = -1;

    /** {@code pid}: the running postmaster's pid, or a value below 1 when there is none. */
    PostmasterWatch(LongSupplier pid, Runnable wake) {
        this(pid, p -> p == pid.getAsLong(), wake);
    }

    /**
     * {@code alive}: whether a pid seen before still runs, a cheaper look than {@code pid} (one read
     * of /proc instead of postmaster.pid and /proc): while the postmaster seen last runs, only that
     * is asked.
     */
    PostmasterWatch(LongSupplier pid, java.util.function.LongPredicate alive, Runnable wake) {
        this.pid = pid;
        this.alive = alive;
        this.wake = wake;
    }

    synchronized void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "postmaster-watch");
            t.setDaemon(true);
            return t;
        });
        var unused = timer.scheduleWithFixedDelay(this::checkQuietly, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.debug("postmaster watch", e);
        }
    }

    /** One look: wakes the agent when the postmaster seen last is gone (tests call it directly). */
    synchronized void check() {
        long now = last > 0 && alive.test(last) ? last : pid.getAsLong();
        if (last > 0 && now != last) {
            LOG.debug("postmaster {} is gone{}", last, now > 0 ? " (now " + now + ")" : "");
            wake.run();
        }
        last = now > 0 ? now : -1;
    }

    @Override
    public synchronized void close() {
        if (timer != null) timer.shutdownNow();
    }
}
