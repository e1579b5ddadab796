package io.pgha.core.decide;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Tags;
import java.util.Map;

/**
 * Everything the decider may look at, gathered once per cycle.
 *
 * @param cluster the DCS snapshot; meaningless when {@code dcsReachable} is false
 * @param leaseHeld the leader key names this member and its lease is confirmed on a monotonic clock
 * @param runningAction the long action in progress (clone, rewind, ...), or null
 * @param wallMillis wall-clock time, used only for scheduled switchovers and request expiry
 * @param peerPositions fresh WAL positions of the other members that answered directly (filled
 *     only while nobody holds the lease); a member that did not answer is absent
 * @param primaryDownForMs how long the local PostgreSQL has been down while this member held the
 *     lease, 0 when it is up
 * @param rewindFailed the last pg_rewind attempt of this member failed
 * @param standbyStartFailures consecutive failed attempts to start the local data directory as a standby
 * @param fencingProblem why this member may not become primary now (a required watchdog that
 *     cannot be used, a primary it confirmed in failsafe mode less than a ttl ago), or null
 * @param failsafeConfirmed failsafe mode: every member of the last known cluster confirmed this
 *     primary directly within the lease validity (only meaningful while the DCS is unreachable)
 * @param coldStart this agent has seen no live primary since it started, and its data directory
 *     was not a primary's: as after the whole cluster lost power, when the last primary may hold
 *     commits that no standby has
 */
public record Observation(
        String me,
        Tags tags,
        boolean dcsReachable,
        ClusterState cluster,
        LocalState local,
        boolean leaseHeld,
        LongAction runningAction,
        long wallMillis,
        Map<String, Lsn> peerPositions,
        long primaryDownForMs,
        boolean rewindFailed,
        int standbyStartFailures,
        Settings settings,
        String fencingProblem,
        boolean failsafeConfirmed,
        boolean coldStart) {

    public Observation {
        peerPositions = Map.copyOf(peerPositions);
    }

    /** Without a cold start. */
    public Observation(
            String me,
            Tags tags,
            boolean dcsReachable,
            ClusterState cluster,
            LocalState local,
            boolean leaseHeld,
            LongAction runningAction,
            long wallMillis,
            Map<String, Lsn> peerPositions,
            long primaryDownForMs,
            boolean rewindFailed,
            int standbyStartFailures,
            Settings settings,
            String fencingProblem,
            boolean failsafeConfirmed) {
        this(
                me,
                tags,
                dcsReachable,
                cluster,
                local,
                leaseHeld,
                runningAction,
                wallMillis,
                peerPositions,
                primaryDownForMs,
                rewindFailed,
                standbyStartFailures,
                settings,
                fencingProblem,
                failsafeConfirmed,
                false);
    }

    public Observation(
            String me,
            Tags tags,
            boolean dcsReachable,
            ClusterState cluster,
            LocalState local,
            boolean leaseHeld,
            LongAction runningAction,
            long wallMillis,
            Map<String, Lsn> peerPositions,
            long primaryDownForMs,
            boolean rewindFailed,
            int standbyStartFailures,
            Settings settings) {
        this(
                me,
                tags,
                dcsReachable,
                cluster,
                local,
                leaseHeld,
                runningAction,
                wallMillis,
                peerPositions,
                primaryDownForMs,
                rewindFailed,
                standbyStartFailures,
                settings,
                null,
                false);
    }
}
