package io.pgha.agent;

import io.pgha.core.config.Timing;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leader lease alive and enforces it, apart from the agent loop so that a slow cycle (a
 * long SQL call, a stuck action) can neither let the lease lapse silently nor keep a primary
 * writable after it lapsed. Two daemon threads: the renewer writes to the DCS every renew interval;
 * the guard checks expiry every 20 ms and stops PostgreSQL the moment the lease is no longer valid.
 */
public final class LeaseGuard implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseGuard.class);

  private final String me;
  private final Dcs dcs;
  private final Lease lease;
  private final Timing timing;
  private final Runnable stopPrimary;
  private final Runnable wakeAgent;
  private final Watchdog watchdog;
  private final Thread renewer;
  private final Thread guard;
  private volatile boolean running = true;

  public LeaseGuard(String me, Dcs dcs, Lease lease, Timing timing, Runnable stopPrimary, Runnable wakeAgent, Watchdog watchdog) {
    this.watchdog = watchdog;
    this.me = me;
    this.dcs = dcs;
    this.lease = lease;
    this.timing = timing;
    this.stopPrimary = stopPrimary;
    this.wakeAgent = wakeAgent;
    this.renewer = new Thread(this::renewLoop, "lease-renewer");
    this.guard = new Thread(this::guardLoop, "lease-guard");
    renewer.setDaemon(true);
    guard.setDaemon(true);
  }

  public void start() {
    renewer.start();
    guard.start();
  }

  /** Renews now; true when the lease is confirmed. */
  public boolean renew() {
    if (!lease.held()) return false;
    long sent = lease.now();
    try {
      if (dcs.renewLeader(me)) {
        lease.confirmed(sent, timing.leaseValidityMs(dcs.sessionTimeoutMs()));
        watchdog.feed(); // only a renewal the DCS confirmed keeps the node from being reset
        return true;
      }
      LOG.warn("leader key is no longer held by this member");
      lost("leader key lost");
    } catch (DcsException e) {
      LOG.warn("lease renewal failed ({} ms of lease left): {}", lease.remainingMs(), e.getMessage());
    }
    return false;
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

  private void guardLoop() {
    while (running) {
      try {
        if (lease.expired()) lost("lease expired before it could be renewed");
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
    LOG.error("{}: stopping PostgreSQL now so that no second primary can exist", why);
    stopPrimary.run();
    watchdog.disarm();
    lease.released();
    wakeAgent.run();
  }

  @Override
  public void close() {
    running = false;
    renewer.interrupt();
    guard.interrupt();
  }
}
