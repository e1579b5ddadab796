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

    public Lease(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    public long now() {
        return nanoClock.getAsLong();
    }

    /** Records a successful acquisition or renewal whose request was sent at {@code sentAtNanos}. */
    public synchronized void confirmed(long sentAtNanos, long validityMs) {
        long until = sentAtNanos + validityMs * 1_000_000L;
        validUntilNanos = held ? Math.max(validUntilNanos, until) : until;
        held = true;
    }

    /**
     * Extends a lease that is still held (never re-takes one that was released meanwhile), as a
     * confirmation sent at {@code sentAtNanos}; false when the lease is no longer held.
     */
    public synchronized boolean extend(long sentAtNanos, long validityMs) {
        if (!held) return false;
        validUntilNanos = Math.max(validUntilNanos, sentAtNanos + validityMs * 1_000_000L);
        return true;
    }

    public synchronized void released() {
        held = false;
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
        return held ? Math.max(0, (validUntilNanos - nanoClock.getAsLong()) / 1_000_000L) : 0;
    }
}
