package io.pgha.agent;

import io.pgha.postgres.Processes.Exit;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the agent as soon as its postmaster is gone, instead of at its next cycle (up to {@code
 * loop_wait} later): a primary whose postmaster crashed is restarted at once, while it still holds
 * the lease. While a postmaster runs, the watch waits for its exit on a pidfd (Linux 5.3 and later),
 * which costs no CPU until it ends; where there is none, and while no postmaster runs, it looks every
 * {@link #PERIOD_MS} ms (a read of postmaster.pid and of /proc). An intended stop wakes the agent too,
 * which costs one early cycle.
 */
final class PostmasterWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PostmasterWatch.class);
    static final long PERIOD_MS = 50;
    /** How long one wait on a pidfd lasts before the watch checks whether it was closed. */
    static final int WAIT_MS = 1000;

    private final LongSupplier pid;
    private final LongPredicate alive;
    private final LongFunction<Exit> exits;
    private final Runnable wake;
    private Thread thread;
    private volatile boolean closed;
    /** The pid seen last, or -1 when no postmaster was running. */
    private long last = -1;

    /** {@code pid}: the running postmaster's pid, or a value below 1 when there is none. */
    PostmasterWatch(LongSupplier pid, Runnable wake) {
        this(pid, p -> p == pid.getAsLong(), p -> null, wake);
    }

    /**
     * {@code alive}: whether a pid seen before still runs, a cheaper look than {@code pid} (one read
     * of /proc instead of postmaster.pid and /proc): while the postmaster seen last runs, only that
     * is asked. {@code exits}: a handle on a pid's exit, or null when there is none (then the watch
     * looks every {@link #PERIOD_MS} ms).
     */
    PostmasterWatch(LongSupplier pid, LongPredicate alive, LongFunction<Exit> exits, Runnable wake) {
        this.pid = pid;
        this.alive = alive;
        this.exits = exits;
        this.wake = wake;
    }

    synchronized void start() {
        thread = new Thread(this::run, "postmaster-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (!closed) {
            try {
                checkQuietly();
                long seen = seen();
                if (seen > 0 && awaitExit(seen)) continue; // gone: the next look reports it at once
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Waits until {@code p} ends or the watch is closed; false when no handle on its exit could be
     * had (the caller then looks again after {@link #PERIOD_MS} ms).
     */
    private boolean awaitExit(long p) throws InterruptedException {
        Exit exit;
        try {
            exit = exits.apply(p);
        } catch (RuntimeException e) {
            LOG.debug("postmaster watch: no pidfd", e);
            return false;
        }
        if (exit == null) return false;
        try {
            // the pid may have ended (and been reused) between the look and the pidfd: look once more
            if (!alive.test(p)) return true;
            while (!closed) {
                if (exit.await(WAIT_MS)) return true;
            }
            return true;
        } finally {
            exit.close();
        }
    }

    private synchronized long seen() {
        return last;
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

    /** Stops the watch; a wait on a pidfd ends within {@link #WAIT_MS} ms. */
    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) thread.interrupt();
    }
}
