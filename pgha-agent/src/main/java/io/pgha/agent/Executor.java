package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.Decision;
import io.pgha.core.decide.LocalState;
import io.pgha.core.decide.LongAction;
import io.pgha.core.decide.SyncPlanner;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.StandbyCluster;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import io.pgha.core.time.Clock;
import io.pgha.dcs.Dcs;
import io.pgha.postgres.ConfigFiles.Upstream;
import io.pgha.postgres.ControlData;
import io.pgha.postgres.PostgresControl;
import io.pgha.postgres.StopMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the decider's decisions: all the I/O the decider must not do. Quick steps run on the
 * agent thread; long ones (initdb, clone, rewind, start, promote) go to the {@link ActionRunner}.
 * Only the agent thread calls {@link #execute}.
 */
final class Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

    private final NodeConfig cfg;
    private final Dcs dcs;
    private final PostgresControl pg;
    private final Lease lease;
    private final ActionRunner runner;
    private final Clock clock;
    private final Memory memory;
    private final Watchdog watchdog;
    private final StandDown standDown;
    private final SlotManager slots;
    private final ResourceManager resources;
    private final Runnable publishNow;
    private final Fencer fencer = new Fencer(new io.pgha.agent.resource.FenceAgent());
    private Runnable promoted = () -> {};
    private Runnable restarted = () -> {};

    /** What the agent remembers between cycles beyond the DCS and PostgreSQL. */
    private final PrimaryClusterSource primaryCluster;
    /** What the standby leader of a standby cluster was last pointed at. */
    private volatile Upstream followedPrimaryCluster;

    static final class Memory {
        volatile boolean rewindFailed;
        final java.util.concurrent.atomic.AtomicInteger standbyStartFailures =
                new java.util.concurrent.atomic.AtomicInteger();
        volatile long primaryDownSinceNanos;
        /** The last other member this agent saw holding the leader key, as it last saw it (for fencing). */
        volatile Member lastLeader;

        /** The primary's WAL position when PostgreSQL last started counting a new synchronous set. */
        volatile Lsn syncFrom;

        volatile String lastSyncReason = "";
    }

    Executor(
            NodeConfig cfg,
            Dcs dcs,
            PostgresControl pg,
            Lease lease,
            ActionRunner runner,
            Clock clock,
            Memory memory,
            Watchdog watchdog,
            PrimaryClusterSource primaryCluster,
            ResourceManager resources,
            java.util.function.BooleanSupplier stopPrimary,
            Runnable publishNow) {
        this.watchdog = watchdog;
        this.primaryCluster = primaryCluster;
        this.resources = resources;
        this.publishNow = publishNow;
        this.standDown = new StandDown(stopPrimary, watchdog);
        this.cfg = cfg;
        this.dcs = dcs;
        this.pg = pg;
        this.lease = lease;
        this.runner = runner;
        this.clock = clock;
        this.memory = memory;
        this.slots = new SlotManager(cfg, dcs, pg.slots(), clock::nanoTime);
    }

    /** Called on the action thread after a requested restart of PostgreSQL. */
    void onRestarted(Runnable r) {
        restarted = r;
    }

    /** Called on the action thread as soon as PostgreSQL accepts writes after a promotion. */
    void onPromoted(Runnable r) {
        promoted = r;
    }

    void execute(Decision d, ClusterState c, LocalState local) throws Exception {
        d.accept(new Decision.Visitor<Void>() {
            @Override
            public Void onWait(Decision.Wait w) {
                if (local.runningStandby() && runner.current() == null && slots.onStandby(c, local))
                    restart(upstream(c, local.following()), true);
                return null;
            }

            @Override
            public Void onBootstrap(Decision.Bootstrap b) {
                if (waitingForResources(c)) return null;
                runner.submit(LongAction.BOOTSTRAP, Executor.this::bootstrap);
                return null;
            }

            @Override
            public Void onClone(Decision.Clone cl) {
                if (waitingForResources(c)) return null;
                Upstream up = upstream(c, cl.source());
                runner.submit(LongAction.CLONE, () -> cloneFrom(up));
                return null;
            }

            @Override
            public Void onStartStandby(Decision.StartStandby s) {
                if (waitingForResources(c)) return null;
                Upstream up = s.upstream() == null ? null : upstream(c, s.upstream());
                runner.submit(LongAction.START, () -> startStandby(up));
                return null;
            }

            @Override
            public Void onRestartPrimary(Decision.RestartPrimary r) throws Exception {
                String ssn = restartValue(c);
                if (!watchdog.arm()) {
                    release();
                    return null;
                }
                runner.submit(LongAction.START, () -> {
                    pg.stopImmediately();
                    pg.prepareSynchronousStandbyNames(ssn);
                    pg.start(null, false);
                });
                return null;
            }

            @Override
            public Void onFollow(Decision.Follow f) throws Exception {
                Upstream up = upstream(c, f.upstream());
                pg.follow(up);
                if (up.primaryCluster()) followedPrimaryCluster = up;
                return null;
            }

            @Override
            public Void onTakeOver(Decision.TakeOver t) throws Exception {
                takeOver(c, local.timeline());
                return null;
            }

            @Override
            public Void onPromote(Decision.Promote p) {
                runner.submit(LongAction.PROMOTE, () -> promote(c, local.timeline(), false));
                return null;
            }

            @Override
            public Void onKeepLeading(Decision.KeepLeading k) throws Exception {
                if (c.config().standby() && local.runningStandby()) keepStandbyLeading(c, local);
                else keepLeading(c, local);
                return null;
            }

            @Override
            public Void onReacquireLease(Decision.ReacquireLease r) throws Exception {
                if (acquire() && !watchdog.arm() && standDown.stopAndDisarm()) release();
                return null;
            }

            @Override
            public Void onDemote(Decision.Demote dm) throws Exception {
                try {
                    demote(dm.forSwitchover(), c.config().switchoverDrainTimeoutMs());
                } finally {
                    if (lease.held() && pg.observe().runningPrimary()) resources.resumePrimary(); // still primary
                }
                return null;
            }

            @Override
            public Void onReleaseLease(Decision.ReleaseLease r) throws Exception {
                if (local.runningStandby()) watchdog.disarm();
                else if (!standDown.stopAndDisarm()) return null; // the lease stays held until PostgreSQL is stopped
                release();
                return null;
            }

            @Override
            public Void onRewind(Decision.Rewind rw) {
                Upstream up = upstream(c, rw.source());
                runner.submit(LongAction.REWIND, () -> rewind(up));
                return null;
            }

            @Override
            public Void onReclone(Decision.Reclone rc) {
                reclone(upstream(c, rc.source()));
                return null;
            }
        });
    }

    /** PostgreSQL waits for the resources that must run before it starts (a filesystem, say). */
    private boolean waitingForResources(ClusterState c) {
        if (resources.readyForPostgres(c)) return false;
        LOG.info("PostgreSQL waits for the resources that start before it: {}", resources.blockingPostgres());
        return true;
    }

    /** Wipes the data directory and clones it again from {@code source}; false when an action runs. */
    boolean reclone(Upstream source) {
        return runner.submit(LongAction.CLONE, () -> {
            pg.stop(StopMode.IMMEDIATE);
            pg.removeData();
            cloneFrom(source);
        });
    }

    /** Restarts PostgreSQL in its current role; false when an action runs. */
    boolean restart(Upstream upstream, boolean standby) {
        return runner.submit(LongAction.RESTART, () -> {
            pg.restart(upstream, standby);
            restarted.run();
        });
    }

    /** The upstream named {@code name}: a member, or (in a standby cluster) the primary cluster. */
    Upstream upstream(ClusterState c, String name) {
        if (StandbyCluster.UPSTREAM.equals(name)) {
            StandbyCluster sc = c.config().standby() ? c.config().standbyCluster() : cfg.standbyCluster();
            if (sc == null) throw new IllegalStateException("this cluster is no standby cluster");
            return primaryCluster.locate(sc);
        }
        return memberUpstream(c, name);
    }

    static Upstream memberUpstream(ClusterState c, String name) {
        Member m = c.member(name).orElseThrow(() -> new IllegalStateException("member " + name + " is not in the DCS"));
        return new Upstream(m.name(), m.host(), m.pgPort());
    }

    private boolean acquire() throws Exception {
        return acquire(null);
    }

    /** Takes the lease; with {@code sync}, writes it as the synchronous record in the same DCS transaction. */
    private boolean acquire(SyncState sync) throws Exception {
        long sent = lease.now();
        if (!(sync == null ? dcs.acquireLeader(cfg.name()) : dcs.acquireLeader(cfg.name(), sync))) return false;
        lease.confirmed(sent, cfg.timing().leaseValidityMs(dcs.sessionTimeoutMs()));
        LOG.info("acquired the leader lease");
        return true;
    }

    private void release() throws Exception {
        release(null);
    }

    /** Releases the lease; with {@code handOver}, the failover request changes in the same DCS transaction. */
    private void release(java.util.function.UnaryOperator<FailoverRequest> handOver) throws Exception {
        boolean held = lease.held();
        lease.released();
        slots.notLeading();
        if (handOver == null) dcs.releaseLeader(cfg.name());
        else dcs.handOver(cfg.name(), handOver);
        memory.syncFrom = null;
        if (held) LOG.info("released the leader lease");
    }

    private void bootstrap() throws Exception {
        ClusterState c = dcs.read();
        if (!cfg.name().equals(c.initialize()) && !dcs.claimInitialize(cfg.name())) {
            LOG.info("another member is bootstrapping the cluster");
            return;
        }
        StandbyCluster sc = c.config().standby() ? c.config().standbyCluster() : cfg.standbyCluster();
        if (sc != null) {
            bootstrapStandby(sc);
            return;
        }
        try {
            pg.initdb();
            pg.start(null, false);
            pg.createReplicationRole();
            if (!acquire()) throw new IllegalStateException("the leader key was taken during bootstrap");
            if (!watchdog.arm()) throw new IllegalStateException("the watchdog is required but cannot be armed");
            dcs.writeSync(cfg.name(), onlyMine());
            ControlData cd = pg.controlData();
            dcs.completeInitialize(cd.systemIdentifier().isEmpty() ? "bootstrapped" : cd.systemIdentifier());
        } catch (Exception e) {
            LOG.error("bootstrap failed, giving the initialize key back: {}", e.getMessage());
            pg.stop(StopMode.IMMEDIATE);
            pg.removeData();
            watchdog.disarm();
            release();
            dcs.abandonInitialize();
            throw e;
        }
    }

    /**
     * Bootstraps a standby cluster: the DCS records that it is one, and this member becomes its
     * standby leader with a copy of the primary cluster (pg_basebackup from it, or the newest backup
     * of the shared archive when it cannot be streamed from).
     */
    private void bootstrapStandby(StandbyCluster sc) throws Exception {
        try {
            dcs.updateConfig(d -> d.standby() ? d : d.withStandbyCluster(sc));
            Upstream up = primaryCluster.locate(sc);
            if (up.streams()) {
                LOG.info("standby cluster: copying the primary cluster from {}", up.describe());
                pg.cloneFrom(up, line -> LOG.info("pg_basebackup: {}", line.strip()));
            } else if (cfg.archive() != null && ArchiveReplica.restore(cfg, pg.cloneDir())) {
                pg.installClone(up);
            } else {
                throw new IllegalStateException("standby cluster: nothing to copy the primary cluster from ("
                        + sc.describe() + " offers no running primary"
                        + (cfg.archive() == null ? " and this node has no archive: section" : " and no backup") + ")");
            }
            pg.start(up, true);
            followedPrimaryCluster = up;
            if (!acquire()) throw new IllegalStateException("the leader key was taken during bootstrap");
            ControlData cd = pg.controlData();
            dcs.completeInitialize(cd.systemIdentifier().isEmpty() ? "bootstrapped" : cd.systemIdentifier());
            LOG.info("bootstrapped the standby cluster: this member is its standby leader");
        } catch (Exception e) {
            LOG.error("bootstrap of the standby cluster failed, giving the initialize key back: {}", e.getMessage());
            pg.stop(StopMode.IMMEDIATE);
            pg.removeData();
            release();
            dcs.abandonInitialize();
            throw e;
        }
    }

    /** Starts as a standby, counting consecutive failures: a data directory that never starts needs a clone. */
    private void startStandby(Upstream up) throws Exception {
        try {
            pg.start(up, true);
            memory.standbyStartFailures.set(0);
        } catch (Exception e) {
            memory.standbyStartFailures.incrementAndGet();
            throw e;
        }
    }

    private void cloneFrom(Upstream source) throws Exception {
        if (cfg.archive() != null && cfg.archive().replicasFromBackup() && ArchiveReplica.restore(cfg, pg.cloneDir())) {
            pg.installClone(source);
        } else {
            LOG.info("cloning from {}", source.describe());
            pg.cloneFrom(source, line -> LOG.info("pg_basebackup: {}", line.strip()));
        }
        memory.rewindFailed = false;
        memory.standbyStartFailures.set(0);
        pg.start(source, true);
    }

    private void rewind(Upstream source) throws Exception {
        // An unreachable source says nothing about whether pg_rewind can work: not a rewind failure.
        pg.prepareRewindSource(source);
        try {
            pg.rewindFrom(source, line -> LOG.info("pg_rewind: {}", line.strip()));
        } catch (Exception e) {
            memory.rewindFailed = true;
            throw e;
        }
        memory.rewindFailed = false;
        startStandby(source);
    }

    private void takeOver(ClusterState c, int timeline) throws Exception {
        if (c.config().standby()) {
            if (!acquire()) {
                LOG.info("another member took the leader lease first");
                return;
            }
            // The standby leader takes no writes: it only turns to the primary cluster.
            Upstream up = upstream(c, StandbyCluster.UPSTREAM);
            pg.follow(up);
            followedPrimaryCluster = up;
            LOG.info("became the standby leader: replicating from {}", up.describe());
            return;
        }
        // The lease and the synchronous record naming this member alone in one DCS write: from here
        // on only this member's commits count (see SyncPlanner). Should the promotion not go ahead
        // (the watchdog), promote() puts the last primary's record back before it lets go.
        if (!acquire(onlyMine())) {
            LOG.info("another member took the leader lease first");
            return;
        }
        memory.syncFrom = null;
        runner.submit(LongAction.PROMOTE, () -> promote(c, timeline, true));
    }

    /** The synchronous record of a new primary: its own commits alone count, no standby confirmed yet. */
    private SyncState onlyMine() {
        return new SyncState(cfg.name(), 0, List.of());
    }

    /**
     * The standby leader's upkeep: no watchdog (it takes no writes), the slots of the members that
     * cascade from it, its position for the others' lag checks, and the primary cluster followed
     * where it is now (its DCS may name a new primary after a failover there).
     */
    private void keepStandbyLeading(ClusterState c, LocalState local) throws Exception {
        watchdog.disarm();
        if (!c.initialized()) dcs.completeInitialize(pg.controlData().systemIdentifier());
        if (!local.walPosition().equals(c.leaderOptime())) dcs.publishLeaderOptime(local.walPosition());
        syncSlots(c);
        Upstream want = upstream(c, StandbyCluster.UPSTREAM);
        if (!want.equals(followedPrimaryCluster)) {
            LOG.info("standby leader: now replicating from {}", want.describe());
            pg.follow(want);
            followedPrimaryCluster = want;
        }
        if (c.failover() != null && (stale(c.failover()) || c.failover().abandoned(c.leader()))) dcs.clearFailover();
    }

    /**
     * {@code before}: the timeline this standby was on when the agent decided (its last observation);
     * {@code syncRecorded}: the synchronous record naming this member alone was written with the lease.
     */
    private void promote(ClusterState c, int before, boolean syncRecorded) throws Exception {
        long t0 = System.nanoTime();
        // Armed before PostgreSQL accepts a single write: a frozen agent from here on resets the node.
        if (!watchdog.arm()) {
            // Nothing was promoted: the last primary's synchronous record still says who has its
            // commits, and without it nobody else could be promoted in synchronous mode.
            try {
                if (syncRecorded && !dcs.writeSync(cfg.name(), c.sync()))
                    LOG.warn("could not put the last primary's synchronous record back: the lease is gone already");
            } catch (io.pgha.dcs.DcsException e) {
                LOG.warn("could not put the last primary's synchronous record back: {}", e.getMessage());
            }
            release();
            throw new IllegalStateException(
                    "not promoting: the watchdog is required but cannot be armed (" + watchdog.status() + ")");
        }
        // From here on only this member's commits count: no other member may be taken for synchronous
        // with them until this primary has recorded it (see SyncPlanner). A takeover wrote it with the lease.
        if (!syncRecorded && !dcs.writeSync(cfg.name(), onlyMine())) {
            throw new IllegalStateException("cannot record the synchronous set: the leader lease is no longer held");
        }
        memory.syncFrom = null;
        DynamicConfig dc = c.config();
        String ssn =
                dc.synchronous() && dc.synchronousModeStrict() ? SyncPlanner.render(SyncMode.ON, strictBlock()) : "";
        if (!ssn.equals(pg.synchronousStandbyNames())) pg.setSynchronousStandbyNames(ssn);
        Member old = memory.lastLeader;
        Fencer.Verdict fenced = fencer.beforePromotion(
                c.config().resources().fencing().mode() == io.pgha.core.resource.Fencing.Mode.OFF ? c : dcs.read(),
                cfg.name(),
                old == null ? null : old.name(),
                old);
        if (!fenced.proceed()) throw new IllegalStateException(fenced.summary());
        if (fenced.summary() != null) LOG.warn("{}", fenced.summary());
        pg.seedHistory(c.history(), c.latestTimeline());
        List<String> notStarted = resources.startBeforePromote(c);
        if (!notStarted.isEmpty())
            LOG.error("promoting although resources that come before the promotion did not start: {}", notStarted);
        long t1 = System.nanoTime();
        pg.promote();
        long t2 = System.nanoTime();
        int tl = pg.observe().timeline();
        FailoverRequest fr = c.failover();
        String why = fr == null
                ? "automatic failover"
                : fr.isSwitchover() ? "switchover from " + fr.leader() : "manual failover";
        if (fenced.summary() != null) why = why + "; " + fenced.summary();
        if (tl > before) {
            Lsn sp = pg.switchpoint(tl);
            dcs.appendHistory(new HistoryEntry(tl - 1, sp, why, clock.wallMillis(), cfg.name()));
        }
        if (fr != null && cfg.name().equals(fr.candidate())) dcs.clearFailover();
        LOG.info(
                "promoted to primary on timeline {} ({}; {} ms of checks and records, then {} ms until PostgreSQL"
                        + " accepted writes{})",
                tl,
                why,
                (t1 - t0) / 1_000_000,
                (t2 - t1) / 1_000_000,
                sinceLeaderGone(dcs.leaderGoneNanos(), t2));
        promoted.run(); // routers send new sessions here from now on, not after the checkpoint below
        syncSlots(c);
        // pg_rewind of the old primary reads this node's timeline from pg_control: make it current now.
        pg.checkpoint();
    }

    /**
     * ", N ms after the leader key went" for the promotion's log line: the part of a failover or
     * switchover that followed the DCS's detection (or the old primary's hand-over). Empty when this
     * agent saw no such moment in the last minute before {@code writableNanos}.
     */
    static String sinceLeaderGone(long goneNanos, long writableNanos) {
        long ms = (writableNanos - goneNanos) / 1_000_000L;
        return goneNanos == 0 || ms < 0 || ms > 60_000 ? "" : ", " + ms + " ms after the leader key went";
    }

    private void keepLeading(ClusterState c, LocalState local) throws Exception {
        if (!watchdog.arm()) {
            LOG.error("the watchdog is required but cannot be armed: stopping PostgreSQL and giving up the lease");
            if (standDown.stopAndDisarm()) release();
            return;
        }
        if (!c.initialized()) {
            LOG.warn("the initialize key is missing from the DCS: restoring it from this primary");
            dcs.completeInitialize(pg.controlData().systemIdentifier());
        }
        if (!local.walPosition().equals(c.leaderOptime())) dcs.publishLeaderOptime(local.walPosition());
        syncSlots(c);
        manageSync(c, local);
        FailoverRequest fr = c.failover();
        if (fr != null && (cfg.name().equals(fr.candidate()) || stale(fr) || fr.abandoned(c.leader()))) {
            LOG.info(
                    "clearing {} failover request",
                    stale(fr)
                            ? "a stale"
                            : fr.abandoned(c.leader())
                                    ? "an abandoned (its primary " + fr.leader() + " is gone)"
                                    : "a fulfilled");
            dcs.clearFailover();
        }
    }

    private SyncState strictBlock() {
        return new SyncState(cfg.name(), 1, List.of(SyncPlanner.NO_STANDBY));
    }

    /** synchronous_standby_names for a primary restarting in place: what its DCS record allows. */
    String restartValue(ClusterState c) {
        DynamicConfig dc = c.config();
        SyncState rec = c.sync();
        if (cfg.name().equals(rec.leader()) && rec.quorum() > 0) {
            return SyncPlanner.render(dc.synchronousMode() == SyncMode.QUORUM ? SyncMode.QUORUM : SyncMode.ON, rec);
        }
        return dc.synchronous() && dc.synchronousModeStrict() ? SyncPlanner.render(SyncMode.ON, strictBlock()) : "";
    }

    /**
     * Moves synchronous replication one or more safe steps towards what the config and the
     * streaming standbys call for; every step is one of {@link SyncPlanner}'s.
     */
    private void manageSync(ClusterState c, LocalState local) throws Exception {
        List<SyncPlanner.Replica> replicas = pg.replicas();
        Map<String, Lsn> flush = new HashMap<>();
        for (SyncPlanner.Replica r : replicas) if (r.streaming()) flush.put(r.name(), r.flush());
        SyncState record = c.sync();
        String pgValue = pg.synchronousStandbyNames();
        if (memory.syncFrom == null) memory.syncFrom = local.walPosition();
        for (int i = 0; i < 4; i++) {
            SyncPlanner.Target t = SyncPlanner.target(cfg.name(), c.config(), c.members(), replicas, record);
            SyncPlanner.Step step = SyncPlanner.next(
                    cfg.name(), c.config().synchronousMode(), t, record, pgValue, flush, memory.syncFrom);
            if (step instanceof SyncPlanner.SetPostgres set) {
                LOG.info("{}", set.reason());
                memory.syncFrom = pg.setSynchronousStandbyNames(set.value());
                pgValue = set.value();
                pg.nudgeStandbys();
            } else if (step instanceof SyncPlanner.WriteDcs w) {
                if (!dcs.writeSync(cfg.name(), w.record())) {
                    LOG.warn("could not record the synchronous set: the leader lease is no longer held");
                    return;
                }
                LOG.info("{}", w.reason());
                record = w.record();
            } else {
                if (!step.reason().equals(memory.lastSyncReason))
                    LOG.info("synchronous replication: {}", step.reason());
                memory.lastSyncReason = step.reason();
                return;
            }
        }
    }

    private void syncSlots(ClusterState c) {
        slots.onPrimary(c);
    }

    private boolean stale(FailoverRequest fr) {
        return clock.wallMillis() - Math.max(fr.requestedAt(), fr.scheduledAt()) > cfg.primaryStartTimeoutMs() + 30_000;
    }

    private void demote(boolean forSwitchover, long drain) throws Exception {
        // Down before the demotion (a VIP, a switchover script), and the record says so before the
        // lease goes: the new primary starts them only once no other member may hold them.
        List<String> stuck = resources.stopWithPrimary(forSwitchover ? "switchover" : "demotion");
        if (!stuck.isEmpty()) LOG.error("resources with the primary that did not stop: {}", stuck);
        publishNow.run();
        if (!forSwitchover) {
            LOG.warn("demoting: stopping PostgreSQL immediately");
            if (standDown.stopAndDisarm() && lease.held()) release();
            return;
        }
        // A checkpoint while writes still flow leaves little for the shutdown checkpoint to flush,
        // which is the part of the switchover during which nobody can write.
        pg.checkpoint();
        // Writes went on during the checkpoint. Now routers hold new sessions and close each routed
        // session at its next transaction boundary; transactions already open may finish first.
        dcs.updateFailover(FailoverRequest::withDraining);
        if (drain > 0) {
            int left = pg.awaitOpenTransactions(drain);
            if (left > 0)
                LOG.warn("switchover: {} transaction(s) still open after {} ms; the shutdown ends them", left, drain);
        }
        LOG.info("switchover: shutting PostgreSQL down cleanly so that the standbys receive all WAL");
        long t0 = System.nanoTime();
        // Handed over as soon as the shutdown checkpoint is written, the last WAL record: nothing can
        // be written any more, and the new primary promotes only after replaying up to it.
        Lsn stoppedAt = pg.stopForHandOver();
        long t1 = System.nanoTime();
        long t2;
        try {
            watchdog.disarm();
            // The stop position and the lease's release in one DCS transaction: the target sees both
            // at once, a round trip or two sooner.
            release(fr -> fr.withStoppedAt(stoppedAt));
            t2 = System.nanoTime();
        } finally {
            pg.awaitStopped(); // before this member starts PostgreSQL again, as a standby
        }
        long t3 = System.nanoTime();
        LOG.info(
                "switchover: stopped at checkpoint {}, lease released (shutdown checkpoint {} ms after the stop"
                        + " began, hand-over {} ms; the postmaster exited {} ms later)",
                stoppedAt,
                (t1 - t0) / 1_000_000,
                (t2 - t1) / 1_000_000,
                (t3 - t2) / 1_000_000);
    }
}
