package io.pgha.router;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Member;
import io.pgha.core.model.Role;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The routing rules, as pure functions of the cluster as read from the DCS, the time, and the
 * router's own session counts. No I/O, no clock: {@code now} is passed in.
 *
 * <p>Read-write: the member named by the leader key, once its agent reports it as a running
 * primary, and not while it is stepping down in a switchover (new sessions then wait for the new
 * primary instead of reaching one that is about to shut down). Read-only: running standbys that
 * are not tagged {@code noloadbalance} and whose replay is within the lag limit, the one with the
 * fewest router sessions first (ties in rotation); without one, the primary or a wait, as configured.
 */
public final class Routing {
    private Routing() {}

    /** The routing policy: lag limit for read-only sessions and the fallback when none qualifies. */
    public record Policy(long maxReplicaLagBytes, boolean readOnlyFallbackToPrimary) {}

    /**
     * The backend for a new session on a {@code target} listener. Among standbys with equally few
     * sessions, {@code turn} (any counter the caller advances per session) picks one in rotation, so
     * that short sessions spread too.
     */
    public static Route choose(
            ClusterState c, long now, Target target, Map<String, Integer> sessions, Policy policy, long turn) {
        Route primary = primary(c, now);
        if (target == Target.READ_WRITE) return primary;
        List<Member> eligible = c.members().values().stream()
                .filter(m -> eligibleStandby(c, m, policy))
                .sorted(Comparator.comparing(Member::name))
                .toList();
        int fewest = eligible.stream()
                .mapToInt(m -> sessions.getOrDefault(m.name(), 0))
                .min()
                .orElse(0);
        List<Member> least = eligible.stream()
                .filter(m -> sessions.getOrDefault(m.name(), 0) == fewest)
                .toList();
        Member best = least.isEmpty() ? null : least.get((int) Math.floorMod(turn, (long) least.size()));
        if (best != null) {
            return new Route.Backend(
                    best.name(),
                    best.host(),
                    best.pgPort(),
                    false,
                    "standby " + best.name() + " with " + sessions.getOrDefault(best.name(), 0) + " session(s), lag "
                            + lag(c, best) + " bytes");
        }
        if (!policy.readOnlyFallbackToPrimary()) return new Route.Wait("no standby is running within the lag limit");
        if (primary instanceof Route.Backend b) {
            return new Route.Backend(
                    b.member(),
                    b.host(),
                    b.port(),
                    true,
                    "no standby qualifies: falling back to the primary " + b.member());
        }
        return new Route.Wait("no standby qualifies and " + primary.reason());
    }

    /**
     * The standbys a read may run on now, by name: running, not tagged {@code noloadbalance}, and
     * within the lag limit (as the pooled listener's read/write split uses them).
     */
    public static List<Route.Backend> standbys(ClusterState c, Policy policy) {
        return c.members().values().stream()
                .filter(m -> eligibleStandby(c, m, policy))
                .sorted(Comparator.comparing(Member::name))
                .map(m -> new Route.Backend(m.name(), m.host(), m.pgPort(), false, "standby " + m.name()))
                .toList();
    }

    static Route primary(ClusterState c, long now) {
        String leader = c.leader();
        if (leader == null) return new Route.Wait("no member holds the leader lease");
        if (switchingOver(c, leader, now)) return new Route.Wait("switchover away from " + leader + " in progress");
        Member m = c.members().get(leader);
        if (m == null || !m.isRunningPrimary())
            return new Route.Wait("the new primary " + leader + " is not running as primary yet");
        return new Route.Backend(
                m.name(), m.host(), m.pgPort(), true, "primary " + m.name() + " holds the leader lease");
    }

    /**
     * Whether {@code member} is stepping down in a switchover: it has checkpointed and now waits for
     * open transactions before it shuts down (until then it still takes new sessions and writes).
     */
    public static boolean switchingOver(ClusterState c, String member, long now) {
        FailoverRequest fr = c.failover();
        return fr != null
                && fr.isSwitchover()
                && member.equals(fr.leader())
                && fr.scheduledAt() <= now
                && (fr.draining() || fr.stoppedAt() != null);
    }

    /**
     * Whether a session routed to {@code member} as the primary may stay: only while that member
     * holds the leader lease. A manual failover request away from it also ends such sessions.
     */
    public static boolean stillPrimary(ClusterState c, String member) {
        if (!member.equals(c.leader())) return false;
        FailoverRequest fr = c.failover();
        return fr == null || fr.isSwitchover() || member.equals(fr.candidate());
    }

    static boolean eligibleStandby(ClusterState c, Member m, Policy policy) {
        return m.role() == Role.STANDBY
                && m.isRunningStandby()
                && !m.name().equals(c.leader())
                && !m.tags().noLoadBalance()
                && lag(c, m) <= policy.maxReplicaLagBytes();
    }

    /** Bytes the standby's replay is behind the position the primary last published. */
    static long lag(ClusterState c, Member m) {
        long leaderPos = c.leaderMember()
                .map(l -> l.walPosition().value())
                .orElse(c.leaderOptime().value());
        leaderPos = Math.max(leaderPos, c.leaderOptime().value());
        return Math.max(0, leaderPos - m.replayPosition().value());
    }
}
