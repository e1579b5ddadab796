package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.time.Clock;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failsafe mode (docs/fencing.md), both sides of it. On the primary, while the DCS cannot be
 * reached, {@link #confirmPrimary()} asks every member seen lately to confirm it; on the others,
 * {@link #accept(String)} answers such a request and then promises not to promote for a ttl
 * ({@link #holdsPromotion()}). Thread-safe.
 */
final class Failsafe {
    private static final Logger LOG = LoggerFactory.getLogger(Failsafe.class);
    /** How long a member that vanished from the DCS must still confirm a primary in failsafe mode. */
    static final long MEMBER_MEMORY_MS = 60_000;

    private final NodeConfig cfg;
    private final Dcs dcs;
    private final Peers peers;
    private final Clock clock;
    private final Supplier<ClusterState> lastCluster;
    private final RecentMembers recentMembers = new RecentMembers(MEMBER_MEMORY_MS);
    private volatile boolean confirmed;
    private volatile long holdUntilNanos;
    private volatile String heldFor;

    Failsafe(NodeConfig cfg, Dcs dcs, Peers peers, Clock clock, Supplier<ClusterState> lastCluster) {
        this.cfg = cfg;
        this.dcs = dcs;
        this.peers = peers;
        this.clock = clock;
        this.lastCluster = lastCluster;
        this.holdUntilNanos = clock.nanoTime();
    }

    /** Records the members of a successful DCS read. */
    void saw(Collection<Member> members) {
        recentMembers.saw(members, clock.nanoTime());
    }

    /** Every member confirmed this primary in the last attempt. */
    boolean confirmed() {
        return confirmed;
    }

    /**
     * On the primary's lease renewer while the DCS cannot be reached: asks every other member seen
     * in the DCS within the last {@value #MEMBER_MEMORY_MS} ms to confirm this primary. True only
     * when all of them did, and never when there was nobody to ask.
     */
    boolean confirmPrimary() {
        ClusterState c = lastCluster.get();
        if (!c.config().failsafeMode() || !cfg.name().equals(c.leader())) return false;
        List<Member> others = recentMembers.others(cfg.name(), clock.nanoTime());
        Set<String> ok = peers.confirmLeader(
                others,
                cfg.name(),
                cfg.restapi().auth(),
                Math.max(200, cfg.timing().safetyMarginMs() / 2));
        boolean all = everyoneConfirmed(others, ok);
        if (all != confirmed) {
            if (all)
                LOG.warn(
                        "DCS unreachable; failsafe: all {} other members confirm this primary, writes go on",
                        others.size());
            else if (others.isEmpty())
                LOG.error("DCS unreachable; failsafe: no other member was seen lately to confirm this primary");
            else LOG.error("DCS unreachable; failsafe: only {} of {} members confirm this primary", ok, others.size());
        }
        confirmed = all;
        return all;
    }

    /**
     * Whether every member in {@code asked} confirmed. False when nobody was asked: with no other
     * member seen, nobody vouches that no other member promotes, so a primary must not count its
     * lease as confirmed (a one-member cluster gets no failsafe).
     */
    static boolean everyoneConfirmed(Collection<Member> asked, Set<String> confirmedNames) {
        return !asked.isEmpty() && asked.stream().allMatch(m -> confirmedNames.contains(m.name()));
    }

    /**
     * On a member asked by {@code leader} (REST POST /failsafe): confirms only the primary this member
     * last knew, and only while it cannot reach the DCS itself or the DCS still names that primary;
     * then promises not to promote for a ttl.
     */
    boolean accept(String leader) {
        ClusterState c = lastCluster.get();
        if (leader == null || !leader.equals(c.leader()) || !c.config().failsafeMode() || leader.equals(cfg.name()))
            return false;
        if (dcs.connected()) {
            try {
                if (!leader.equals(dcs.read().leader())) return false;
            } catch (DcsException e) {
                // lost it just now: the answer is the same as without the DCS
            }
        }
        heldFor = leader;
        holdUntilNanos = clock.nanoTime() + cfg.timing().ttlMs() * 1_000_000L;
        return true;
    }

    /** Why this member must not promote now (it confirmed a primary less than a ttl ago), or null. */
    String holdsPromotion() {
        if (clock.nanoTime() - holdUntilNanos < 0) {
            return "it confirmed " + heldFor + " as primary in failsafe mode less than a ttl ago";
        }
        return null;
    }
}
