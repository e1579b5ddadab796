package io.pgha.core.model;

/**
 * A switchover or manual failover asked for by an operator.
 *
 * @param leader for a switchover, the primary that must step down (null for a manual failover)
 * @param candidate the member to promote, or null for "the best standby"
 * @param scheduledAt wall-clock milliseconds when a switchover may begin; 0 for now
 * @param requestedAt wall-clock milliseconds of the request
 * @param stoppedAt set by the old primary once it has shut down cleanly: the LSN of its shutdown
 *     checkpoint. The candidate promotes only after it has replayed past it (no data lost).
 * @param draining set by the old primary of a switchover after its checkpoint, when it starts
 *     waiting for open transactions before shutting down: from then on routers hold new sessions
 *     and close routed ones at their transaction boundaries
 */
public record FailoverRequest(
        String leader, String candidate, long scheduledAt, long requestedAt, Lsn stoppedAt, boolean draining) {

    public FailoverRequest(String leader, String candidate, long scheduledAt, long requestedAt, Lsn stoppedAt) {
        this(leader, candidate, scheduledAt, requestedAt, stoppedAt, false);
    }

    public boolean isSwitchover() {
        return leader != null;
    }

    /**
     * A switchover whose primary lost the leader key before it shut down cleanly (it died, or was
     * cut off): nothing will ever hand over, so the request must not hold up an ordinary failover,
     * and the next primary drops it. {@code currentLeader} is the leader key's holder, or null.
     */
    public boolean abandoned(String currentLeader) {
        return isSwitchover() && stoppedAt == null && !leader.equals(currentLeader);
    }

    public FailoverRequest withStoppedAt(Lsn lsn) {
        return new FailoverRequest(leader, candidate, scheduledAt, requestedAt, lsn, draining);
    }

    public FailoverRequest withDraining() {
        return new FailoverRequest(leader, candidate, scheduledAt, requestedAt, stoppedAt, true);
    }
}
