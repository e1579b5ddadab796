package io.pgha.core.config;

/**
 * Lease timing. The leader key lives in a ZooKeeper session (an etcd lease) of {@code ttlMs}; other members can
 * take it only after the session expired, which is at least {@code ttlMs} after the leader's last
 * confirmed contact. The leader therefore stops PostgreSQL once {@code ttlMs - safetyMarginMs} have
 * passed since it sent its last successful renewal, leaving the margin to get PostgreSQL down.
 *
 * @param ttlMs ZooKeeper session timeout asked for (the negotiated one is used at run time)
 * @param loopWaitMs pause between two agent cycles
 * @param safetyMarginMs time reserved to stop PostgreSQL before the lease can expire for others
 */
public record Timing(long ttlMs, long loopWaitMs, long safetyMarginMs) {
    public static final long MIN_TTL_MS = 2000;
    public static final long MIN_SAFETY_MARGIN_MS = 500;
    public static final Timing DEFAULT = new Timing(2500, 1000, 833);
    /** The default {@code ttl} with etcd, whose lease TTL is whole seconds. */
    public static final long DEFAULT_ETCD_TTL_MS = 3000;

    /** Validates the rules that keep one writer; each failure names the key. */
    public Timing validate() {
        if (ttlMs < MIN_TTL_MS) {
            throw new ConfigException("timing.ttl: " + ttlMs + " ms is below the minimum of " + MIN_TTL_MS + " ms");
        }
        if (safetyMarginMs < MIN_SAFETY_MARGIN_MS) {
            throw new ConfigException("timing.safety_margin: " + safetyMarginMs + " ms leaves too little time to stop"
                    + " PostgreSQL before another member may be promoted (two primaries); minimum "
                    + MIN_SAFETY_MARGIN_MS + " ms");
        }
        if (safetyMarginMs * 2 > ttlMs) {
            throw new ConfigException(
                    "timing.safety_margin: " + safetyMarginMs + " ms must be at most half of timing.ttl (" + ttlMs
                            + " ms), or the primary would demote before it could renew its lease");
        }
        // The lease is renewed by its own thread, so loop_wait only bounds how stale a decision may be.
        if (loopWaitMs <= 0 || loopWaitMs > ttlMs) {
            throw new ConfigException("timing.loop_wait: " + loopWaitMs
                    + " ms must be positive and at most timing.ttl (" + ttlMs + " ms)");
        }
        return this;
    }

    /** How long after a renewal was sent the leader may still act as primary, for a session timeout. */
    public long leaseValidityMs(long sessionTimeoutMs) {
        return sessionTimeoutMs - safetyMarginMs;
    }

    /**
     * How often the leader renews: four chances within one validity period. A renewal that waits
     * (for a DCS server that died, or for etcd to elect a new leader) has the validity minus one
     * interval before the lease runs out: three quarters of it. With etcd's default timing for pgha
     * (ttl 3 s, validity 1.5 s) that is 1.125 s, more than the up to 1 s an election of etcd's leader
     * takes with an election timeout of 500 ms.
     */
    public long renewIntervalMs(long sessionTimeoutMs) {
        return Math.max(100, Math.min(loopWaitMs, leaseValidityMs(sessionTimeoutMs) / 4));
    }
}
