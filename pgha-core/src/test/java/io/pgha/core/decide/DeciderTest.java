package io.pgha.core.decide;

import static io.pgha.core.decide.Obs.NOW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

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
import io.pgha.core.model.ControlState;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.Tags;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every rule of the decider, one row per situation: observation, expected decision, reason. */
class DeciderTest {

    static Stream<Arguments> rules() {
        Tags noFailover = new Tags(true, false, 0);
        Tags highPriority = new Tags(false, false, 5);
        return Stream.of(
                row(
                        "a running action is waited for",
                        Obs.of().action(LongAction.CLONE).noData(),
                        Wait.class,
                        "clone in progress"),
                row(
                        "a primary that cannot reach the DCS stops writing",
                        Obs.of()
                                .unreachable()
                                .leader("n1")
                                .runningPrimary(1, 100)
                                .leaseHeld(),
                        Demote.class,
                        "cannot reach the DCS"),
                row(
                        "failsafe: a primary every member confirms keeps writing without the DCS",
                        Obs.of()
                                .unreachable()
                                .leader("n1")
                                .runningPrimary(1, 100)
                                .leaseHeld()
                                .failsafeConfirmed(),
                        Wait.class,
                        "failsafe"),
                row(
                        "failsafe: without every member's confirmation the primary stops",
                        Obs.of().unreachable().leader("n1").runningPrimary(1, 100),
                        Demote.class,
                        "cannot reach the DCS"),
                row(
                        "a stopped former primary whose own key outlived its lease releases the key",
                        Obs.of().leader("n1").stoppedPrimary(ControlState.IN_PRODUCTION, 1, 100),
                        ReleaseLease.class,
                        "lease lapsed"),
                row(
                        "a standby named by a key whose lease lapsed releases the key",
                        Obs.of().leader("n1").runningStandby(1, 100, null, false),
                        ReleaseLease.class,
                        "lease lapsed"),
                row(
                        "a member that may not be fenced does not race",
                        Obs.of()
                                .fencing("watchdog is required but /dev/watchdog does not exist")
                                .runningStandby(1, 100, "n2", false),
                        Wait.class,
                        "watchdog is required"),
                row(
                        "a standby that cannot reach the DCS waits",
                        Obs.of().unreachable().runningStandby(1, 100, "n2", true),
                        Wait.class,
                        "DCS unreachable"),
                row(
                        "a primary whose key is unconfirmed stops writing",
                        Obs.of().leader("n1").primaryMember("n1", 1, 100).runningPrimary(1, 100),
                        Demote.class,
                        "could not be confirmed"),
                row(
                        "paused: the leader keeps its lease",
                        Obs.of().paused().leader("n1").runningPrimary(1, 100).leaseHeld(),
                        KeepLeading.class,
                        "paused"),
                row(
                        "paused: a standby without leader does not race",
                        Obs.of().paused().runningStandby(1, 100, "n2", false),
                        Wait.class,
                        "paused"),
                row(
                        "paused: a primary whose agent restarted waits for its old session's key to expire",
                        Obs.of().paused().leader("n1").runningPrimary(1, 100),
                        Wait.class,
                        "previous session"),
                row(
                        "paused: a primary whose agent restarted takes the vacant key back",
                        Obs.of().paused().runningPrimary(1, 100),
                        ReacquireLease.class,
                        "taking it back"),
                row(
                        "paused: a primary without lease still stops when another member holds the key",
                        Obs.of()
                                .paused()
                                .leader("n2")
                                .primaryMember("n2", 2, 100)
                                .runningPrimary(1, 100),
                        Demote.class,
                        "held by n2"),
                row(
                        "paused: a requested manual failover still runs",
                        Obs.of()
                                .paused()
                                .runningStandby(1, 100, "n2", false)
                                .failover(new FailoverRequest(null, "n1", 0, NOW, null)),
                        TakeOver.class,
                        "manual failover"),
                row(
                        "paused: a standby not named by the request does not race",
                        Obs.of()
                                .paused()
                                .runningStandby(1, 300, "n2", false)
                                .failover(new FailoverRequest(null, "n3", 0, NOW, null)),
                        Wait.class,
                        "paused"),
                row(
                        "paused: a stopped primary is not restarted",
                        Obs.of().paused().stoppedPrimary(ControlState.IN_PRODUCTION, 1, 100),
                        Wait.class,
                        "paused"),
                row(
                        "an uninitialized cluster is bootstrapped into an empty directory",
                        Obs.of().uninitialized().noData(),
                        Bootstrap.class,
                        "bootstrapping"),
                row(
                        "an uninitialized cluster is not bootstrapped over existing data",
                        Obs.of().uninitialized().stoppedPrimary(ControlState.SHUT_DOWN, 1, 100),
                        Wait.class,
                        "refusing"),
                row(
                        "an interrupted bootstrap of this member is resumed",
                        Obs.of().initializeOwner("n1").noData(),
                        Bootstrap.class,
                        "did not finish"),
                row(
                        "no data: clone from the running primary",
                        Obs.of().leader("n2").primaryMember("n2", 1, 100).noData(),
                        Clone.class,
                        "cloning from primary n2"),
                row("no data and no primary: wait", Obs.of().noData(), Wait.class, "no running primary"),
                row(
                        "the lease holder restarts its crashed primary",
                        Obs.of()
                                .leader("n1")
                                .leaseHeld()
                                .stoppedPrimary(ControlState.IN_PRODUCTION, 1, 100)
                                .downFor(1000),
                        RestartPrimary.class,
                        "restarting it in place"),
                row(
                        "the lease holder gives up after the start timeout",
                        Obs.of()
                                .leader("n1")
                                .leaseHeld()
                                .stoppedPrimary(ControlState.IN_PRODUCTION, 1, 100)
                                .downFor(31_000),
                        ReleaseLease.class,
                        "did not come back"),
                row(
                        "a stopped node without leader starts read-only",
                        Obs.of().stoppedStandby(1, 100),
                        StartStandby.class,
                        "leader race"),
                row(
                        "a stopped former primary waits for the requested candidate to take over before starting",
                        Obs.of()
                                .stoppedPrimary(ControlState.SHUT_DOWN, 1, 100)
                                .failover(new FailoverRequest("n1", "n2", 0, NOW, new Lsn(100))),
                        Wait.class,
                        "waiting for n2 to take over before starting"),
                row(
                        "a stopped standby follows the leader",
                        Obs.of().leader("n2").primaryMember("n2", 1, 500).stoppedStandby(1, 100),
                        StartStandby.class,
                        "standby of n2"),
                row(
                        "a cleanly stopped former primary whose checkpoint the new primary replayed follows without rewind",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .history(1, 0x1100)
                                .stoppedPrimary(ControlState.SHUT_DOWN, 1, 0x1000),
                        StartStandby.class,
                        "without rewind"),
                row(
                        "a cleanly stopped former primary past the switch point is rewound",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .history(1, 0x1000)
                                .stoppedPrimary(ControlState.SHUT_DOWN, 1, 0x1000),
                        Rewind.class,
                        "passed the switch point"),
                row(
                        "a crashed former primary is rewound",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .history(1, 0x1100)
                                .stoppedPrimary(ControlState.IN_PRODUCTION, 1, 0x1000),
                        Rewind.class,
                        "crashed"),
                row(
                        "a former primary is rewound when the switch point is unknown",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .stoppedPrimary(ControlState.SHUT_DOWN, 1, 0x1000),
                        Rewind.class,
                        "switch point unknown"),
                row(
                        "a former primary on a newer timeline than the leader is rewound",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .stoppedPrimary(ControlState.SHUT_DOWN, 3, 0x1000),
                        Rewind.class,
                        "ahead of the leader"),
                row(
                        "a failed rewind is followed by a clone when allowed",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .stoppedPrimary(ControlState.IN_PRODUCTION, 1, 0x1000)
                                .rewindFailed()
                                .reclone(),
                        Reclone.class,
                        "cloning again"),
                row(
                        "a failed rewind waits for an operator when re-cloning is not allowed",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .stoppedPrimary(ControlState.IN_PRODUCTION, 1, 0x1000)
                                .rewindFailed(),
                        Wait.class,
                        "not allowed"),
                row(
                        "a standby data directory that keeps failing to start is cloned again when allowed",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .stoppedStandby(1, 100)
                                .startFailures(3)
                                .reclone(),
                        Reclone.class,
                        "failed to start as a standby 3 times"),
                row(
                        "a standby data directory that keeps failing to start waits for an operator otherwise",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 500)
                                .stoppedStandby(1, 100)
                                .startFailures(3),
                        Wait.class,
                        "needs an operator"),
                row(
                        "the primary holding the lease keeps leading",
                        Obs.of().leader("n1").runningPrimary(1, 100).leaseHeld(),
                        KeepLeading.class,
                        "holding the leader lease"),
                row(
                        "a due switchover makes the primary shut down cleanly",
                        Obs.of()
                                .leader("n1")
                                .runningPrimary(1, 100)
                                .leaseHeld()
                                .failover(new FailoverRequest("n1", "n2", 0, NOW, null)),
                        Demote.class,
                        "switchover to n2"),
                row(
                        "a switchover scheduled later waits",
                        Obs.of()
                                .leader("n1")
                                .runningPrimary(1, 100)
                                .leaseHeld()
                                .failover(new FailoverRequest("n1", "n2", NOW + 60_000, NOW, null)),
                        KeepLeading.class,
                        "holding"),
                row(
                        "a primary whose lease another member holds stops writing",
                        Obs.of().leader("n2").primaryMember("n2", 2, 100).runningPrimary(1, 100),
                        Demote.class,
                        "held by n2"),
                row(
                        "a running primary takes a vacant key back",
                        Obs.of().runningPrimary(1, 100),
                        ReacquireLease.class,
                        "taking it back"),
                row(
                        "a running primary does not take the key back when a member is on a newer timeline",
                        Obs.of().primaryMember("n2", 2, 100).runningPrimary(1, 100),
                        Demote.class,
                        "newer timeline"),
                row(
                        "a running primary steps aside for a pending failover",
                        Obs.of().runningPrimary(1, 100).failover(new FailoverRequest(null, "n2", 0, NOW, null)),
                        Demote.class,
                        "pending"),
                row(
                        "a standby holding the lease promotes",
                        Obs.of().leader("n1").leaseHeld().runningStandby(1, 100, null, false),
                        Promote.class,
                        "promoting"),
                row(
                        "a standby follows a new leader",
                        Obs.of().leader("n2").primaryMember("n2", 1, 100).runningStandby(1, 100, "n3", false),
                        Follow.class,
                        "following the new primary n2"),
                row(
                        "a standby streaming from the leader is healthy",
                        Obs.of().leader("n2").primaryMember("n2", 2, 100).runningStandby(1, 100, "n2", true),
                        Wait.class,
                        "streaming from n2"),
                row(
                        "a standby that replayed past the switch point of its timeline is rewound",
                        Obs.of()
                                .leader("n2")
                                .primaryMember("n2", 2, 0x3000)
                                .history(1, 0x1000)
                                .runningStandby(1, 0x2000, null, false),
                        Rewind.class,
                        "passed the switch point"),
                row(
                        "without leader the most advanced standby takes over",
                        Obs.of()
                                .runningStandby(1, 200, "n2", false)
                                .standbyMember("n3", 1, 100, Tags.NONE)
                                .peer("n3", 100),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "without leader a standby behind a peer waits",
                        Obs.of()
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 200, Tags.NONE)
                                .peer("n3", 200),
                        Wait.class,
                        "n3"),
                row(
                        "a tie goes to the higher priority",
                        Obs.of()
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 100, highPriority)
                                .peer("n3", 100),
                        Wait.class,
                        "n3"),
                row(
                        "a tie of equal priority goes to the smaller name",
                        Obs.of()
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 100, Tags.NONE)
                                .peer("n3", 100),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "a tie goes to the last primary before the priority (after a cold start the others wait for it)",
                        Obs.of()
                                .tags(highPriority)
                                .sync("n3", 0)
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 100, Tags.NONE)
                                .peer("n3", 100),
                        Wait.class,
                        "n3"),
                row(
                        "the last primary takes a tie against a smaller name and a higher priority",
                        Obs.of()
                                .sync("n1", 0)
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n0", 1, 100, highPriority)
                                .peer("n0", 100),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "the last primary behind a peer still waits for it",
                        Obs.of()
                                .sync("n1", 0)
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 101, Tags.NONE)
                                .peer("n3", 101),
                        Wait.class,
                        "n3"),
                row(
                        "a more advanced peer tagged nofailover does not block the race",
                        Obs.of()
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 200, noFailover)
                                .peer("n3", 200),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "a more advanced peer whose watchdog is required but unusable does not block the race",
                        Obs.of()
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 200, Tags.NONE)
                                .watchdog("n3", Member.WATCHDOG_BLOCKS + "/dev/watchdog does not exist")
                                .peer("n3", 200),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "a more advanced peer whose watchdog is merely unusable (automatic) still goes first",
                        Obs.of()
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 200, Tags.NONE)
                                .watchdog("n3", "unavailable: /dev/watchdog does not exist")
                                .peer("n3", 200),
                        Wait.class,
                        "n3"),
                row(
                        "a standby on an older timeline that passed the switch point is not a candidate",
                        Obs.of().history(1, 0x1000).runningStandby(1, 0x2000, null, false),
                        Wait.class,
                        "passed the switch point"),
                row(
                        "a standby on an older timeline with an unknown switch point is not a candidate",
                        Obs.of().standbyMember("n3", 3, 0x100, Tags.NONE).runningStandby(1, 0x2000, null, false),
                        Wait.class,
                        "unknown"),
                row(
                        "a standby on an older timeline that stopped before the switch point may take over",
                        Obs.of().history(1, 0x3000).runningStandby(1, 0x2000, null, false),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "a peer on a newer timeline beats a more advanced position on an older one",
                        Obs.of()
                                .history(1, 0x3000)
                                .runningStandby(1, 0x2000, null, false)
                                .standbyMember("n3", 2, 0x1000, Tags.NONE)
                                .peer("n3", 0x1000),
                        Wait.class,
                        "n3 (timeline 2"),
                row(
                        "a former primary is not rewound from a leader that is not running",
                        Obs.of()
                                .leader("n2")
                                .stoppedPrimary(ControlState.IN_PRODUCTION, 1, 0x1000)
                                .standbyMember("n2", 2, 0x500, Tags.NONE),
                        Wait.class,
                        "waiting for the primary n2 to run"),
                row(
                        "a standby still replaying the WAL it started with is no candidate yet",
                        Obs.of().runningStandby(1, 200, null, false).replaying(),
                        Wait.class,
                        "still replays the WAL it has"),
                row(
                        "the race waits for a peer that still replays the WAL it started with",
                        Obs.of()
                                .runningStandby(1, 200, null, false)
                                .replayingMember("n3", 1, 100)
                                .peer("n2", 150),
                        Wait.class,
                        "n3 still replays"),
                row(
                        "a replaying peer does not hold up a requested failover to this member",
                        Obs.of()
                                .runningStandby(1, 100, null, false)
                                .replayingMember("n3", 1, 100)
                                .failover(new FailoverRequest(null, "n1", 0, NOW, null)),
                        TakeOver.class,
                        "manual failover"),
                row(
                        "cold start without synchronous replication: a standby waits for the last primary",
                        Obs.of().runningStandby(1, 200, null, false).coldStart(),
                        Wait.class,
                        "pgha failover --to n1 --assume-primary-down"),
                row(
                        "cold start: the operator's failover to this member is carried out",
                        Obs.of()
                                .runningStandby(1, 200, null, false)
                                .coldStart()
                                .failover(new FailoverRequest(null, "n1", 0, NOW, null)),
                        TakeOver.class,
                        "manual failover"),
                row(
                        "cold start in synchronous mode: a recorded standby that is sure of every commit takes over",
                        Obs.of()
                                .syncMode(SyncMode.ON)
                                .sync("n2", 1, "n1")
                                .runningStandby(1, 200, null, false)
                                .coldStart(),
                        TakeOver.class,
                        "among the synchronous members"),
                row(
                        "standby cluster: the lease holder follows the primary cluster instead of promoting",
                        Obs.of().standbyCluster().leader("n1").leaseHeld().runningStandby(1, 100, null, false),
                        Follow.class,
                        "standby leader: replicating from 10.0.0.1:5432,10.0.0.2:5432"),
                row(
                        "standby cluster: the standby leader keeps its lease while it replicates",
                        Obs.of()
                                .standbyCluster()
                                .leader("n1")
                                .leaseHeld()
                                .runningStandby(1, 100, null, false)
                                .followingPrimaryCluster(true),
                        KeepLeading.class,
                        "standby leader: streaming from"),
                row(
                        "standby cluster: a stopped standby leader starts as a standby of the primary cluster",
                        Obs.of().standbyCluster().leader("n1").leaseHeld().stoppedStandby(1, 100),
                        StartStandby.class,
                        "standby of the primary cluster"),
                row(
                        "standby cluster: a writable primary shuts down to follow the primary cluster",
                        Obs.of().standbyCluster().leader("n1").leaseHeld().runningPrimary(1, 100),
                        Demote.class,
                        "takes no writes"),
                row(
                        "standby cluster: without a standby leader the most advanced member becomes it",
                        Obs.of()
                                .standbyCluster()
                                .runningStandby(1, 200, "n2", false)
                                .standbyMember("n3", 1, 100, Tags.NONE)
                                .peer("n3", 100),
                        TakeOver.class,
                        "becoming the standby leader"),
                row(
                        "standby cluster: synchronous settings and a cold start do not hold up the race",
                        Obs.of()
                                .standbyCluster()
                                .syncMode(SyncMode.ON)
                                .sync("n2", 1, "n3")
                                .coldStart()
                                .runningStandby(1, 200, null, false),
                        TakeOver.class,
                        "becoming the standby leader"),
                row(
                        "standby cluster: a new member clones from the running standby leader",
                        Obs.of()
                                .standbyCluster()
                                .leader("n2")
                                .standbyMember("n2", 1, 100, Tags.NONE)
                                .noData(),
                        Clone.class,
                        "cloning from standby leader n2"),
                row(
                        "a primary cluster does not clone from a standby",
                        Obs.of()
                                .leader("n2")
                                .standbyMember("n2", 1, 100, Tags.NONE)
                                .noData(),
                        Wait.class,
                        "no running primary"),
                row(
                        "a member tagged nofailover never takes over",
                        Obs.of().tags(noFailover).runningStandby(1, 200, "n2", false),
                        Wait.class,
                        "nofailover"),
                row(
                        "a standby too far behind the last primary position waits",
                        Obs.of().maxLag(1000).optime(5000).runningStandby(1, 100, "n2", false),
                        Wait.class,
                        "bytes behind"),
                row(
                        "a failover request for another member is waited for",
                        Obs.of()
                                .runningStandby(1, 200, "n2", false)
                                .failover(new FailoverRequest(null, "n3", 0, NOW, null)),
                        Wait.class,
                        "waiting for n3"),
                row(
                        "a manual failover to this member takes over",
                        Obs.of()
                                .runningStandby(1, 100, "n2", false)
                                .failover(new FailoverRequest(null, "n1", 0, NOW, null)),
                        TakeOver.class,
                        "manual failover"),
                row(
                        "a stale failover request is ignored",
                        Obs.of()
                                .runningStandby(1, 200, "n2", false)
                                .failover(new FailoverRequest(null, "n3", 0, NOW - 60_000, null)),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "a switchover whose primary died before it shut down is an ordinary failover for the candidate",
                        Obs.of()
                                .runningStandby(1, 100, "n2", false)
                                .failover(new FailoverRequest("n2", "n1", 0, NOW, null)),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "a switchover scheduled for later does not hold up the failover when its primary dies first",
                        Obs.of()
                                .runningStandby(1, 200, "n2", false)
                                .failover(new FailoverRequest("n2", "n3", NOW + 3_600_000, NOW, null)),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "nor does it make its candidate wait for a shutdown that never comes",
                        Obs.of()
                                .runningStandby(1, 200, "n2", false)
                                .failover(new FailoverRequest("n2", "n1", NOW + 3_600_000, NOW, null)),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "a stopped standby does not wait for the candidate of a switchover whose primary died",
                        Obs.of()
                                .stoppedStandby(1, 100)
                                .failover(new FailoverRequest("n2", "n3", NOW + 3_600_000, NOW, null)),
                        StartStandby.class,
                        "leader race"),
                row(
                        "a primary that lost its key for a moment takes it back despite its own scheduled switchover",
                        Obs.of()
                                .runningPrimary(1, 100)
                                .failover(new FailoverRequest("n1", "n2", NOW + 3_600_000, NOW, null)),
                        ReacquireLease.class,
                        "taking it back"),
                row(
                        "a switchover candidate waits until it replayed the shutdown checkpoint",
                        Obs.of()
                                .runningStandby(1, 0x1000, "n2", true)
                                .failover(new FailoverRequest("n2", "n1", 0, NOW, new Lsn(0x1000))),
                        Wait.class,
                        "waiting to replay past"),
                row(
                        "a switchover candidate that replayed everything takes over",
                        Obs.of()
                                .runningStandby(1, 0x1068, "n2", true)
                                .failover(new FailoverRequest("n2", "n1", 0, NOW, new Lsn(0x1000))),
                        TakeOver.class,
                        "replayed all WAL"),
                row(
                        "a postmaster coming up writable without the lease is stopped",
                        Obs.of().leader("n2").primaryMember("n2", 2, 100).postmasterStarting(false),
                        Demote.class,
                        "without the leader lease"),
                row(
                        "a standby postmaster starting up is waited for",
                        Obs.of().leader("n2").primaryMember("n2", 2, 100).postmasterStarting(true),
                        Wait.class,
                        "starting up"),
                row(
                        "sync: a recorded synchronous standby takes over",
                        Obs.of().syncMode(SyncMode.ON).sync("n2", 1, "n1").runningStandby(1, 100, "n2", false),
                        TakeOver.class,
                        "among the synchronous"),
                row(
                        "sync: the most advanced standby that is not recorded as synchronous waits",
                        Obs.of()
                                .syncMode(SyncMode.ON)
                                .sync("n2", 1, "n3")
                                .runningStandby(1, 300, "n2", false)
                                .standbyMember("n3", 1, 100, Tags.NONE),
                        Wait.class,
                        "not recorded as synchronous"),
                row(
                        "sync: nobody qualifies after the last primary committed without a confirmed standby",
                        Obs.of().syncMode(SyncMode.ON).sync("n2", 0, "n1").runningStandby(1, 300, "n2", false),
                        Wait.class,
                        "without a confirmed synchronous standby"),
                row(
                        "sync: the last primary itself may take over again",
                        Obs.of().syncMode(SyncMode.ON).sync("n1", 0).runningStandby(1, 300, null, false),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "sync: a synchronous standby is promoted however far behind the published position",
                        Obs.of()
                                .syncMode(SyncMode.ON)
                                .maxLag(10)
                                .optime(5000)
                                .sync("n2", 1, "n1")
                                .runningStandby(1, 100, "n2", false),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "sync: an asynchronous peer that is further ahead does not stop a synchronous standby",
                        Obs.of()
                                .syncMode(SyncMode.ON)
                                .sync("n2", 1, "n1")
                                .runningStandby(1, 100, "n2", false)
                                .standbyMember("n3", 1, 900, Tags.NONE)
                                .peer("n3", 900),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "quorum: too few recorded standbys answered to overlap every commit quorum",
                        Obs.of()
                                .syncMode(SyncMode.QUORUM)
                                .sync("n2", 1, "n1", "n3", "n4")
                                .runningStandby(1, 300, "n2", false)
                                .standbyMember("n3", 1, 100, Tags.NONE)
                                .peer("n3", 100),
                        Wait.class,
                        "3 are needed"),
                row(
                        "quorum: the most advanced of enough recorded standbys takes over",
                        Obs.of()
                                .syncMode(SyncMode.QUORUM)
                                .sync("n2", 2, "n1", "n3", "n4")
                                .runningStandby(1, 300, "n2", false)
                                .standbyMember("n3", 1, 100, Tags.NONE)
                                .peer("n3", 100),
                        TakeOver.class,
                        "most advanced"),
                row(
                        "quorum: a more advanced recorded standby wins",
                        Obs.of()
                                .syncMode(SyncMode.QUORUM)
                                .sync("n2", 2, "n1", "n3", "n4")
                                .runningStandby(1, 300, "n2", false)
                                .standbyMember("n3", 1, 400, Tags.NONE)
                                .peer("n3", 400),
                        Wait.class,
                        "n3"),
                row(
                        "sync: a manual failover to a standby not recorded as synchronous waits",
                        Obs.of()
                                .syncMode(SyncMode.ON)
                                .sync("n2", 1, "n3")
                                .runningStandby(1, 100, "n2", false)
                                .failover(new FailoverRequest(null, "n1", 0, NOW, null)),
                        Wait.class,
                        "not recorded as synchronous"),
                row(
                        "sync: a switchover needs no synchronous record (the candidate replays the shutdown checkpoint)",
                        Obs.of()
                                .syncMode(SyncMode.ON)
                                .sync("n2", 1, "n3")
                                .runningStandby(1, 0x1068, "n2", true)
                                .failover(new FailoverRequest("n2", "n1", 0, NOW, new Lsn(0x1000))),
                        TakeOver.class,
                        "replayed all WAL"),
                row(
                        "a lease holder whose PostgreSQL is down hands over to a requested candidate",
                        Obs.of()
                                .leader("n1")
                                .leaseHeld()
                                .stoppedPrimary(ControlState.IN_PRODUCTION, 1, 100)
                                .failover(new FailoverRequest(null, "n2", 0, NOW, null)),
                        ReleaseLease.class,
                        "failover to n2"));
    }

    private static Arguments row(String rule, Obs obs, Class<? extends Decision> expected, String reason) {
        return arguments(rule, obs.build(), expected, reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void decides(String rule, Observation o, Class<? extends Decision> expected, String reason) {
        Decision d = Decider.decide(o);
        assertThat(d).as(rule).isInstanceOf(expected);
        assertThat(d.reason()).as(rule).contains(reason);
    }
}
