package io.pgha.agent;

import io.pgha.core.config.Timing;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leader lease alive and enforces it, apart from the agent loop so that a slow cycle (a
 * long SQL call, a stuck action) can neither let the lease lapse silently nor keep a primary
 * writable after it lapsed. Three daemon threads: the renewer writes to the DCS every renew
 * interval; the guard checks expiry every 20 ms and stops PostgreSQL the moment the lease is no
 * longer valid; and, in failsafe mode, the confirmer asks the members to confirm this primary as
 * soon as the DCS connection is lost, without waiting for a renewal that may hang in the client
 * until the lease is gone.
 */
public final class LeaseGuard implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseGuard.class);

  private final String me;
  private final Dcs dcs;
  private final Lease lease;
  private final Timing timing;
  private final StandDown standDown;
  private final Runnable wakeAgent;
  private final Watchdog watchdog;
  private volatile java.util.function.BooleanSupplier failsafe = () -> false;
  private final Thread renewer;
  private final Thread guard;
  private final Thread confirmer;
  private volatile boolean running = true;
  /** A lost lease whose PostgreSQL is not confirmed stopped yet. */
  private volatile boolean stopping;

  /**
   * {@code stopPrimary} stops PostgreSQL at once and answers whether it is confirmed stopped; until
   * it is, a lost lease stays marked held (so the stop is retried every 20 ms) and the watchdog
   * stays armed and unfed.
   */
  public LeaseGuard(String me, Dcs dcs, Lease lease, Timing timing, java.util.function.BooleanSupplier stopPrimary, Runnable wakeAgent,
      Watchdog watchdog) {
    this.watchdog = watchdog;
    this.me = me;
    this.dcs = dcs;
    this.lease = lease;
    this.timing = timing;
    this.standDown = new StandDown(stopPrimary, watchdog);
    this.wakeAgent = wakeAgent;
    this.renewer = new Thread(this::renewLoop, "lease-renewer");
    this.guard = new Thread(this::guardLoop, "lease-guard");
    this.confirmer = new Thread(this::confirmLoop, "failsafe-confirmer");
    renewer.setDaemon(true);
    guard.setDaemon(true);
    confirmer.setDaemon(true);
  }

  /**
   * Failsafe mode: while the DCS cannot be reached, {@code confirm} asks every member to confirm
   * this primary directly; true extends the lease as a renewal would.
   */
  public void failsafe(java.util.function.BooleanSupplier confirm) {
    this.failsafe = confirm;
  }

  public void start() {
    renewer.start();
    guard.start();
    confirmer.start();
  }

  /** Renews now; true when the lease is confirmed. */
  public boolean renew() {
    if (!lease.held()) return false;
    long sent = lease.now();
    if (!dcs.connected() && failsafeConfirmed(sent)) return true;
    try {
      if (dcs.renewLeader(me)) {
        lease.confirmed(sent, timing.leaseValidityMs(dcs.sessionTimeoutMs()));
        watchdog.feed(); // only a renewal the DCS confirmed keeps the node from being reset
        return true;
      }
      // The client may have replaced a session it gave up during an outage. While the lease is
      // still valid nobody else can have become leader: take the key into the new session.
      if (lease.valid() && dcs.reclaimLeader(me)) {
        LOG.warn("took the leader key into a new ZooKeeper session");
        lease.confirmed(sent, timing.leaseValidityMs(dcs.sessionTimeoutMs()));
        watchdog.feed();
        return true;
      }
      LOG.warn("leader key is no longer held by this member");
      lost("leader key lost");
    } catch (DcsException e) {
      LOG.warn("lease renewal failed ({} ms of lease left): {}", lease.remainingMs(), e.getMessage());
      return failsafeConfirmed(lease.now());
    }
    return false;
  }

  private boolean failsafeConfirmed(long sent) {
    if (!lease.valid() || !failsafe.getAsBoolean()) return false;
    // Every member promised not to promote for a ttl from when it answered, which is after sent.
    if (!lease.extend(sent, timing.leaseValidityMs(dcs.sessionTimeoutMs()))) return false;
    watchdog.feed();
    return true;
  }

  /**
   * While the DCS connection is down and the lease still valid, confirms through the members once
   * per renew interval. A renewal sent just before the connection broke can block in the client
   * for longer than the lease; this does not wait for it.
   */
  private void confirmLoop() {
    long last = lease.now() - timing.renewIntervalMs(dcs.sessionTimeoutMs()) * 1_000_000L;
    while (running) {
      try {
        long now = lease.now();
        if (!dcs.connected() && lease.valid() && now - last >= timing.renewIntervalMs(dcs.sessionTimeoutMs()) * 1_000_000L) {
          last = now;
          failsafeConfirmed(now);
        }
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.error("failsafe confirmer", e);
      }
    }
  }

  private void renewLoop() {
    while (running) {
      try {
        if (lease.held()) renew();
        Thread.sleep(Math.min(timing.renewIntervalMs(dcs.sessionTimeoutMs()), watchdog.maxFeedIntervalMs()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.error("lease renewer", e);
      }
    }
  }

  /** One check of the guard: a lease that expired stops PostgreSQL (tests call it directly). */
  void enforce() {
    if (lease.expired()) lost("lease expired before it could be renewed");
  }

  private void guardLoop() {
    while (running) {
      try {
        enforce();
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.error("lease guard", e);
      }
    }
  }

  private void lost(String why) {
    if (!lease.held()) return;
    if (!stopping) LOG.error("{}: stopping PostgreSQL now so that no second primary can exist", why);
    stopping = true;
    if (!standDown.stopAndDisarm()) return;
    stopping = false;
    lease.released();
    wakeAgent.run();
  }

  @Override
  public void close() {
    running = false;
    renewer.interrupt();
    guard.interrupt();
    confirmer.interrupt();
  }
}
