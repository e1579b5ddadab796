package io.pgha.agent;

import io.pgha.core.PghaVersion;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.Decider;
import io.pgha.core.decide.Decision;
import io.pgha.core.decide.LocalState;
import io.pgha.core.decide.LongAction;
import io.pgha.core.decide.Observation;
import io.pgha.core.decide.Settings;
import io.pgha.core.model.ArchiveStatus;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.ScheduledRestart;
import io.pgha.core.model.StandbyCluster;
import io.pgha.core.time.Clock;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.postgres.PostgresControl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's agent. Each cycle (every {@code loop_wait}, or at once when the DCS changes or an
 * action ends) it builds one {@link Observation}, asks the pure {@link Decider} for a decision,
 * publishes this member with the decision's reason and hands the decision to the {@link Executor}.
 * The {@link LeaseGuard} renews and enforces the leader lease on its own threads.
 *
 * <p>The agent is built from {@link Parts}: the DCS, PostgreSQL control, the watchdog, the peer
 * client and the clock. {@link #run()} builds the real ones ({@link ProductionParts}); component
 * tests pass fakes to {@link #Agent(NodeConfig, Parts, java.util.concurrent.ExecutorService)} and drive {@link #cycle()} and the lease
 * guard's steps themselves, in milliseconds and without threads.
 */
public final class Agent implements AutoCloseable, AgentView {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** Unchanged member records are still rewritten this often, so that updatedAt shows the agent lives. */
    private static final long REPUBLISH_NANOS = 10_000_000_000L;

    private static final long REQUESTED_CANDIDATE_WAIT_MS = 20;

    /**
     * What an agent is built from.
     *
     * @param embedded what else the agent owns and closes last (an embedded ZooKeeper peer), or null
     */
    public record Parts(
            PostgresControl postgres, Dcs dcs, Watchdog watchdog, Peers peers, Clock clock, AutoCloseable embedded) {}

    private final NodeConfig cfg;
    /** {@code cfg} with what SIGHUP reloaded (tags, REST credentials, PostgreSQL parameters). */
    private volatile NodeConfig current;

    private final Executor.Memory memory = new Executor.Memory();
    private final ColdStart coldStart = new ColdStart();
    private final NativeHeap nativeHeap = NativeHeap.glibc();
    private final PrimaryClusterSource primaryCluster;
    private final Object wake = new Object();
    /** Whether {@link Peers#warmUp} ran (once per agent, at its first cycle as a running standby). */
    private boolean peersWarmed;

    private volatile PostmasterWatch postmasterWatch;
    private volatile ArchiveServerKeeper archiveServer;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Parts parts;
    private Clock clock = Clock.SYSTEM;
    private Lease lease;
    /** Volatile: the control socket's reads ({@link #connectedDcs}) come from other threads. */
    private volatile Dcs dcs;

    private PostgresControl pg;
    private Watchdog watchdog;
    private Failsafe failsafe;
    private ActionRunner runner;
    private Executor executor;
    private LeaseGuard guard;
    private RestApi api;
    private ResourceManager resources;
    private volatile SetsKeeper sets;
    private final RoleHooks hooks = new RoleHooks(this::config);
    private ResourceManager.Drivers resourceDrivers = ResourceManager::production;
    private volatile boolean running = true;
    /** {@link #run()} runs the loop on the caller's thread: {@link #close()} waits for it to end. */
    private volatile boolean looping;

    private volatile boolean woken;
    private volatile Member lastPublished;
    private volatile ClusterState lastCluster = ClusterState.empty();
    private volatile LocalState lastLocal = LocalState.noData();
    private volatile long lastCycleNanos = System.nanoTime();
    private String lastReason = "";
    private long lastPublishNanos;
    private volatile ArchiveStatus archiveStatus;
    private volatile long archiveStatusAt;
    private volatile boolean pendingRestart;
    private final AtomicReference<ScheduledRestart> scheduledRestart = new AtomicReference<>();
    private long pendingRestartAt;
    private volatile long dcsLastSeenMillis;
    private volatile boolean failsafeActive;
    private long lastHandOverNanos = Long.MIN_VALUE / 2;

    /** An agent whose parts {@link #run()} builds from the config. */
    public Agent(NodeConfig cfg) {
        this.cfg = cfg;
        this.primaryCluster = new PrimaryClusterSource(cfg);
    }

    /**
     * An agent of the given parts, assembled at once, with no thread started: the caller drives
     * {@link #cycle()} and {@link #leaseGuard()}; long actions run on {@code actions}.
     */
    Agent(NodeConfig cfg, Parts parts, java.util.concurrent.ExecutorService actions) {
        this.cfg = cfg;
        this.primaryCluster = new PrimaryClusterSource(cfg);
        assemble(parts, new ActionRunner(this::wakeUp, actions));
    }

    @Override
    public NodeConfig config() {
        NodeConfig c = current;
        return c != null ? c : cfg;
    }

    /**
     * Takes what can change without a restart from {@code fresh} (the config file read again, on
     * SIGHUP): tags, the REST API's credentials, PostgreSQL's parameters and pg_hba lines (rewritten
     * and reloaded at once), logging, {@code timing.loop_wait} within the running ttl, {@code
     * primary_start_timeout} and {@code remove_data_directory_on_rewind_failure}. Every other
     * difference is left as it was and named in the result.
     */
    public NodeConfig.Reload reload(NodeConfig fresh) {
        NodeConfig.Reload r = config().reloaded(fresh);
        current = r.config();
        if (r.applied().contains("postgresql.parameters") || r.applied().contains("postgresql.pg_hba")) {
            try {
                if (pg != null) pg.nodeSettings(r.config().postgresql());
            } catch (Exception e) {
                LOG.warn("cannot apply the node's PostgreSQL settings: {}", e.getMessage());
            }
        }
        LOG.info(
                "configuration reloaded: {}{}",
                r.applied().isEmpty() ? "nothing to apply" : "applied " + String.join(", ", r.applied()),
                r.needRestart().isEmpty()
                        ? ""
                        : "; these changes need an agent restart and were not applied: "
                                + String.join(", ", r.needRestart()));
        wakeUp();
        return r;
    }

    /** Starts every part (embedded ZooKeeper peer, DCS client, REST API, lease guard) and runs the loop. */
    public void run() throws Exception {
        looping = true;
        try {
            assemble(ProductionParts.build(cfg), new ActionRunner(this::wakeUp));
            guard.start();
            postmasterWatch = new PostmasterWatch(
                    pg::postmasterPid,
                    io.pgha.postgres.Processes::alive,
                    io.pgha.postgres.Processes::exitOf,
                    this::wakeUp);
            postmasterWatch.start();
            if (cfg.archive() != null) {
                archiveServer = new ArchiveServerKeeper(cfg, ArchiveServerKeeper.command(cfg), pg::postmasterPid);
                archiveServer.start();
            }
            resources.start();
            sets = new SetsKeeper(cfg, () -> lastCluster.config().sets(), this::leaseValid);
            sets.start();
            api = new RestApi(this, new ClusterControl(dcs, clock::wallMillis));
            api.start();
            // A DCS that grants another session timeout or lease TTL than timing.ttl is refused here, before
            // the first cycle, where this member could take the lease; one that does not answer yet is waited
            // for by the loop.
            try {
                dcs.checkSession(cfg.timing().ttlMs());
            } catch (DcsException e) {
                throw new IllegalStateException(e.getMessage());
            }
            LOG.info(
                    "agent {} of cluster {} started; REST API on {}",
                    cfg.name(),
                    cfg.cluster(),
                    cfg.restapi().url());
            loop();
        } finally {
            stopped.countDown();
        }
    }

    private void assemble(Parts p, ActionRunner actions) {
        parts = p;
        clock = p.clock();
        lease = new Lease(clock::nanoTime);
        dcs = p.dcs();
        pg = p.postgres();
        watchdog = p.watchdog();
        failsafe = new Failsafe(cfg, dcs, p.peers(), clock, () -> lastCluster);
        // a primary this member confirmed in failsafe mode keeps its key when the DCS comes back
        dcs.endUnrenewedLeasesWhile(() -> failsafe.holdsPromotion() == null);
        dcs.onChange(this::wakeUp);
        runner = actions;
        resources = new ResourceManager(
                cfg.name(),
                clock,
                spec -> resourceDrivers.create(spec),
                this::leaseValid,
                () -> dcs.connected(),
                this::wakeUp);
        // The lease is gone: pgha's addresses go at once, the other resources with the primary together with
        // PostgreSQL.
        java.util.function.BooleanSupplier standDown = () -> {
            resources.leaseLost();
            return pg.stopImmediately();
        };
        executor = new Executor(
                cfg,
                dcs,
                pg,
                lease,
                runner,
                clock,
                memory,
                watchdog,
                primaryCluster,
                resources,
                standDown,
                this::publishNow);
        executor.onPromoted(this::publishPromoted);
        executor.onRestarted(() -> {
            LocalState now = pg.observe();
            hooks.restarted(now, standbyLeader(lastCluster, now, leaseValid()));
        });
        guard = new LeaseGuard(cfg.name(), dcs, lease, cfg.timing(), standDown, this::wakeUp, watchdog);
        guard.failsafe(failsafe::confirmPrimary, () -> lastCluster.config().failsafeMode());
    }

    /** How resources are driven (tests fake them); before the first cycle. */
    void resourceDrivers(ResourceManager.Drivers d) {
        resourceDrivers = d;
    }

    /** Patroni-style callbacks (tests wait for them). */
    RoleHooks hooks() {
        return hooks;
    }

    /** The resource manager (tests drive its ticks). */
    ResourceManager resources() {
        return resources;
    }

    /** The lease guard, for tests that drive its steps. */
    LeaseGuard leaseGuard() {
        return guard;
    }

    /** The lease, for tests. */
    Lease lease() {
        return lease;
    }

    private void loop() {
        while (running) {
            try {
                cycle();
            } catch (Exception e) {
                LOG.error("cycle failed: {}", e.getMessage());
                LOG.debug("cycle failure", e);
            }
            boolean candidate = candidateOfPendingRequest();
            if (!candidate) nativeHeap.trimIfDue();
            pause(candidate ? REQUESTED_CANDIDATE_WAIT_MS : config().timing().loopWaitMs());
        }
    }

    /**
     * While a switchover or failover names this member, it re-checks quickly: it waits on its own
     * replay (which no DCS event announces), and every millisecond here is write unavailability.
     */
    private boolean candidateOfPendingRequest() {
        var fr = lastCluster.failover();
        return fr != null && cfg.name().equals(fr.candidate()) && !cfg.name().equals(lastCluster.leader());
    }

    private void pause(long ms) {
        synchronized (wake) {
            long until = System.nanoTime() + ms * 1_000_000L;
            while (!woken && running) {
                long left = (until - System.nanoTime()) / 1_000_000L;
                if (left <= 0) break;
                try {
                    wake.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
            woken = false;
        }
    }

    void wakeUp() {
        synchronized (wake) {
            woken = true;
            wake.notifyAll();
        }
    }

    // ------------------------------------------------------------------ one cycle: observe, decide, act

    /** One cycle: observe, decide, publish, act. Returns the decision (for tests). */
    Decision cycle() throws Exception {
        lastCycleNanos = clock.nanoTime();
        ClusterState c;
        boolean reachable = true;
        try {
            c = dcs.read();
            lastCluster = c;
            dcsLastSeenMillis = clock.wallMillis();
            if (c.leader() != null && !c.leader().equals(cfg.name()))
                c.leaderMember().ifPresent(m -> memory.lastLeader = m);
            failsafe.saw(c.members().values());
        } catch (DcsException e) {
            LOG.warn("{}", e.getMessage());
            c = lastCluster;
            reachable = false;
        }
        LongAction action = runner.current();
        LocalState local = action == null ? pg.observe() : lastLocal;
        lastLocal = local;
        if (action == null) checkPendingRestart(local);
        if (action == null)
            hooks.observed(
                    local, standbyLeader(c, local, lease.valid() && cfg.name().equals(c.leader())));
        if (action == null) restartIfDue(local);
        boolean leaseHeld = lease.valid() && cfg.name().equals(c.leader());
        boolean failsafeOn = !reachable && failsafe.confirmed();
        failsafeActive = failsafeOn;
        trackPrimaryDown(local);
        Observation o = new Observation(
                cfg.name(),
                config().tags(),
                reachable,
                c,
                local,
                leaseHeld,
                action,
                clock.wallMillis(),
                peerPositions(c, local, reachable, action),
                primaryDownForMs(local),
                memory.rewindFailed,
                memory.standbyStartFailures.get(),
                new Settings(config().primaryStartTimeoutMs(), 30_000, config().recloneOnRewindFailure()),
                fencingProblem(),
                failsafeOn,
                coldStart.observe(c, local, leaseHeld, reachable));
        Decision d = Decider.decide(o);
        String reason = d.reason()
                + (runner.lastFailure() != null && action == null
                        ? " (last action: " + runner.lastFailure() + ")"
                        : "");
        if (!reason.equals(lastReason)) {
            LOG.info("{}: {}", d.getClass().getSimpleName(), reason);
            lastReason = reason;
        }
        if (reachable && action == null) applyClusterSettings(c);
        if (reachable) {
            resources.update(c, local.runningPrimary() && leaseHeld);
            if (action == null && leaseHeld && local.runningPrimary()) handOverForResources(c);
        }
        // A bootstrap starts before this member's record is published: its claim on the initialize key
        // is what decides between members, and the first publication of a new agent (its ACL check, the
        // record's first serialization, the first writes of a cold client) took 250-300 ms of a demo's start.
        boolean actFirst = reachable && d instanceof Decision.Bootstrap;
        if (actFirst) executor.execute(d, c, local);
        Member me = member(local, action, reason, standbyLeader(c, local, leaseHeld) ? pg.upstreamPosition() : null);
        Member before = lastPublished;
        lastPublished = me;
        if (!reachable) return d;
        if (changed(before, me)
                || clock.nanoTime() - lastPublishNanos > REPUBLISH_NANOS
                || !c.members().containsKey(cfg.name())) {
            dcs.publishMember(me);
            lastPublishNanos = clock.nanoTime();
        }
        if (!peersWarmed && action == null && local.runningStandby()) {
            // A standby takes part in leader races: their calls to the other members run warm.
            peersWarmed = true;
            parts.peers().warmUp(me);
        }
        if (!actFirst) executor.execute(d, c, local);
        return d;
    }

    /**
     * The resource plan asks this primary to hand its role over: a critical resource cannot run here,
     * or primary_placement prefers another member by more than the stickiness. Asked as a switchover
     * (the standby must be healthy and streaming), at most once every 30 s, never while paused or while
     * another switchover or failover is pending.
     */
    private void handOverForResources(ClusterState c) {
        var plan = resources.lastPlan();
        if (plan == null || c.config().paused() || c.failover() != null) return;
        String why = plan.giveUpPrimary() != null
                ? plan.giveUpPrimary()
                : plan.failbackTo() != null ? "primary_placement prefers " + plan.failbackTo() : null;
        if (why == null || clock.nanoTime() - lastHandOverNanos < 30_000_000_000L) return;
        lastHandOverNanos = clock.nanoTime();
        try {
            var fr = new ClusterControl(dcs, clock::wallMillis)
                    .switchover(cfg.name(), plan.giveUpPrimary() != null ? null : plan.failbackTo(), 0);
            LOG.warn("handing the primary role to {}: {}", fr.candidate(), why);
        } catch (Exception e) {
            LOG.warn("cannot hand the primary role over ({}): {}", why, e.getMessage());
        }
    }

    /**
     * Live positions of the other members, asked only in a leader race: a manual failover candidate
     * in synchronous mode must compare itself with the other synchronous standbys; a switchover
     * candidate need not (it replays the old primary's shutdown checkpoint).
     */
    private Map<String, Lsn> peerPositions(ClusterState c, LocalState local, boolean reachable, LongAction action) {
        var fr = c.failover();
        boolean candidateNamed = fr != null && fr.candidate() != null;
        boolean mustCompare = !candidateNamed
                || (c.config().synchronous() && !fr.isSwitchover() && cfg.name().equals(fr.candidate()));
        if (!reachable || action != null || c.leader() != null || !local.runningStandby() || !mustCompare)
            return Map.of();
        List<Member> others = new ArrayList<>(c.members().values());
        others.removeIf(m -> m.name().equals(cfg.name()));
        return parts.peers().positions(others, 1000);
    }

    private String fencingProblem() {
        String w = watchdog.blocksPromotion();
        return w != null ? w : failsafe.holdsPromotion();
    }

    /** Whether two publications differ in more than their timestamp. */
    private static boolean changed(Member a, Member b) {
        return a == null || !a.equals(b.withUpdatedAt(a.updatedAt()));
    }

    private void trackPrimaryDown(LocalState local) {
        if (lease.held() && !local.running()) {
            if (memory.primaryDownSinceNanos == 0) memory.primaryDownSinceNanos = clock.nanoTime();
        } else {
            memory.primaryDownSinceNanos = 0;
        }
    }

    private long primaryDownForMs(LocalState local) {
        long since = memory.primaryDownSinceNanos;
        return since == 0 || local.running() ? 0 : (clock.nanoTime() - since) / 1_000_000L;
    }

    /** The cluster-wide PostgreSQL settings of the DCS, reloaded within this cycle when they changed. */
    private void applyClusterSettings(ClusterState c) {
        try {
            if (pg.clusterSettings(c.config().postgresql()))
                LOG.info(
                        "cluster-wide PostgreSQL settings changed: {}",
                        c.config().postgresql().parameters().keySet());
        } catch (Exception e) {
            LOG.warn("cannot apply the cluster-wide PostgreSQL settings: {}", e.getMessage());
        }
    }

    private static boolean standbyLeader(ClusterState c, LocalState local, boolean leaseHeld) {
        return c.config().standby() && leaseHeld && local.runningStandby();
    }

    private Member member(LocalState local, LongAction action, String reason, Lsn upstreamPosition) {
        Role role = !local.running() ? Role.UNKNOWN : local.inRecovery() ? Role.STANDBY : Role.PRIMARY;
        MemberState state = action != null
                ? action.memberState()
                : local.running()
                        ? (local.replaying() ? MemberState.REPLAYING : MemberState.RUNNING)
                        : local.postmasterAlive() ? MemberState.STARTING : MemberState.STOPPED;
        return new Member(
                cfg.name(),
                cfg.restapi().url(),
                cfg.postgresql().connectAddress(),
                cfg.postgresql().port(),
                role,
                state,
                local.timeline(),
                local.walPosition(),
                local.replayPosition(),
                local.running() && local.inRecovery() ? local.following() : null,
                local.streaming(),
                config().tags(),
                reason,
                clock.wallMillis(),
                watchdog.status(),
                archiveStatus(local),
                upstreamPosition,
                local.running() && pendingRestart,
                PghaVersion.current(),
                scheduledRestart.get(),
                resources.published());
    }

    /**
     * Carries out the scheduled restart when it is due and its conditions still hold; a due restart
     * whose conditions no longer hold, or that cannot start, is dropped with the reason in the log.
     */
    private void restartIfDue(LocalState local) {
        ScheduledRestart r = scheduledRestart.get();
        if (r == null || !r.due(clock.wallMillis())) return;
        if (!scheduledRestart.compareAndSet(r, null)) return;
        String skip =
                !local.running() ? "PostgreSQL is not running" : r.skipReason(!local.inRecovery(), pendingRestart);
        if (skip != null) {
            LOG.info("scheduled restart for {} skipped: {}", r.describe(), skip);
            return;
        }
        try {
            requestRestart();
            LOG.info("scheduled restart for {} started", r.describe());
        } catch (ControlException e) {
            LOG.warn("scheduled restart for {} not carried out: {}", r.describe(), e.getMessage());
        }
    }

    @Override
    public void scheduleRestart(ScheduledRestart r) throws ControlException {
        if (r.at() < clock.wallMillis() - 1000)
            throw new ControlException("the scheduled time " + java.time.Instant.ofEpochMilli(r.at()) + " has passed");
        if (!scheduledRestart.compareAndSet(null, r)) {
            throw new ControlException("a restart is already scheduled on " + cfg.name() + " for "
                    + scheduledRestart.get().describe() + "; cancel it first (pgha restart --cancel)");
        }
        LOG.info("restart scheduled for {}", r.describe());
        wakeUp();
    }

    @Override
    public Map<String, io.pgha.core.config.ParameterCheck.Setting> settingsCatalog() throws ControlException {
        String unchecked =
                "; send the change to a member whose PostgreSQL runs, or add ?check=false to write it unchecked";
        if (!lastLocal.running())
            throw new ControlException(
                    "cannot check the settings: PostgreSQL is not running on " + cfg.name() + unchecked);
        try {
            return pg.settingsCatalog();
        } catch (java.sql.SQLException e) {
            throw new ControlException("cannot check the settings against PostgreSQL on " + cfg.name() + ": "
                    + e.getMessage() + unchecked);
        }
    }

    @Override
    public void cleanupResource(String name) throws ControlException {
        if (!resources.cleanup(name))
            throw new ControlException("no resource named '" + name + "' on " + cfg.name() + " (resources: "
                    + lastCluster.config().resources().resources().keySet() + ")");
    }

    @Override
    public Optional<ScheduledRestart> cancelScheduledRestart() {
        ScheduledRestart r = scheduledRestart.getAndSet(null);
        if (r != null) {
            LOG.info("scheduled restart for {} cancelled", r.describe());
            wakeUp();
        }
        return Optional.ofNullable(r);
    }

    /** The primary's archiving, looked up at most once a second (null without an archive: section). */
    private ArchiveStatus archiveStatus(LocalState local) {
        if (cfg.archive() == null || !local.runningPrimary()) return null;
        long now = clock.nanoTime();
        if (archiveStatus == null || now - archiveStatusAt > 1_000_000_000L) {
            archiveStatus = pg.archiveStatus();
            archiveStatusAt = now;
        }
        return archiveStatus;
    }

    /**
     * Asks the running server whether settings wait for a restart, at most every 5 s (for the
     * metrics and the member record, so no cycle should pay for it more often), on the loop's
     * thread: the only one that uses PostgreSQL's connection while no action runs.
     */
    private void checkPendingRestart(LocalState local) {
        long now = clock.nanoTime();
        if (!local.running()) {
            pendingRestart = false;
            pendingRestartAt = 0; // asked again as soon as it runs
        } else if (pendingRestartAt == 0 || now - pendingRestartAt > 5_000_000_000L) {
            pendingRestart = pg.pendingRestart();
            pendingRestartAt = now;
        }
    }

    @Override
    public boolean pendingRestart() {
        return pendingRestart;
    }

    @Override
    public long dcsLastSeenMillis() {
        return dcsLastSeenMillis;
    }

    @Override
    public boolean failsafeActive() {
        return failsafeActive;
    }

    /** The last archive status this agent published (null when it is not an archiving primary). */
    public ArchiveStatus lastArchiveStatus() {
        return archiveStatus;
    }

    /**
     * Publishes this member as a running primary right after its promotion, on the action thread
     * (the only one using PostgreSQL while an action runs), so that routers need not wait for the
     * rest of the promote action and the next cycle. The next cycle publishes as usual.
     */
    private void publishPromoted() {
        try {
            hooks.promoted();
            dcs.publishMember(member(pg.observe(), null, "promoted: primary holding the leader lease", null));
            // resources with the primary come up now, not a cycle later
            if (!lastCluster.config().resources().resources().isEmpty()) resources.update(dcs.read(), true);
        } catch (DcsException e) {
            LOG.debug("early publication after promotion failed: {}", e.getMessage());
        }
    }

    /**
     * Publishes this member's record at once (after the resources with the primary stopped before a
     * demotion, so that the new primary need not wait a cycle to see them stopped).
     */
    private void publishNow() {
        try {
            Member m = member(lastLocal, runner.current(), lastReason, null);
            lastPublished = m;
            dcs.publishMember(m);
        } catch (DcsException e) {
            LOG.debug("publication failed: {}", e.getMessage());
        }
    }

    // ------------------------------------------------------------------ for the REST API

    /** This member as last published (or computed while the DCS was unreachable). */
    @Override
    public Member status() {
        return lastPublished;
    }

    @Override
    public ClusterState cluster() {
        return lastCluster;
    }

    /**
     * The agent's DCS client while its session is up, for reads made on behalf of a local CLI
     * ({@link ControlSocket}); null before {@link #run()} has built it and while the session is down,
     * so that the CLI reads the DCS itself and reports what it finds.
     */
    public Dcs connectedDcs() {
        Dcs d = dcs;
        return d != null && d.connected() ? d : null;
    }

    @Override
    public LocalState local() {
        return lastLocal;
    }

    @Override
    public java.util.List<io.pgha.logical.SetStatus> sets() {
        SetsKeeper k = sets;
        return k == null ? java.util.List.of() : k.status();
    }

    @Override
    public boolean leaseValid() {
        return lease != null && lease.valid() && cfg.name().equals(lastCluster.leader());
    }

    /** The loop ran within the last ttl. */
    @Override
    public boolean alive() {
        return clock.nanoTime() - lastCycleNanos < cfg.timing().ttlMs() * 1_000_000L;
    }

    @Override
    public boolean acceptFailsafe(String leader) {
        return failsafe.accept(leader);
    }

    /** Rewrites PostgreSQL's config files and reloads it (REST {@code POST /reload}). */
    @Override
    public void requestReload() throws ControlException {
        if (!lastLocal.running()) throw new ControlException("PostgreSQL is not running on " + cfg.name());
        if (runner.current() != null) throw new ControlException(runner.current() + " is in progress on " + cfg.name());
        try {
            pg.reload();
            LOG.info("PostgreSQL reloaded its configuration (requested)");
            hooks.reloaded();
        } catch (Exception e) {
            throw new ControlException("cannot reload PostgreSQL on " + cfg.name() + ": " + e.getMessage());
        }
    }

    /** Restarts PostgreSQL in its current role (REST {@code POST /restart}). */
    @Override
    public void requestRestart() throws ControlException {
        LocalState local = lastLocal;
        if (!local.running()) throw new ControlException("PostgreSQL is not running on " + cfg.name());
        ClusterState c = lastCluster;
        var up = local.inRecovery()
                        && (c.member(local.following()).isPresent()
                                || StandbyCluster.UPSTREAM.equals(local.following()))
                ? executor.upstream(c, local.following())
                : null;
        if (!executor.restart(up, local.inRecovery())) {
            throw new ControlException(runner.current() + " is in progress on " + cfg.name());
        }
    }

    /** Wipes the data directory and clones it again from the primary (REST {@code POST /reinitialize}). */
    @Override
    public void requestReinitialize() throws ControlException {
        ClusterState c = lastCluster;
        if (cfg.name().equals(c.leader()))
            throw new ControlException(cfg.name() + " is the primary; reinitialize a standby");
        Member leader = c.leaderMember()
                .filter(m -> m.isRunningPrimary() || (c.config().standby() && m.isRunningStandby()))
                .orElseThrow(() -> new ControlException("no running primary to clone from"));
        if (!executor.reclone(Executor.memberUpstream(c, leader.name()))) {
            throw new ControlException(runner.current() + " is in progress on " + cfg.name());
        }
    }

    public void stop() {
        running = false;
        wakeUp();
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Stops the loop, then PostgreSQL (fast), gives the lease up and stops every part. While the
     * cluster is paused PostgreSQL is left running and the lease left to expire. When PostgreSQL
     * cannot be stopped, the fence holds: the watchdog stays armed and the lease is left to expire.
     */
    @Override
    public void close() {
        stop();
        if (looping) awaitLoop();
        if (runner != null) runner.close();
        if (guard != null) guard.close();
        if (postmasterWatch != null) postmasterWatch.close();
        primaryCluster.close();
        // In maintenance mode an agent may be stopped (to upgrade it, say) without touching PostgreSQL:
        // nobody promotes while paused, and the restarted agent takes its lease back.
        boolean leaveRunning = lastCluster.config().paused();
        if (leaveRunning) LOG.info("cluster is paused: leaving PostgreSQL running");
        if (!leaveRunning && resources != null) resources.stopWithPrimary("the agent is stopping");
        boolean pgStopped = leaveRunning || pg == null || pg.stopCleanlyOrAtOnce();
        // after PostgreSQL: its shutdown archives the last segments through the server
        if (archiveServer != null) archiveServer.close();
        if (!leaveRunning && resources != null) resources.stopAll("the agent is stopping");
        if (resources != null) resources.close();
        if (sets != null) sets.close();
        hooks.close();
        if (pg != null) pg.close();
        if (!pgStopped && lease.held()) {
            // The watchdog stays armed (and unfed, so it resets this machine) and the lease is neither
            // released nor ended with a closed session; it expires after its ttl.
            LOG.error("PostgreSQL could not be stopped: leaving the watchdog armed and the leader lease to expire");
            if (api != null) api.close();
            return;
        }
        // Disarmed only now: PostgreSQL is stopped (or, paused, the lease is left to expire and nobody
        // promotes), and a watchdog left armed by an exiting agent would reset the machine.
        if (watchdog != null) watchdog.disarm();
        if (dcs != null) {
            try {
                if (lease.held() && !leaveRunning) dcs.releaseLeader(cfg.name());
            } catch (DcsException e) {
                LOG.warn("releasing the lease: {}", e.getMessage());
            }
            lease.released();
            dcs.close();
        }
        if (api != null) api.close();
        closeEmbedded();
        LOG.info("agent {} stopped", cfg.name());
    }

    private void awaitLoop() {
        try {
            stopped.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeEmbedded() {
        if (parts == null || parts.embedded() == null) return;
        try {
            parts.embedded().close();
        } catch (Exception e) {
            LOG.warn("stopping the embedded ZooKeeper: {}", e.getMessage());
        }
    }
}
