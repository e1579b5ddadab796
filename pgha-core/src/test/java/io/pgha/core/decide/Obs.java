package io.pgha.core.decide;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.ControlState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import io.pgha.core.model.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A fluent builder of observations for the decider's tables. Member "n1" is this agent. */
final class Obs {
    static final long NOW = 1_000_000;
    private String leader;
    private String initialize = "7000000000000000001";
    private final Map<String, Member> members = new HashMap<>();
    private DynamicConfig config = DynamicConfig.DEFAULT;
    private FailoverRequest failover;
    private Lsn optime = Lsn.ZERO;
    private final List<HistoryEntry> history = new ArrayList<>();
    private LocalState local = LocalState.noData();
    private boolean reachable = true;
    private boolean leaseHeld;
    private LongAction action;
    private final Map<String, Lsn> peers = new HashMap<>();
    private long downMs;
    private boolean rewindFailed;
    private int startFailures;
    private Settings settings = Settings.DEFAULT;
    private Tags tags = Tags.NONE;
    private SyncState sync = SyncState.EMPTY;
    private boolean failsafe;
    private String fencing;
    private boolean coldStart;

    static Obs of() {
        return new Obs();
    }

    static Lsn lsn(long v) {
        return new Lsn(v);
    }

    Obs leader(String name) {
        leader = name;
        return this;
    }

    Obs uninitialized() {
        initialize = null;
        return this;
    }

    Obs initializeOwner(String name) {
        initialize = name;
        return this;
    }

    Obs primaryMember(String name, int tl, long pos) {
        members.put(name, member(name, Role.PRIMARY, tl, pos, null, Tags.NONE));
        return this;
    }

    Obs standbyMember(String name, int tl, long pos, Tags t) {
        members.put(name, member(name, Role.STANDBY, tl, pos, leader, t));
        return this;
    }

    /** {@code name}'s published watchdog state (a member added before). */
    Obs watchdog(String name, String status) {
        Member m = members.get(name);
        members.put(
                name,
                new Member(
                        m.name(),
                        m.apiUrl(),
                        m.host(),
                        m.pgPort(),
                        m.role(),
                        m.state(),
                        m.timeline(),
                        m.walPosition(),
                        m.replayPosition(),
                        m.following(),
                        m.streaming(),
                        m.tags(),
                        m.lastDecision(),
                        m.updatedAt(),
                        status,
                        m.archive(),
                        m.upstreamPosition(),
                        m.pendingRestart(),
                        m.version(),
                        m.scheduledRestart(),
                        m.resources()));
        return this;
    }

    private static Member member(String name, Role role, int tl, long pos, String following, Tags t) {
        return new Member(
                name,
                "http://" + name,
                "127.0.0.1",
                5432,
                role,
                MemberState.RUNNING,
                tl,
                lsn(pos),
                lsn(pos),
                following,
                following != null,
                t,
                "",
                0);
    }

    Obs paused() {
        config = config.withPaused(true);
        return this;
    }

    Obs maxLag(long bytes) {
        config = new DynamicConfig(
                config.paused(),
                bytes,
                config.synchronousMode(),
                config.synchronousModeStrict(),
                config.synchronousNodeCount(),
                config.failsafeMode());
        return this;
    }

    Obs failsafeConfirmed() {
        failsafe = true;
        return this;
    }

    /** This cluster follows a primary cluster at {@code hosts}. */
    Obs standbyCluster() {
        config = config.withStandbyCluster(
                new io.pgha.core.model.StandbyCluster("10.0.0.1:5432,10.0.0.2:5432", null, false, null));
        return this;
    }

    /** The local standby streams from the primary cluster (it is the standby leader). */
    Obs followingPrimaryCluster(boolean streaming) {
        local = new LocalState(
                true,
                true,
                true,
                true,
                local.timeline() == 0 ? 1 : local.timeline(),
                local.walPosition(),
                local.replayPosition(),
                io.pgha.core.model.StandbyCluster.UPSTREAM,
                streaming,
                ControlState.IN_ARCHIVE_RECOVERY,
                Lsn.ZERO,
                true);
        return this;
    }

    Obs coldStart() {
        coldStart = true;
        return this;
    }

    /** The local standby still replays WAL it had when it started. */
    Obs replaying() {
        local = new LocalState(
                local.dataPresent(),
                local.standbySignal(),
                local.running(),
                local.inRecovery(),
                local.timeline(),
                local.walPosition(),
                local.replayPosition(),
                local.following(),
                local.streaming(),
                local.controlState(),
                local.checkpoint(),
                local.postmasterAlive(),
                true);
        return this;
    }

    /** Another member whose standby still replays WAL it had when it started. */
    Obs replayingMember(String name, int tl, long pos) {
        members.put(name, member(name, Role.STANDBY, tl, pos, null, Tags.NONE).withState(MemberState.REPLAYING));
        return this;
    }

    Obs fencing(String problem) {
        fencing = problem;
        return this;
    }

    Obs syncMode(SyncMode mode) {
        config = config.withSynchronous(mode, false, 1);
        return this;
    }

    Obs sync(String leader, int quorum, String... members) {
        sync = SyncState.of(leader, quorum, List.of(members));
        return this;
    }

    Obs failover(FailoverRequest fr) {
        failover = fr;
        return this;
    }

    Obs optime(long v) {
        optime = lsn(v);
        return this;
    }

    Obs history(int tl, long switchpoint) {
        history.add(new HistoryEntry(tl, lsn(switchpoint), "test", 0, "x"));
        return this;
    }

    Obs noData() {
        local = LocalState.noData();
        return this;
    }

    Obs runningPrimary(int tl, long pos) {
        local = new LocalState(
                true,
                false,
                true,
                false,
                tl,
                lsn(pos),
                lsn(pos),
                null,
                false,
                ControlState.IN_PRODUCTION,
                Lsn.ZERO,
                true);
        return this;
    }

    Obs runningStandby(int tl, long pos, String following, boolean streaming) {
        local = new LocalState(
                true,
                true,
                true,
                true,
                tl,
                lsn(pos),
                lsn(pos),
                following,
                streaming,
                ControlState.IN_ARCHIVE_RECOVERY,
                Lsn.ZERO,
                true);
        return this;
    }

    Obs stoppedPrimary(ControlState state, int tl, long checkpoint) {
        local = new LocalState(
                true,
                false,
                false,
                false,
                tl,
                lsn(checkpoint),
                lsn(checkpoint),
                null,
                false,
                state,
                lsn(checkpoint),
                false);
        return this;
    }

    Obs stoppedStandby(int tl, long checkpoint) {
        local = new LocalState(
                true,
                true,
                false,
                false,
                tl,
                lsn(checkpoint),
                lsn(checkpoint),
                null,
                false,
                ControlState.SHUT_DOWN_IN_RECOVERY,
                lsn(checkpoint),
                false);
        return this;
    }

    Obs postmasterStarting(boolean standbySignal) {
        local = new LocalState(
                true,
                standbySignal,
                false,
                false,
                1,
                Lsn.ZERO,
                Lsn.ZERO,
                null,
                false,
                ControlState.IN_PRODUCTION,
                Lsn.ZERO,
                true);
        return this;
    }

    Obs unreachable() {
        reachable = false;
        return this;
    }

    Obs leaseHeld() {
        leaseHeld = true;
        return this;
    }

    Obs action(LongAction a) {
        action = a;
        return this;
    }

    Obs peer(String name, long pos) {
        peers.put(name, lsn(pos));
        return this;
    }

    Obs downFor(long ms) {
        downMs = ms;
        return this;
    }

    Obs rewindFailed() {
        rewindFailed = true;
        return this;
    }

    Obs startFailures(int n) {
        startFailures = n;
        return this;
    }

    Obs reclone() {
        settings = new Settings(settings.primaryStartTimeoutMs(), settings.failoverRequestTimeoutMs(), true);
        return this;
    }

    Obs tags(Tags t) {
        tags = t;
        return this;
    }

    Observation build() {
        ClusterState c = new ClusterState(initialize, leader, members, config, failover, optime, history, sync);
        return new Observation(
                "n1",
                tags,
                reachable,
                c,
                local,
                leaseHeld,
                action,
                NOW,
                peers,
                downMs,
                rewindFailed,
                startFailures,
                settings,
                fencing,
                failsafe,
                coldStart);
    }
}
