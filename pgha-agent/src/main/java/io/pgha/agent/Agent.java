package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.Decider;
import io.pgha.core.decide.Decision;
import io.pgha.core.decide.LocalState;
import io.pgha.core.decide.Observation;
import io.pgha.core.decide.Settings;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.dcs.ZooKeeperAccess;
import io.pgha.dcs.ZooKeeperDcs;
import io.pgha.postgres.Binaries;
import io.pgha.postgres.LocalPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's agent. Each cycle (every {@code loop_wait}, or at once when the DCS changes or an
 * action ends) it builds one {@link Observation}, asks the pure {@link Decider} for a decision,
 * publishes this member with the decision's reason and hands the decision to the {@link Executor}.
 * The {@link LeaseGuard} renews and enforces the leader lease on its own threads.
 */
public final class Agent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

  private final NodeConfig cfg;
  private final Lease lease = new Lease(System::nanoTime);
  private final Executor.Memory memory = new Executor.Memory();
  private final PeerClient peers = new PeerClient();
  private final Object wake = new Object();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private EmbeddedZooKeeper zookeeper;
  private Dcs dcs;
  private LocalPostgres pg;
  private ActionRunner runner;
  private Executor executor;
  private LeaseGuard guard;
  private RestApi api;
  private Watchdog watchdog;
  private volatile boolean running = true;
  private volatile boolean woken;
  private volatile Member lastPublished;
  private volatile ClusterState lastCluster = ClusterState.empty();
  private volatile LocalState lastLocal = LocalState.noData();
  private volatile long lastCycleNanos = System.nanoTime();
  private String lastReason = "";
  private long lastPublishNanos;
  /** Unchanged member records are still rewritten this often, so that updatedAt shows the agent lives. */
  private static final long REPUBLISH_NANOS = 10_000_000_000L;
  private static final long REQUESTED_CANDIDATE_WAIT_MS = 50;
  /** Failsafe: every member confirmed this primary in the last attempt. */
  private volatile boolean failsafeConfirmed;
  /** How long a member that vanished from the DCS must still confirm a primary in failsafe mode. */
  static final long FAILSAFE_MEMBER_MEMORY_MS = 60_000;
  private final RecentMembers recentMembers = new RecentMembers(FAILSAFE_MEMBER_MEMORY_MS);
  /** Failsafe: this member confirmed {@link #failsafeLeader} and must not promote before this time. */
  private volatile long failsafeHoldUntilNanos;
  private volatile String failsafeLeader;

  public Agent(NodeConfig cfg) {
    this.cfg = cfg;
  }

  public NodeConfig config() {
    return cfg;
  }

  /** Starts every part (embedded ZooKeeper peer, DCS client, REST API, lease guard) and runs the loop. */
  public void run() throws Exception {
    try {
      start();
      loop();
    } finally {
      stopped.countDown();
    }
  }

  private void start() throws Exception {
    Binaries bin = Binaries.locate(cfg.binDir());
    pg = new LocalPostgres(cfg, bin);
    pg.prepare();
    String archiveProblem = pg.checkArchiveCommand();
    if (archiveProblem != null) LOG.error(archiveProblem);
    if (cfg.dcs().embedded() != null) {
      var e = cfg.dcs().embedded();
      LOG.info("starting embedded ZooKeeper peer {} of {}", e.myId(), e.peers().size());
      zookeeper = EmbeddedZooKeeper.start(e.myId(), e.peers(), Path.of(e.dataDir()), ZooKeeperAccess.of(cfg.dcs()));
    }
    ZooKeeperDcs zk = ZooKeeperDcs.connectMember(cfg.dcs(), cfg.cluster(), cfg.timing().ttlMs());
    dcs = zk;
    try {
      // A server that grants another session timeout than timing.ttl is refused here, before this
      // member can take the lease; one that does not answer yet is waited for by the loop.
      zk.checkSession(cfg.timing().ttlMs());
    } catch (DcsException e) {
      throw new IllegalStateException(e.getMessage());
    }
    dcs.onChange(this::wakeUp);
    runner = new ActionRunner(this::wakeUp);
    watchdog = new Watchdog(cfg.watchdog());
    LOG.info("watchdog: {}", watchdog.status());
    executor = new Executor(cfg, dcs, pg, lease, runner, System::currentTimeMillis, memory, watchdog);
    executor.onPromoted(this::publishPromoted);
    guard = new LeaseGuard(cfg.name(), dcs, lease, cfg.timing(), pg::stopImmediately, this::wakeUp, watchdog);
    guard.failsafe(this::failsafeConfirm);
    guard.start();
    api = new RestApi(this, new ClusterControl(dcs, System::currentTimeMillis));
    api.start();
    LOG.info("agent {} of cluster {} started; REST API on {}", cfg.name(), cfg.cluster(), cfg.restapi().url());
  }

  private void loop() {
    while (running) {
      try {
        cycle();
      } catch (Exception e) {
        LOG.error("cycle failed: {}", e.getMessage());
        LOG.debug("cycle failure", e);
      }
      pause(candidateOfPendingRequest() ? REQUESTED_CANDIDATE_WAIT_MS : cfg.timing().loopWaitMs());
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

  private void cycle() throws Exception {
    lastCycleNanos = System.nanoTime();
    ClusterState c;
    boolean reachable = true;
    try {
      c = dcs.read();
      lastCluster = c;
      recentMembers.saw(c.members().values(), System.nanoTime());
    } catch (DcsException e) {
      LOG.warn("{}", e.getMessage());
      c = lastCluster;
      reachable = false;
    }
    String action = runner.current();
    LocalState local = action == null ? pg.observe() : lastLocal;
    lastLocal = local;
    boolean leaseHeld = lease.valid() && cfg.name().equals(c.leader());
    trackPrimaryDown(local);
    Map<String, Lsn> peerPositions = Map.of();
    var fr = c.failover();
    boolean candidateNamed = fr != null && fr.candidate() != null;
    // A manual failover candidate in synchronous mode must compare itself with the other synchronous
    // standbys; a switchover candidate need not (it replays the old primary's shutdown checkpoint).
    boolean mustCompare = !candidateNamed || (c.config().synchronous() && !fr.isSwitchover() && cfg.name().equals(fr.candidate()));
    if (reachable && action == null && c.leader() == null && local.runningStandby() && mustCompare) {
      List<Member> others = new ArrayList<>(c.members().values());
      others.removeIf(m -> m.name().equals(cfg.name()));
      peerPositions = peers.positions(others, 1000);
    }
    Observation o = new Observation(cfg.name(), cfg.tags(), reachable, c, local, leaseHeld, action,
        System.currentTimeMillis(), peerPositions, primaryDownForMs(local),
        memory.rewindFailed, memory.standbyStartFailures, new Settings(cfg.primaryStartTimeoutMs(), 30_000, cfg.recloneOnRewindFailure()),
        fencingProblem(), !reachable && failsafeConfirmed);
    Decision d = Decider.decide(o);
    String reason = d.reason() + (runner.lastFailure() != null && action == null ? " (last action: " + runner.lastFailure() + ")" : "");
    if (!reason.equals(lastReason)) {
      LOG.info("{}: {}", d.getClass().getSimpleName(), reason);
      lastReason = reason;
    }
    Member me = member(local, action, reason);
    Member before = lastPublished;
    lastPublished = me;
    if (!reachable) return;
    if (changed(before, me) || System.nanoTime() - lastPublishNanos > REPUBLISH_NANOS || !c.members().containsKey(cfg.name())) {
      dcs.publishMember(me);
      lastPublishNanos = System.nanoTime();
    }
    executor.execute(d, c, local);
  }

  private String fencingProblem() {
    String w = watchdog.blocksPromotion();
    if (w != null) return w;
    if (System.nanoTime() - failsafeHoldUntilNanos < 0) {
      return "it confirmed " + failsafeLeader + " as primary in failsafe mode less than a ttl ago";
    }
    return null;
  }

  /**
   * Failsafe mode, on the primary's lease renewer while the DCS cannot be reached: asks every other
   * member seen in the DCS within the last {@value #FAILSAFE_MEMBER_MEMORY_MS} ms to confirm this
   * primary. True only when all of them did.
   */
  private boolean failsafeConfirm() {
    ClusterState c = lastCluster;
    if (!c.config().failsafeMode() || !cfg.name().equals(c.leader())) return false;
    List<Member> others = recentMembers.others(cfg.name(), System.nanoTime());
    java.util.Set<String> ok = peers.confirmLeader(others, cfg.name(), cfg.restapi().auth(),
        Math.max(200, cfg.timing().safetyMarginMs() / 2));
    boolean all = ok.size() == others.size();
    if (all != failsafeConfirmed) {
      if (all) LOG.warn("DCS unreachable; failsafe: all {} other members confirm this primary, writes go on", others.size());
      else LOG.error("DCS unreachable; failsafe: only {} of {} members confirm this primary", ok, others.size());
    }
    failsafeConfirmed = all;
    return all;
  }

  /**
   * Failsafe mode, on a member asked by {@code leader} (REST POST /failsafe): confirms only the
   * primary this member last knew, and only while it cannot reach the DCS itself or the DCS still
   * names that primary; then promises not to promote for a ttl.
   */
  public boolean acceptFailsafe(String leader) {
    ClusterState c = lastCluster;
    if (leader == null || !leader.equals(c.leader()) || !c.config().failsafeMode() || leader.equals(cfg.name())) return false;
    if (dcs.connected()) {
      try {
        if (!leader.equals(dcs.read().leader())) return false;
      } catch (DcsException e) {
        // lost it just now: the answer is the same as without the DCS
      }
    }
    failsafeLeader = leader;
    failsafeHoldUntilNanos = System.nanoTime() + cfg.timing().ttlMs() * 1_000_000L;
    return true;
  }

  /** Whether two publications differ in more than their timestamp. */
  private static boolean changed(Member a, Member b) {
    return a == null || !a.equals(b.withUpdatedAt(a.updatedAt()));
  }

  private void trackPrimaryDown(LocalState local) {
    if (lease.held() && !local.running()) {
      if (memory.primaryDownSinceNanos == 0) memory.primaryDownSinceNanos = System.nanoTime();
    } else {
      memory.primaryDownSinceNanos = 0;
    }
  }

  private long primaryDownForMs(LocalState local) {
    long since = memory.primaryDownSinceNanos;
    return since == 0 || local.running() ? 0 : (System.nanoTime() - since) / 1_000_000L;
  }

  private Member member(LocalState local, String action, String reason) {
    Role role = !local.running() ? Role.UNKNOWN : local.inRecovery() ? Role.STANDBY : Role.PRIMARY;
    MemberState state = action != null ? actionState(action)
        : local.running() ? MemberState.RUNNING : local.postmasterAlive() ? MemberState.STARTING : MemberState.STOPPED;
    return new Member(cfg.name(), cfg.restapi().url(), cfg.postgresql().connectAddress(), cfg.postgresql().port(),
        role, state, local.timeline(), local.walPosition(), local.replayPosition(),
        local.running() && local.inRecovery() ? local.following() : null, local.streaming(), cfg.tags(), reason,
        System.currentTimeMillis(), watchdog.status(), archiveStatus(local));
  }

  private volatile io.pgha.core.model.ArchiveStatus archiveStatus;
  private volatile long archiveStatusAt;

  /** The primary's archiving, looked up at most once a second (null without an archive: section). */
  private io.pgha.core.model.ArchiveStatus archiveStatus(LocalState local) {
    if (cfg.archive() == null || !local.runningPrimary()) return null;
    long now = System.nanoTime();
    if (archiveStatus == null || now - archiveStatusAt > 1_000_000_000L) {
      archiveStatus = pg.archiveStatus();
      archiveStatusAt = now;
    }
    return archiveStatus;
  }

  /** The last archive status this agent published (null when it is not an archiving primary). */
  public io.pgha.core.model.ArchiveStatus lastArchiveStatus() {
    return archiveStatus;
  }

  /**
   * Publishes this member as a running primary right after its promotion, on the action thread
   * (the only one using PostgreSQL while an action runs), so that routers need not wait for the
   * rest of the promote action and the next cycle. The next cycle publishes as usual.
   */
  private void publishPromoted() {
    try {
      dcs.publishMember(member(pg.observe(), null, "promoted: primary holding the leader lease"));
    } catch (DcsException e) {
      LOG.debug("early publication after promotion failed: {}", e.getMessage());
    }
  }

  private static MemberState actionState(String action) {
    return switch (action) {
      case "bootstrap" -> MemberState.BOOTSTRAPPING;
      case "clone" -> MemberState.CLONING;
      case "rewind" -> MemberState.REWINDING;
      case "promote" -> MemberState.PROMOTING;
      default -> MemberState.STARTING;
    };
  }

  // ------------------------------------------------------------------ for the REST API

  /** This member as last published (or computed while the DCS was unreachable). */
  public Member status() {
    return lastPublished;
  }

  public ClusterState cluster() {
    return lastCluster;
  }

  public LocalState local() {
    return lastLocal;
  }

  public boolean leaseValid() {
    return lease.valid() && cfg.name().equals(lastCluster.leader());
  }

  /** The loop ran within the last ttl. */
  public boolean alive() {
    return System.nanoTime() - lastCycleNanos < cfg.timing().ttlMs() * 1_000_000L;
  }

  /** Restarts PostgreSQL in its current role (REST {@code POST /restart}). */
  public void requestRestart() throws ControlException {
    LocalState local = lastLocal;
    if (!local.running()) throw new ControlException("PostgreSQL is not running on " + cfg.name());
    ClusterState c = lastCluster;
    var up = local.inRecovery() && c.member(local.following()).isPresent() ? Executor.upstream(c, local.following()) : null;
    if (!executor.restart(up, local.inRecovery())) {
      throw new ControlException(runner.current() + " is in progress on " + cfg.name());
    }
  }

  /** Wipes the data directory and clones it again from the primary (REST {@code POST /reinitialize}). */
  public void requestReinitialize() throws ControlException {
    ClusterState c = lastCluster;
    if (cfg.name().equals(c.leader())) throw new ControlException(cfg.name() + " is the primary; reinitialize a standby");
    Member leader = c.leaderMember().filter(Member::isRunningPrimary)
        .orElseThrow(() -> new ControlException("no running primary to clone from"));
    if (!executor.reclone(Executor.upstream(c, leader.name()))) {
      throw new ControlException(runner.current() + " is in progress on " + cfg.name());
    }
  }

  public void stop() {
    running = false;
    wakeUp();
  }

  /**
   * Stops the loop, then PostgreSQL (fast), gives the lease up and stops every part. While the
   * cluster is paused PostgreSQL is left running and the lease left to expire.
   */
  @Override
  public void close() {
    stop();
    try {
      stopped.await(java.util.concurrent.TimeUnit.SECONDS.toMillis(10), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (runner != null) runner.close();
    if (guard != null) guard.close();
    // In maintenance mode an agent may be stopped (to upgrade it, say) without touching PostgreSQL:
    // nobody promotes while paused, and the restarted agent takes its lease back.
    boolean leaveRunning = lastCluster.config().paused();
    if (leaveRunning) LOG.info("cluster is paused: leaving PostgreSQL running");
    boolean stopped = true;
    if (pg != null) {
      if (!leaveRunning) {
        try {
          pg.stop("fast");
        } catch (Exception e) {
          LOG.warn("stopping PostgreSQL: {}", e.getMessage());
          stopped = pg.stopImmediately();
        }
      }
      pg.close();
    }
    if (!stopped && lease.held()) {
      // The fence must hold: the watchdog stays armed (and unfed, so it resets this machine) and the
      // lease is neither released nor ended with a closed session; it expires after its ttl.
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
    if (zookeeper != null) zookeeper.close();
    LOG.info("agent {} stopped", cfg.name());
  }
}
