package io.pgha.agent;

import io.pgha.core.config.Timing;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leader lease alive and enforces it, apart from the agent loop so that a slow cycle (a
 * long SQL call, a stuck action) can neither let the lease lapse silently nor keep a primary
 * writable after it lapsed. Three steps, each on a scheduler of its own so that none can hold up
 * another: {@link #renew()} writes to the DCS every renew interval; {@link #enforce()} runs at the
 * instant the lease runs out (planned again at every change of the lease, and every 20 ms while a
 * lost lease's PostgreSQL is not confirmed stopped) and stops PostgreSQL the moment the lease is no
 * longer valid; and, in failsafe mode, {@link #confirmStep()} asks the members to confirm this
 * primary as soon as the DCS connection is lost (it looks every 50 ms while the lease is held and
 * failsafe mode is on), without waiting for a renewal that may hang in the client until the lease
 * is gone. An agent that holds no lease, or no lease in failsafe mode, wakes for none of this but
 * once a second. Time comes from the lease's clock;
 * component tests call the steps themselves and step the clock.
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
    /** Whether failsafe mode is on (the cluster's setting); the confirmer polls only then. */
    private volatile java.util.function.BooleanSupplier failsafeEnabled = () -> false;

    private final java.util.List<java.util.concurrent.ScheduledExecutorService> schedulers =
            new java.util.ArrayList<>();
    private volatile java.util.concurrent.ScheduledExecutorService renewer;
    private volatile boolean running = true;
    /** When the members were last asked to confirm this primary (lease clock), or a renew interval before the first time. */
    private volatile long lastConfirmNanos;
    /** A lost lease whose PostgreSQL is not confirmed stopped yet. */
    private volatile boolean stopping;

    /**
     * {@code stopPrimary} stops PostgreSQL at once and answers whether it is confirmed stopped; until
     * it is, a lost lease stays marked held (so the stop is retried every {@link #STOP_RETRY_MS} ms) and the watchdog
     * stays armed and unfed.
     */
    public LeaseGuard(
            String me,
            Dcs dcs,
            Lease lease,
            Timing timing,
            java.util.function.BooleanSupplier stopPrimary,
            Runnable wakeAgent,
            Watchdog watchdog) {
        this.watchdog = watchdog;
        this.me = me;
        this.dcs = dcs;
        this.lease = lease;
        this.timing = timing;
        this.standDown = new StandDown(stopPrimary, watchdog);
        this.wakeAgent = wakeAgent;
        this.lastConfirmNanos = lease.now() - renewIntervalNanos();
    }

    /**
     * Failsafe mode: while the DCS cannot be reached, {@code confirm} asks every member to confirm
     * this primary directly; true extends the lease as a renewal would.
     */
    public void failsafe(java.util.function.BooleanSupplier confirm) {
        failsafe(confirm, () -> true);
    }

    /**
     * As {@link #failsafe(java.util.function.BooleanSupplier)}, with {@code enabled} telling whether
     * failsafe mode is on at all: while it is off, the confirmer does not look at the DCS connection
     * every {@value #CONFIRM_CHECK_MS} ms (it could confirm nothing), only once a second.
     */
    public void failsafe(java.util.function.BooleanSupplier confirm, java.util.function.BooleanSupplier enabled) {
        this.failsafe = confirm;
        this.failsafeEnabled = enabled;
    }

    /** Starts the three steps, each on its own daemon thread. */
    public synchronized void start() {
        renewer = scheduler("lease-renewer");
        renewer.execute(this::renewTick);
        // the steps plan themselves until close(); a step's failure is logged by guarded()
        Step guard = new Step(scheduler("lease-guard"), guarded("lease guard", this::enforce), this::nextCheckNanos);
        Step confirmer = new Step(
                scheduler("failsafe-confirmer"),
                guarded("failsafe confirmer", this::confirmStep),
                this::nextConfirmNanos);
        lease.onChange(() -> {
            guard.kick();
            confirmer.kick();
        });
        guard.kick();
        confirmer.kick();
    }

    /** While no lease is held, how often the guard and the confirmer look anyway. */
    static final long IDLE_CHECK_MS = 1000;
    /** While a lost lease's PostgreSQL is not confirmed stopped, how often the stop is tried again. */
    static final long STOP_RETRY_MS = 20;
    /** While the lease is held, how often the confirmer looks at the DCS connection. */
    static final long CONFIRM_CHECK_MS = 50;

    /**
     * When the confirmer looks next: every {@value #CONFIRM_CHECK_MS} ms while the lease is held in
     * failsafe mode (a lost DCS connection is then confirmed through the members at once), once a
     * second otherwise (failsafe mode switched on later is seen within that second).
     */
    long nextConfirmNanos() {
        return (lease.held() && failsafeEnabled.getAsBoolean() ? CONFIRM_CHECK_MS : IDLE_CHECK_MS) * 1_000_000L;
    }

    /**
     * When the guard must look next: just after the held lease runs out (a renewal or a release
     * plans it again); soon while a lost lease's stop is pending; once a second otherwise.
     */
    long nextCheckNanos() {
        if (!lease.held()) return IDLE_CHECK_MS * 1_000_000L;
        long left = lease.remainingNanos();
        return left > 0 ? left + 1_000_000L : STOP_RETRY_MS * 1_000_000L;
    }

    /**
     * A step on a thread of its own that plans its next run itself, instead of waking at a fixed
     * rate; {@link #kick()} runs it at once (the lease changed) and drops the run planned before.
     */
    private final class Step {
        private final java.util.concurrent.ScheduledExecutorService timer;
        private final Runnable body;
        private final java.util.function.LongSupplier nextNanos;
        /** The planned run; touched on the step's own thread only. */
        private java.util.concurrent.ScheduledFuture<?> next;

        Step(
                java.util.concurrent.ScheduledExecutorService timer,
                Runnable body,
                java.util.function.LongSupplier nextNanos) {
            this.timer = timer;
            this.body = body;
            this.nextNanos = nextNanos;
        }

        void kick() {
            try {
                timer.execute(this::tick);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // closing
            }
        }

        private void tick() {
            if (!running) return;
            body.run();
            if (next != null) next.cancel(false);
            try {
                next = timer.schedule(this::tick, nextNanos.getAsLong(), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // closing
            }
        }
    }

    private java.util.concurrent.ScheduledExecutorService scheduler(String name) {
        var s = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        schedulers.add(s);
        return s;
    }

    /** A step that logs and goes on when it fails, instead of ending its schedule. */
    private static Runnable guarded(String what, Runnable step) {
        return () -> {
            try {
                step.run();
            } catch (RuntimeException e) {
                LOG.error(what, e);
            }
        };
    }

    /** Renews, then schedules the next renewal after the current interval (the session timeout may change). */
    private void renewTick() {
        if (!running) return;
        guarded("lease renewer", () -> {
                    if (lease.held()) renew();
                })
                .run();
        long next = Math.min(timing.renewIntervalMs(dcs.sessionTimeoutMs()), watchdog.maxFeedIntervalMs());
        try {
            var unused = renewer.schedule(this::renewTick, next, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing
        }
    }

    private long renewIntervalNanos() {
        return timing.renewIntervalMs(dcs.sessionTimeoutMs()) * 1_000_000L;
    }

    /** Renews now; true when the lease is confirmed. */
    public boolean renew() {
        if (!lease.held()) return false;
        long sent = lease.now();
        if (!dcs.connected() && failsafeConfirmed(sent)) return true;
        try {
            if (dcs.renewLeader(me)) {
                // A renewal that hung through an outage may be answered after the lease ran out and was
                // given up (PostgreSQL stopped): it extends a held lease only, never takes one back. The
                // agent then releases the key for an election instead of restarting a primary on a
                // lease measured from before the outage.
                if (!lease.extend(sent, timing.leaseValidityMs(dcs.sessionTimeoutMs()))) return false;
                watchdog.feed(); // only a renewal the DCS confirmed keeps the node from being reset
                return true;
            }
            // The client may have replaced a session it gave up during an outage. While the lease is
            // still valid nobody else can have become leader: take the key into the new session.
            if (lease.valid() && dcs.reclaimLeader(me)) {
                LOG.warn("took the leader key into a new ZooKeeper session");
                if (!lease.extend(sent, timing.leaseValidityMs(dcs.sessionTimeoutMs()))) return false;
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
    void confirmStep() {
        long now = lease.now();
        if (!dcs.connected() && lease.valid() && now - lastConfirmNanos >= renewIntervalNanos()) {
            lastConfirmNanos = now;
            failsafeConfirmed(now);
        }
    }

    /** One check of the guard: a lease that expired stops PostgreSQL (tests call it directly). */
    void enforce() {
        if (lease.expired()) lost("lease expired before it could be renewed");
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
    public synchronized void close() {
        running = false;
        schedulers.forEach(java.util.concurrent.ExecutorService::shutdownNow);
    }
}
