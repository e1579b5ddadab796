package io.pgha.core.decide;

/**
 * The node settings the decider needs.
 *
 * @param primaryStartTimeoutMs how long a crashed primary may take to come back before its agent
 *     gives up the leader lease
 * @param failoverRequestTimeoutMs how long a requested switchover/failover candidate has to take
 *     over before the normal leader race resumes
 * @param recloneOnRewindFailure whether a member whose pg_rewind failed may wipe its data and clone
 */
public record Settings(long primaryStartTimeoutMs, long failoverRequestTimeoutMs, boolean recloneOnRewindFailure) {
    public static final Settings DEFAULT = new Settings(30_000, 30_000, false);
}
