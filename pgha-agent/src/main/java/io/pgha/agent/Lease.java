package io.pgha.agent;

import java.util.function.LongSupplier;

/**
 * The leader lease as this member sees it, on a monotonic clock. A renewal confirmed by the DCS
 * extends validity to {@code sentAt + validity}, measured from when the request was <em>sent</em>:
 * the DCS cannot have heard from us earlier than that, so it cannot expire our session sooner than
 * {@code sentAt + sessionTimeout}, and validity is shorter than the session timeout by the safety
 * margin. Thread-safe.
 */
public final class Lease {
    private final LongSupplier nanoClock;
    private boolean held;
    private long validUntilNanos;

    /** Told after every change of the lease (outside its lock): the guard plans its next check. */
    private volatile Runnable onChange = () -> {};

    public Lease(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** {@code r} runs after every acquisition, renewal, extension and release. */
    public void onChange(Runnable r) {
        onChange = r;
    }

    public long now() {
        return nanoClock.getAsLong();
    }

    /** Records a successful acquisition or renewal whose request was sent at {@code sentAtNanos}. */
    public void confirmed(long sentAtNanos, long validityMs) {
        synchronized (this) {
            long until = sentAtNanos + validityMs * 1_000_000L;
            validUntilNanos = held ? Math.max(validUntilNanos, until) : until;
            held = true;
        }
        onChange.run();
    }

    /**
     * Extends a lease that is still held (never re-takes one that was released meanwhile), as a
     * confirmation sent at {@code sentAtNanos}; false when the lease is no longer held.
     */
    public boolean extend(long sentAtNanos, long validityMs) {
        synchronized (this) {
            if (!held) return false;
            validUntilNanos = Math.max(validUntilNanos, sentAtNanos + validityMs * 1_000_000L);
        }
        onChange.run();
        return true;
    }

    public void released() {
        synchronized (this) {
            held = false;
        }
        onChange.run();
    }

    public synchronized boolean held() {
        return held;
    }

    /** Held and not yet expired. */
    public synchronized boolean valid() {
        return held && nanoClock.getAsLong() - validUntilNanos < 0;
    }

    /** Held but expired: the holder must already have stopped writing. */
    public synchronized boolean expired() {
        return held && nanoClock.getAsLong() - validUntilNanos >= 0;
    }

    public synchronized long remainingMs() {
        return remainingNanos() / 1_000_000L;
    }

    /** Nanoseconds until the held lease runs out; 0 when expired or not held. */
    public synchronized long remainingNanos() {
        return held ? Math.max(0, validUntilNanos - nanoClock.getAsLong()) : 0;
    }
}
