package io.pgha.core.decide;

import io.pgha.core.decide.Decision.Bootstrap;
import io.pgha.core.decide.Decision.Clone;
import io.pgha.core.decide.Decision.Demote;
import io.pgha.core.decide.Decision.Follow;
import io.pgha.core.decide.Decision.KeepLeading;
import io.pgha.core.decide.Decision.Promote;
import io.pgha.core.decide.Decision.ReacquireLease;
import io.pgha.core.decide.Decision.Reclone;
import io.pgha.core.decide.Decision.ReleaseLease;
import io.pgha.core.decide.Decision.RestartPrimary;
import io.pgha.core.decide.Decision.Rewind;
import io.pgha.core.decide.Decision.StartStandby;
import io.pgha.core.decide.Decision.TakeOver;
import io.pgha.core.decide.Decision.Wait;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.StandbyCluster;
import io.pgha.core.model.SyncState;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The agent's decision function: one {@link Observation} in, one {@link Decision} out. Pure: it
 * reads no clock, network or file, so every rule is tested from tables of observations.
 *
 * <p>Rules, in order (the first that applies wins):
 *
 * <ol>
 *   <li>a long action is running: wait for it;
 *   <li>the DCS cannot be reached: a primary demotes (it cannot confirm its lease), others wait;
 *   <li>a writable PostgreSQL without a confirmed lease stops, unless the key is vacant and it can
 *       take it back (no member on a newer timeline, no failover pending for another member);
 *   <li>the cluster is paused: only keep an existing lease;
 *   <li>the cluster is not initialized: bootstrap (only into an empty data directory);
 *   <li>no local data: clone from the running primary;
 *   <li>PostgreSQL is stopped: restart the primary in place within a bound, or start as a standby
 *       of the leader, rewinding a former primary whose timeline forked;
 *   <li>PostgreSQL runs as primary (with the lease): keep leading, or hand over for a switchover;
 *   <li>PostgreSQL runs as standby: promote when the lease is ours, follow the leader, or, with no
 *       leader, race for the lease when this member is the best candidate.
 * </ol>
 *
 * <p>Invariants protected here: one writer (a primary without a confirmed lease always demotes; a
 * standby promotes only after taking the leader key); no diverged timelines (a former primary never
 * starts writable without the lease and never follows across a fork without pg_rewind); a
 * switchover candidate promotes only after replaying the old primary's shutdown checkpoint. No
 * lost commits in synchronous mode: only the last primary or a member its DCS record names as
 * synchronous, and the most advanced of enough of them, is promoted ({@link #notSynchronous}).
 */
public final class Decider {
    /** Consecutive failed standby starts after which the data directory is considered unusable. */
    static final int MAX_START_FAILURES = 3;

    private Decider() {}

    public static Decision decide(Observation o) {
        if (o.runningAction() != null) {
            return new Wait(o.runningAction().label() + " in progress");
        }
        LocalState local = o.local();
        if (!o.dcsReachable()) {
            if (local.runningPrimary() && o.failsafeConfirmed() && o.leaseHeld()) {
                return new Wait("DCS unreachable; failsafe: every member confirms this primary directly, writes go on");
            }
            return local.runningPrimary()
                    ? new Demote(
                            false,
                            "cannot reach the DCS to confirm the leader lease"
                                    + (o.cluster().config().failsafeMode()
                                            ? " and not every member confirms this primary"
                                            : "")
                                    + ": stopping writes")
                    : new Wait("DCS unreachable: no automatic action without the DCS");
        }
        ClusterState c = o.cluster();
        if (local.runningPrimary() && !o.leaseHeld()) {
            return primaryWithoutLease(o);
        }
        if (c.config().paused()) {
            return paused(o);
        }
        if (!c.initialized()) {
            if (local.runningPrimary()) {
                return new KeepLeading("the DCS lost the initialize key: primary keeps the lease and restores it");
            }
            return local.dataPresent()
                    ? new Wait("cluster not initialized but a data directory exists: refusing to bootstrap over it")
                    : new Bootstrap("cluster not initialized: bootstrapping a new database");
        }
        if (!local.dataPresent()) {
            return noData(o);
        }
        if (!local.running()) {
            return stopped(o);
        }
        return local.inRecovery() ? runningStandby(o) : runningPrimary(o);
    }

    /** While paused only operator requests act: the leader keeps its lease, a manual failover runs. */
    private static Decision paused(Observation o) {
        LocalState local = o.local();
        if (local.runningPrimary()) {
            return new KeepLeading("paused: keeping the leader lease, no automatic action");
        }
        if (local.runningStandby() && o.leaseHeld()) {
            return new Promote("paused, but holding the leader lease for a requested failover: promoting");
        }
        boolean requested = pendingCandidate(o).filter(o.me()::equals).isPresent();
        if (requested && local.runningStandby() && o.cluster().leader() == null) {
            return leaderRace(o);
        }
        return new Wait("cluster is paused: no automatic action");
    }

    private static Decision noData(Observation o) {
        ClusterState c = o.cluster();
        if (o.me().equals(c.initialize()) && c.leader() == null) {
            return new Bootstrap("this member took the initialize key but did not finish: bootstrapping again");
        }
        Optional<Member> leader = c.leaderMember().filter(l -> leaderRunning(o, l.name()));
        String what = c.config().standby() ? "standby leader " : "primary ";
        return leader.<Decision>map(l -> new Clone(l.name(), "no data directory: cloning from " + what + l.name()))
                .orElseGet(() -> new Wait("no data directory and no running " + what + "to clone from"));
    }

    private static Decision stopped(Observation o) {
        ClusterState c = o.cluster();
        LocalState local = o.local();
        if (local.postmasterAlive()) {
            return transitional(o);
        }
        if (!o.leaseHeld() && o.me().equals(c.leader())) {
            return new ReleaseLease(
                    "the leader key still names this member but its lease lapsed: releasing the key so that"
                            + " a leader can be elected");
        }
        Optional<String> candidate = pendingCandidate(o).filter(cand -> !cand.equals(o.me()));
        if (candidate.isPresent() && o.leaseHeld()) {
            return new ReleaseLease("PostgreSQL is down and a failover to " + candidate.get() + " was requested");
        }
        if (o.leaseHeld() && c.config().standby()) {
            return new StartStandby(
                    StandbyCluster.UPSTREAM, "standby leader: starting PostgreSQL as a standby of the primary cluster");
        }
        if (o.leaseHeld()) {
            if (!local.formerPrimary()) {
                return new ReleaseLease("holding the lease with a stopped standby data directory");
            }
            if (o.primaryDownForMs() > o.settings().primaryStartTimeoutMs()) {
                return new ReleaseLease("PostgreSQL did not come back within "
                        + o.settings().primaryStartTimeoutMs() / 1000 + " s: giving up the leader lease");
            }
            return new RestartPrimary("primary PostgreSQL is down: restarting it in place");
        }
        String leader = c.leader();
        if (leader == null && candidate.isPresent()) {
            // Starting now would only compete for CPU with the candidate's promotion; follow it afterwards.
            return new Wait("waiting for " + candidate.get() + " to take over before starting");
        }
        if (leader == null) {
            return new StartStandby(null, "no leader: starting read-only to take part in the leader race");
        }
        Optional<Member> leaderMember = c.member(leader);
        if (leaderMember.isEmpty()) {
            return new Wait("leader " + leader + " has not published its address yet");
        }
        if (local.formerPrimary()) {
            Optional<String> why = rewindNeeded(c, leaderMember.get(), local);
            if (why.isPresent()) {
                return rewindOrReclone(o, leader, why.get());
            }
            return new StartStandby(
                    leader,
                    "former primary shut down before the timeline switch: following " + leader + " without rewind");
        }
        if (o.standbyStartFailures() >= MAX_START_FAILURES) {
            return recloneOrWait(
                    o, leader, "PostgreSQL failed to start as a standby " + o.standbyStartFailures() + " times");
        }
        return new StartStandby(leader, "starting as a standby of " + leader);
    }

    /** A postmaster exists but does not accept connections: starting, recovering or stopping. */
    private static Decision transitional(Observation o) {
        if (!o.leaseHeld() && !o.local().standbySignal()) {
            return new Demote(false, "PostgreSQL is coming up as a primary without the leader lease: stopping it");
        }
        if (o.leaseHeld() && o.primaryDownForMs() > o.settings().primaryStartTimeoutMs()) {
            return new ReleaseLease("PostgreSQL did not accept connections within "
                    + o.settings().primaryStartTimeoutMs() / 1000 + " s: giving up the leader lease");
        }
        return new Wait("PostgreSQL is starting up or shutting down");
    }

    private static Decision rewindOrReclone(Observation o, String leader, String why) {
        if (o.rewindFailed()) {
            return recloneOrWait(o, leader, "pg_rewind failed");
        }
        return leaderRunning(o, leader)
                ? new Rewind(leader, why + ": rewinding from " + leader)
                : new Wait(why + ": waiting for the primary " + leader + " to run before rewinding from it");
    }

    /** The local data directory is unusable: clone it again from the running leader, if config allows. */
    private static Decision recloneOrWait(Observation o, String leader, String why) {
        if (!leaderRunning(o, leader)) {
            return new Wait(why + ": waiting for the primary " + leader + " to run");
        }
        return o.settings().recloneOnRewindFailure()
                ? new Reclone(leader, why + ": cloning again from " + leader)
                : new Wait(why + " and re-cloning is not allowed by config: needs an operator (POST /reinitialize)");
    }

    /** Whether the leader runs: as the primary, or in a standby cluster as the standby leader. */
    private static boolean leaderRunning(Observation o, String leader) {
        boolean standby = o.cluster().config().standby();
        return o.cluster()
                .member(leader)
                .filter(m -> m.isRunningPrimary() || (standby && m.isRunningStandby()))
                .isPresent();
    }

    /**
     * Whether a former primary (or a standby) has WAL the leader never had. Empty when it can follow
     * the leader as it is.
     */
    static Optional<String> rewindNeeded(ClusterState c, Member leader, LocalState local) {
        int mine = local.timeline();
        int theirs = leader.timeline();
        if (mine > theirs) {
            return Optional.of("local timeline " + mine + " is ahead of the leader's " + theirs);
        }
        Lsn myEnd = local.running() ? local.walPosition() : local.checkpoint();
        boolean exactEnd = local.running() || local.cleanShutdown();
        if (mine == theirs) {
            if (local.running()) {
                return Optional.empty(); // a running standby on the leader's timeline replays the leader's WAL
            }
            if (!exactEnd) {
                return Optional.of("former primary crashed: its end of WAL is unknown");
            }
            return myEnd.isAfter(leader.walPosition())
                    ? Optional.of("local WAL " + myEnd + " is ahead of the leader's " + leader.walPosition())
                    : Optional.empty();
        }
        Optional<Lsn> switchpoint = c.switchpointOf(mine);
        if (switchpoint.isEmpty()) {
            return Optional.of("timeline " + mine + " switch point unknown");
        }
        if (!exactEnd) {
            return Optional.of("former primary crashed on timeline " + mine);
        }
        // A clean shutdown checkpoint starts before the switch point when the new primary replayed it.
        boolean diverged = local.running()
                ? myEnd.isAfter(switchpoint.get())
                : !switchpoint.get().isAfter(myEnd);
        return diverged
                ? Optional.of(
                        "local WAL " + myEnd + " passed the switch point " + switchpoint.get() + " of timeline " + mine)
                : Optional.empty();
    }

    /** Only reached with a confirmed lease (see {@link #primaryWithoutLease}). */
    private static Decision runningPrimary(Observation o) {
        if (o.cluster().config().standby()) {
            return new Demote(
                    true,
                    "standby_cluster is set: this cluster takes no writes; shutting the primary down to follow "
                            + o.cluster().config().standbyCluster().describe());
        }
        FailoverRequest fr = o.cluster().failover();
        if (fr != null
                && fr.isSwitchover()
                && o.me().equals(fr.leader())
                && fr.stoppedAt() == null
                && !o.me().equals(fr.candidate())
                && fr.scheduledAt() <= o.wallMillis()) {
            String to = fr.candidate() == null ? "the best standby" : fr.candidate();
            return new Demote(true, "switchover to " + to + ": shutting down cleanly");
        }
        return new KeepLeading("primary holding the leader lease");
    }

    /** A writable PostgreSQL without a confirmed lease: it stops, or takes a vacant key back. */
    private static Decision primaryWithoutLease(Observation o) {
        ClusterState c = o.cluster();
        if (o.me().equals(c.leader())) {
            if (c.config().paused()) {
                // An agent restarted in maintenance mode finds the key of its previous session. Nobody
                // promotes automatically while paused, so the primary may keep running until it expires.
                return new Wait(
                        "paused: the leader key of this member's previous session must expire before it is taken back");
            }
            return new Demote(false, "the leader lease could not be confirmed: stopping writes");
        }
        if (c.leader() == null) {
            Optional<Member> ahead = c.members().values().stream()
                    .filter(m ->
                            !m.name().equals(o.me()) && m.timeline() > o.local().timeline())
                    .findFirst();
            if (ahead.isPresent()) {
                return new Demote(
                        false,
                        "leader key vacant but " + ahead.get().name() + " is on a newer timeline: stopping writes");
            }
            if (pendingCandidate(o).filter(cand -> !cand.equals(o.me())).isPresent()) {
                return new Demote(false, "a failover to " + pendingCandidate(o).get() + " is pending: stopping writes");
            }
            return new ReacquireLease("primary running and the leader key is vacant: taking it back");
        }
        return new Demote(false, "leader lease is held by " + c.leader() + ": stopping writes");
    }

    private static Decision runningStandby(Observation o) {
        ClusterState c = o.cluster();
        LocalState local = o.local();
        if (o.leaseHeld()) {
            return c.config().standby() ? standbyLeader(o) : new Promote("holding the leader lease: promoting");
        }
        String leader = c.leader();
        if (leader != null && !leader.equals(o.me())) {
            Optional<Member> lm = c.member(leader);
            if (lm.isEmpty()) return new Wait("leader " + leader + " has not published its address yet");
            boolean streamingFromLeader = local.streaming() && leader.equals(local.following());
            Optional<String> why = streamingFromLeader ? Optional.empty() : rewindNeeded(c, lm.get(), local);
            if (why.isPresent()) return rewindOrReclone(o, leader, why.get());
            if (!leader.equals(local.following())) {
                return new Follow(leader, "following the new primary " + leader);
            }
            return new Wait(
                    local.streaming() ? "streaming from " + leader : "replica of " + leader + ", not streaming yet");
        }
        if (leader != null) {
            // A key of an earlier session vanishes with it; one of this session stays until deleted.
            return new ReleaseLease(
                    "the leader key still names this member but its lease lapsed: releasing the key so that"
                            + " a leader can be elected");
        }
        return leaderRace(o);
    }

    /** The standby leader of a standby cluster: it replicates from the primary cluster and never promotes. */
    private static Decision standbyLeader(Observation o) {
        LocalState local = o.local();
        String from = o.cluster().config().standbyCluster().describe();
        if (!StandbyCluster.UPSTREAM.equals(local.following())) {
            return new Follow(StandbyCluster.UPSTREAM, "standby leader: replicating from " + from);
        }
        return new KeepLeading("standby leader: "
                + (local.streaming() ? "streaming from " : "replicating (not streaming yet) from ") + from);
    }

    private static Optional<String> pendingCandidate(Observation o) {
        FailoverRequest fr = o.cluster().failover();
        if (fr == null || fr.candidate() == null || fr.abandoned(o.cluster().leader())) return Optional.empty();
        if (o.wallMillis() - Math.max(fr.requestedAt(), fr.scheduledAt())
                > o.settings().failoverRequestTimeoutMs()) {
            return Optional.empty();
        }
        return Optional.of(fr.candidate());
    }

    private static Decision leaderRace(Observation o) {
        ClusterState c = o.cluster();
        LocalState local = o.local();
        if (o.fencingProblem() != null) {
            return new Wait("no leader, but this member cannot become primary: " + o.fencingProblem());
        }
        if (local.replaying()) {
            return new Wait("no leader, but this member still replays the WAL it has: its position is not final yet");
        }

        Optional<String> candidate = pendingCandidate(o);
        if (candidate.isPresent()) {
            if (!candidate.get().equals(o.me())) {
                return new Wait("waiting for " + candidate.get() + " to take over as requested");
            }
            FailoverRequest fr = c.failover();
            Optional<String> stale = divergedFromLatest(c, local);
            if (stale.isPresent()) {
                return new Wait("requested to take over, but " + stale.get());
            }
            if (fr.isSwitchover()) {
                if (fr.stoppedAt() == null) return new Wait("switchover: waiting for " + fr.leader() + " to shut down");
                if (!local.replayPosition().isAfter(fr.stoppedAt())) {
                    return new Wait("switchover: waiting to replay past " + fr.leader() + "'s shutdown checkpoint "
                            + fr.stoppedAt());
                }
                return new TakeOver("switchover: replayed all WAL of " + fr.leader() + ", taking over");
            }
            if (c.config().synchronous() && !c.config().standby()) {
                Optional<String> why = notSynchronous(o).or(() -> aheadInQuorum(o));
                if (why.isPresent()) return new Wait("requested to take over, but " + why.get());
            }
            return new TakeOver("manual failover to this member");
        }
        if (o.tags().noFailover()) {
            return new Wait("no leader, but this member is tagged nofailover");
        }
        Optional<String> replaying = replayingPeer(o);
        if (replaying.isPresent()) {
            return new Wait("no leader, but " + replaying.get()
                    + " still replays the WAL it has: its position may decide the leader race");
        }
        Optional<String> stale = divergedFromLatest(c, local);
        if (stale.isPresent()) {
            return new Wait("no leader, but " + stale.get() + ": not a candidate");
        }
        // A standby cluster acknowledges no commits of its own: its synchronous settings and a cold start
        // cannot lose any, so only positions count.
        boolean sync = c.config().synchronous() && !c.config().standby();
        if (sync) {
            Optional<String> why = notSynchronous(o);
            if (why.isPresent()) return new Wait("no leader, but " + why.get());
        }
        if (!sync && o.coldStart() && !c.config().standby()) {
            return new Wait("no leader, and no primary was seen since this agent started (a cold start of the"
                    + " cluster?): the last primary may hold commits no standby has, so this member waits for it"
                    + " to come back; to accept losing them, run pgha failover --to " + o.me()
                    + " --assume-primary-down");
        }
        long lag = c.leaderOptime().minus(local.walPosition());
        // A synchronous member holds every acknowledged commit; the published position may include more.
        if (!sync && lag > c.config().maximumLagOnFailover()) {
            return new Wait("no leader, but this member is " + lag + " bytes behind the last known primary position "
                    + c.leaderOptime() + " (maximum_lag_on_failover "
                    + c.config().maximumLagOnFailover() + ")");
        }
        FailoverRequest fr = c.failover();
        Optional<String> better = betterPeer(o, fr != null && fr.isSwitchover() ? fr.leader() : null);
        if (better.isPresent()) {
            return new Wait("no leader, but " + better.get() + " is a better candidate");
        }
        if (c.config().standby()) {
            return new TakeOver("no standby leader and this member has the most advanced WAL position "
                    + local.walPosition() + ": becoming the standby leader");
        }
        return new TakeOver("no leader and this member has the most advanced WAL position " + local.walPosition()
                + (sync ? " among the synchronous members " + c.sync().describe() : ""));
    }

    /**
     * A member that may fail over but still replays the WAL it had when it started (after a restart,
     * or a whole cluster's power loss): until it is done its position is not final, and it may be
     * the one with the most recent data.
     */
    private static Optional<String> replayingPeer(Observation o) {
        return o.cluster().members().values().stream()
                .filter(m -> !m.name().equals(o.me())
                        && m.state() == io.pgha.core.model.MemberState.REPLAYING
                        && !m.tags().noFailover()
                        && !watchdogBlocks(m))
                .map(Member::name)
                .sorted()
                .findFirst();
    }

    /**
     * Why this member may not be promoted in synchronous mode, from the DCS record of the last
     * primary (see {@link SyncState}). That primary itself holds every commit it acknowledged. A
     * recorded standby qualifies only when enough recorded standbys answered to overlap every
     * possible commit quorum ({@code members - quorum + 1}), so that the most advanced of them, which
     * {@link #betterPeer} then requires, has every acknowledged commit.
     */
    static Optional<String> notSynchronous(Observation o) {
        SyncState s = o.cluster().sync();
        if (o.me().equals(s.leader())) return Optional.empty();
        String last = s.leader() == null ? "the last primary" : s.leader();
        if (!s.contains(o.me())) {
            return Optional.of(
                    "this member is not recorded as synchronous (synchronous of " + last + ": " + s.describe() + ")");
        }
        if (s.quorum() == 0) {
            return Optional.of(last + " was committing without a confirmed synchronous standby: only " + last
                    + " is sure to have every acknowledged commit");
        }
        Set<String> answered = new TreeSet<>();
        for (String m : s.members()) {
            if (m.equals(o.me()) || o.peerPositions().containsKey(m)) answered.add(m);
        }
        if (answered.size() < s.neededForFailover()) {
            return Optional.of("only " + answered + " of the synchronous standbys " + s.members() + " can be compared; "
                    + s.neededForFailover() + " are needed to be sure of every commit acknowledged with " + s.quorum()
                    + " confirmation(s)");
        }
        return Optional.empty();
    }

    /**
     * In quorum mode (fewer confirmations than recorded standbys) only the most advanced of the
     * compared standbys surely has every acknowledged commit: a recorded standby ahead of this one.
     */
    private static Optional<String> aheadInQuorum(Observation o) {
        SyncState s = o.cluster().sync();
        if (o.me().equals(s.leader()) || s.quorum() >= s.members().size()) return Optional.empty();
        for (String m : s.members()) {
            Lsn p = o.peerPositions().get(m);
            if (m.equals(o.me()) || p == null) continue;
            int tl = o.cluster().member(m).map(Member::timeline).orElse(0);
            if (tl > o.local().timeline()
                    || (tl == o.local().timeline() && p.isAfter(o.local().walPosition()))) {
                return Optional.of(m + " (" + p + ") is further ahead among the quorum's standbys");
            }
        }
        return Optional.empty();
    }

    private static boolean syncQualified(ClusterState c, String name) {
        SyncState s = c.sync();
        return name.equals(s.leader()) || (s.quorum() > 0 && s.contains(name));
    }

    /**
     * Why this standby cannot carry the cluster's latest timeline: it is on an older timeline and has
     * WAL past that timeline's switch point (or the switch point is unknown). A standby on an older
     * timeline that stopped before the switch point holds a prefix of the latest history and may be
     * promoted (the executor gives it the newer history files so its new timeline number is fresh).
     */
    static Optional<String> divergedFromLatest(ClusterState c, LocalState local) {
        int latest = c.latestTimeline();
        if (local.timeline() >= latest) return Optional.empty();
        Optional<Lsn> sp = c.switchpointOf(local.timeline());
        if (sp.isEmpty()) {
            return Optional.of("it is on timeline " + local.timeline() + " and the switch point to timeline " + latest
                    + " is unknown");
        }
        return local.walPosition().isAfter(sp.get())
                ? Optional.of("its WAL " + local.walPosition() + " on timeline " + local.timeline()
                        + " passed the switch point " + sp.get())
                : Optional.empty();
    }

    /**
     * Whether {@code m} published that its watchdog is required but unusable: it cannot be promoted
     * (see its own decision), so it is no candidate the others should wait for.
     */
    static boolean watchdogBlocks(Member m) {
        return m.watchdog() != null && m.watchdog().startsWith(Member.WATCHDOG_BLOCKS);
    }

    /** A peer that answered, may fail over, and beats us on timeline, position, priority, then name. */
    private static Optional<String> betterPeer(Observation o, String excluded) {
        Lsn mine = o.local().walPosition();
        for (Map.Entry<String, Lsn> peer : o.peerPositions().entrySet()) {
            String name = peer.getKey();
            Optional<Member> m = o.cluster().member(name);
            if (name.equals(o.me())
                    || name.equals(excluded)
                    || m.isEmpty()
                    || m.get().tags().noFailover()
                    || watchdogBlocks(m.get())) continue;
            if (o.cluster().config().synchronous() && !o.cluster().config().standby()) {
                if (!syncQualified(o.cluster(), name)) continue;
            } else if (o.cluster().leaderOptime().minus(peer.getValue())
                    > o.cluster().config().maximumLagOnFailover()) {
                continue;
            }
            int byTimeline = Integer.compare(m.get().timeline(), o.local().timeline());
            int byPosition = peer.getValue().compareTo(mine);
            // At equal data the last primary goes first: it needs no new timeline, and after a cold
            // start the standbys wait for it (Observation#coldStart), so ranking one of them above it
            // would leave everyone waiting. Then the priority tag, then the name.
            String last = o.cluster().sync().leader();
            int byLastPrimary = Boolean.compare(name.equals(last), o.me().equals(last));
            int byPriority = Integer.compare(m.get().tags().priority(), o.tags().priority());
            boolean better = byTimeline != 0
                    ? byTimeline > 0
                    : byPosition != 0
                            ? byPosition > 0
                            : byLastPrimary != 0
                                    ? byLastPrimary > 0
                                    : byPriority != 0 ? byPriority > 0 : name.compareTo(o.me()) < 0;
            if (better) {
                return Optional.of(name + " (timeline " + m.get().timeline() + ", " + peer.getValue() + ")");
            }
        }
        return Optional.empty();
    }
}
