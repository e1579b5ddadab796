package io.pgha.agent;

import io.pgha.core.decide.LocalState;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;

/**
 * Whether this agent may be in a cold start of the whole cluster: it has seen no live primary since
 * it started, and its data directory was not a primary's. After every node lost power at once, the
 * DCS still shows the last primary's position but nobody knows what that primary had beyond it;
 * without synchronous replication only the last primary is sure to hold every commit it
 * acknowledged, so the others must not race it (see {@link io.pgha.core.decide.Observation#coldStart}).
 *
 * <p>A primary counts as seen when this member streamed from it, held the lease itself, or saw the
 * leader's record in the DCS change while this agent watched (a record restored with a dead
 * primary's ZooKeeper session does not change). Kept in memory only; called from the agent's loop.
 */
final class ColdStart {
    private boolean firstLook = true;
    private boolean formerPrimary;
    private boolean primarySeen;
    private String leaderSeen;
    private long leaderUpdatedAt;

    /** Takes this cycle's reads; returns whether this is (still) a cold start for this member. */
    boolean observe(ClusterState cluster, LocalState local, boolean leaseHeld, boolean dcsReachable) {
        if (firstLook && local.dataPresent()) {
            firstLook = false;
            formerPrimary = local.runningPrimary() || (!local.running() && local.formerPrimary());
        }
        if (!primarySeen) {
            if (leaseHeld || local.streaming()) {
                primarySeen = true;
            } else if (dcsReachable) {
                Member leader =
                        cluster.leaderMember().filter(Member::isRunningPrimary).orElse(null);
                if (leader == null) {
                    leaderSeen = null;
                } else if (leader.name().equals(leaderSeen) && leader.updatedAt() != leaderUpdatedAt) {
                    primarySeen = true;
                } else {
                    leaderSeen = leader.name();
                    leaderUpdatedAt = leader.updatedAt();
                }
            }
        }
        return coldStart();
    }

    boolean coldStart() {
        return !firstLook && !formerPrimary && !primarySeen;
    }
}
