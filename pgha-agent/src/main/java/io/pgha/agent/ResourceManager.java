package io.pgha.agent;

import io.pgha.agent.resource.ActionResult;
import io.pgha.agent.resource.IpDriver;
import io.pgha.agent.resource.OcfDriver;
import io.pgha.agent.resource.OcfStatus;
import io.pgha.agent.resource.ResourceDriver;
import io.pgha.agent.resource.ScriptDriver;
import io.pgha.core.model.ClusterState;
import io.pgha.core.resource.ResourcePlanner;
import io.pgha.core.resource.ResourcePlanner.Op;
import io.pgha.core.resource.ResourcePlanner.Plan;
import io.pgha.core.resource.ResourceSpec;
import io.pgha.core.resource.ResourceStatus;
import io.pgha.core.resource.ResourceStatus.State;
import io.pgha.core.time.Clock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out the {@link ResourcePlanner}'s plan on this member: starts, stops and monitors the
 * resources, counts failures and keeps the states its member record publishes. Actions run one at
 * a time on the manager's own thread, so that a slow resource never holds up the agent loop; the
 * two paths that must not wait for that thread run on their caller's: {@link #stopWithPrimary}
 * before a demotion and {@link #leaseLost} when the lease guard stops PostgreSQL.
 */
final class ResourceManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceManager.class);
    private static final long TICK_MS = 200;
    /** A hard or fatal error counts as this many failures: the resource never runs here again until cleaned up. */
    static final int HARD_FAILURE = 1_000_000;

    /** Builds the driver of a resource (tests put resources in a network namespace or fake them). */
    interface Drivers {
        ResourceDriver create(ResourceSpec spec);
    }

    /** The real drivers: pgha's own {@code ip}, OCF agents under /usr/lib/ocf, scripts. */
    static ResourceDriver production(ResourceSpec r) {
        return switch (r.kind()) {
            case IP -> {
                Map<String, String> p = new HashMap<>(r.params());
                if (r.upScript() != null) p.put("up_script", r.upScript());
                if (r.downScript() != null) p.put("down_script", r.downScript());
                yield new IpDriver(r.name(), p);
            }
            case OCF -> new OcfDriver(r.name(), r.agent(), r.params());
            case SCRIPT -> new ScriptDriver(r.name(), Path.of(r.agent()), r.params(), r.lsb(), null);
        };
    }

    /** What the agent saw in its last cycle. */
    record View(ClusterState cluster, boolean primaryRunning) {}

    private final String me;
    private final Clock clock;
    private final Drivers drivers;
    private final BooleanSupplier leaseValid;
    private final BooleanSupplier dcsConnected;
    private final Runnable changed;
    private final ScheduledExecutorService worker;
    /** Held for each action, so that a resource's actions never overlap. */
    private final ReentrantLock actions = new ReentrantLock();

    private final Map<String, ResourceStatus> states = new ConcurrentHashMap<>();
    private final Map<String, List<Long>> failures = new ConcurrentHashMap<>();
    private final Map<String, ResourceSpec> specs = new ConcurrentHashMap<>();
    private final Map<String, ResourceDriver> driverOf = new ConcurrentHashMap<>();
    private final Map<String, Long> nextMonitor = new ConcurrentHashMap<>();
    private final Set<String> probed = ConcurrentHashMap.newKeySet();
    /** Consecutive failures of each resource here, and when it may be started again (lease clock). */
    private final Map<String, Integer> streak = new ConcurrentHashMap<>();

    private final Map<String, Long> retryAt = new ConcurrentHashMap<>();
    /** Resources whose validate-all passed on this member (it runs once, before the first start). */
    private final Set<String> validated = ConcurrentHashMap.newKeySet();
    /**
     * Resources being stopped (or demoted) right now, by the manager's thread or by {@link #leaseLost}
     * on a thread of its own: one stop of a resource at a time. Two at once (the lease guard's and
     * the plan's, both seeing the lease gone) race in the agent: the one that finds the address
     * already gone fails, and a failed stop blocks the resource everywhere until a cleanup.
     */
    private final Set<String> stoppingNow = ConcurrentHashMap.newKeySet();

    private volatile View view;
    private volatile Plan lastPlan;
    private volatile boolean closed;
    /** Ticks run on the manager's thread only after {@link #start}; component tests call {@link #tick} themselves. */
    private volatile boolean started;
    /**
     * Set by {@link #stopWithPrimary} before a demotion: resources with the primary stay down although
     * this member still holds the lease (a switchover drains and checkpoints first), until the lease is
     * gone or {@link #resumePrimary} says the demotion did not happen.
     */
    private volatile boolean heldDown;

    ResourceManager(
            String me,
            Clock clock,
            Drivers drivers,
            BooleanSupplier leaseValid,
            BooleanSupplier dcsConnected,
            Runnable changed) {
        this.me = me;
        this.dcsConnected = dcsConnected;
        this.clock = clock;
        this.drivers = drivers;
        this.leaseValid = leaseValid;
        this.changed = changed;
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "resources");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the manager's thread: a tick every 200 ms, and one at once after each {@link #update}. */
    void start() {
        started = true;
        var unused = worker.scheduleWithFixedDelay(this::guardedTick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    }

    /** The agent's latest view; the manager plans from it at its next tick, which this brings forward. */
    void update(ClusterState c, boolean primaryRunning) {
        if (heldDown && !leaseValid.getAsBoolean()) heldDown = false; // the demotion is over
        view = new View(c, primaryRunning);
        kick();
    }

    void kick() {
        if (closed || !started) return;
        try {
            var unused = worker.submit(this::guardedTick);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void guardedTick() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.error("resource management failed: {}", e.getMessage(), e);
        }
    }

    /** One round on the manager's thread: follow config changes, probe, plan, act, monitor. */
    void tick() {
        View v = view;
        if (v == null || closed) return;
        Map<String, ResourceSpec> config = v.cluster().config().resources().resources();
        if (config.isEmpty()
                && specs.isEmpty()
                && v.cluster().config().resources().primaryPlacement() == null) {
            lastPlan = null;
            return; // nothing configured, nothing left running
        }
        boolean maintenance = v.cluster().config().resources().maintenance().contains(me);
        forgetRemoved(config, maintenance);
        for (ResourceSpec r : config.values()) {
            ResourceSpec before = specs.put(r.name(), r);
            if (before != null && !before.equals(r)) changedSpec(before, r, maintenance);
            if (probed.add(r.name())) probe(r);
        }
        refreshFailCounts();
        if (!dcsConnected.getAsBoolean()) {
            offline(config, maintenance);
            return;
        }
        // held down for a demotion: resources after the promotion stay down, those before it stay up
        // until the lease is gone
        Plan plan = ResourcePlanner.plan(new ResourcePlanner.Input(
                me, v.cluster(), leaseValid.getAsBoolean(), v.primaryRunning() && !heldDown, snapshot()));
        lastPlan = plan;
        annotate(plan);
        for (ResourcePlanner.Step s : plan.steps()) {
            if (closed) return;
            ResourceSpec r = config.get(s.resource());
            if (r == null) continue;
            if (s.op() == Op.STOP) stop(r, s.reason());
            else if (s.op() == Op.DEMOTE) demote(r, s.reason());
            else if (s.op() == Op.PROMOTE) {
                if (!leaseValid.getAsBoolean() || heldDown) break;
                promote(r, s.reason());
            } else {
                // the plan was made from a view that may be a cycle old: the lease must hold right now
                if (r.withPrimary()
                        && (!leaseValid.getAsBoolean()
                                || (heldDown && r.order() == ResourceSpec.RoleOrder.AFTER_PROMOTE))) break;
                Long retry = retryAt.get(r.name());
                if (retry != null && clock.nanoTime() < retry) continue; // backing off after a failure
                if (!start(r, s.reason())) break; // what comes after it waits
            }
        }
        if (!maintenance) monitorDue(config);
    }

    /**
     * The DCS connection is down: this member's record may vanish with its session at any moment, and
     * then another member may start what only one may run. Resources on one standby or on the best
     * member stop at once (those with the primary follow the lease); nothing starts until the
     * connection is back.
     */
    private void offline(Map<String, ResourceSpec> config, boolean maintenance) {
        if (maintenance) return;
        for (ResourceSpec r : config.values()) {
            ResourceStatus st = states.get(r.name());
            if (r.withPrimary()
                    || !r.with().single()
                    || st == null
                    || !st.state().mayHold()
                    || st.state() == State.BLOCKED) continue;
            LOG.warn(
                    "resource {}: the DCS connection is lost; stopping it before another member may take it", r.name());
            stop(r, "the DCS connection was lost");
        }
    }

    // ------------------------------------------------------------------ actions

    private boolean start(ResourceSpec r, String reason) {
        actions.lock();
        try {
            if (validated.add(r.name())) {
                // validate-all once before the first start here: a configuration the agent refuses
                // (bad parameters, a missing binary) fails at once, without a start to clean up
                ActionResult v = driver(r).validate(r.monitorTimeoutMs());
                OcfStatus.Severity sev = v.status().severity();
                if (v.status() != OcfStatus.ERR_UNIMPLEMENTED
                        && (sev == OcfStatus.Severity.HARD || sev == OcfStatus.Severity.FATAL)) {
                    validated.remove(r.name());
                    fail(r, v, State.FAILED);
                    return false;
                }
            }
            set(r.name(), State.STARTING, null, reason);
            ActionResult res = driver(r).start(r.startTimeoutMs());
            if (res.ok() || res.status().running()) {
                set(r.name(), State.STARTED, res, reason);
                streak.remove(r.name());
                retryAt.remove(r.name());
                LOG.info("resource {} started ({}; {} ms)", r.name(), reason, res.millis());
                if (r.monitorIntervalMs() > 0)
                    nextMonitor.put(r.name(), clock.nanoTime() + r.monitorIntervalMs() * 1_000_000L);
                if (r.withPrimary() && !leaseValid.getAsBoolean()) {
                    LOG.warn("resource {}: the leader lease ended while it started; stopping it again", r.name());
                    stopLocked(r, "the leader lease ended while it started");
                    return false;
                }
                return true;
            }
            fail(r, res, State.FAILED);
            return false;
        } finally {
            actions.unlock();
        }
    }

    /** Takes a promotable resource to its promoted role here. */
    private void promote(ResourceSpec r, String reason) {
        actions.lock();
        try {
            ActionResult res = driver(r).promote(r.startTimeoutMs());
            if (res.ok() || res.status().promoted()) {
                states.computeIfPresent(
                        r.name(), (k, st) -> st.withPromoted(true).withResult(summary(res)));
                LOG.info("resource {} promoted ({}; {} ms)", r.name(), reason, res.millis());
                changed.run();
                if (!leaseValid.getAsBoolean()) demoteLocked(r, "the leader lease ended while it was promoted");
            } else {
                fail(r, res, State.FAILED);
            }
        } finally {
            actions.unlock();
        }
    }

    private void demote(ResourceSpec r, String reason) {
        actions.lock();
        try {
            demoteLocked(r, reason);
        } finally {
            actions.unlock();
        }
    }

    private boolean demoteLocked(ResourceSpec r, String reason) {
        if (!stoppingNow.add(r.name())) {
            awaitOtherStop(r);
            ResourceStatus st = states.get(r.name());
            return st == null || !st.promoted();
        }
        ActionResult res;
        try {
            res = driver(r).demote(r.stopTimeoutMs());
        } finally {
            stoppingNow.remove(r.name());
        }
        if (res.ok() || res.status() == OcfStatus.SUCCESS) {
            states.computeIfPresent(r.name(), (k, st) -> st.withPromoted(false).withResult(summary(res)));
            LOG.info("resource {} demoted ({}; {} ms)", r.name(), reason, res.millis());
            changed.run();
            return true;
        }
        fail(r, res, State.FAILED);
        return false;
    }

    private void stop(ResourceSpec r, String reason) {
        actions.lock();
        try {
            stopLocked(r, reason);
        } finally {
            actions.unlock();
        }
    }

    private boolean stopLocked(ResourceSpec r, String reason) {
        if (!stoppingNow.add(r.name())) return awaitOtherStop(r);
        ActionResult res;
        try {
            set(r.name(), State.STOPPING, null, reason);
            res = driver(r).stop(r.stopTimeoutMs());
            nextMonitor.remove(r.name());
        } finally {
            stoppingNow.remove(r.name());
        }
        if (res.ok() || res.status() == OcfStatus.NOT_RUNNING) {
            set(r.name(), State.STOPPED, res, reason);
            LOG.info("resource {} stopped ({}; {} ms)", r.name(), reason, res.millis());
            return true;
        }
        fail(r, res, State.BLOCKED);
        LOG.error(
                "resource {}: stop failed ({}): it may still run here and is started nowhere else until "
                        + "pgha resource cleanup {}",
                r.name(),
                summary(res),
                r.name());
        return false;
    }

    /**
     * The lease guard's stop of {@code r} is under way on its thread: waits for it (up to the stop
     * timeout and a second) instead of running a second stop beside it; whether it stopped.
     */
    private boolean awaitOtherStop(ResourceSpec r) {
        // real time, not the agent's clock: a stop runs in real time, also under a test's manual clock
        long deadline = System.nanoTime() + (r.stopTimeoutMs() + 1000) * 1_000_000L;
        while (stoppingNow.contains(r.name()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        ResourceStatus st = states.get(r.name());
        return !stoppingNow.contains(r.name()) && (st == null || !st.state().mayHold());
    }

    /** A failed action: counted, and the state set (FAILED, or BLOCKED for a stop). */
    private void fail(ResourceSpec r, ActionResult res, State state) {
        long now = clock.wallMillis();
        List<Long> f =
                failures.computeIfAbsent(r.name(), k -> java.util.Collections.synchronizedList(new ArrayList<>()));
        int times = res.status().severity() == OcfStatus.Severity.HARD
                        || res.status().severity() == OcfStatus.Severity.FATAL
                ? HARD_FAILURE
                : 1;
        if (times == HARD_FAILURE) f.add(Long.MAX_VALUE); // never expires
        else f.add(now);
        // the next start here waits 1 s, 2 s, 4 s ... up to 30 s after consecutive failures: a
        // resource that keeps failing in place (migration_threshold 0) does not spin
        int n = streak.merge(r.name(), 1, Integer::sum);
        retryAt.put(r.name(), clock.nanoTime() + Math.min(1000L << Math.min(n - 1, 5), 30_000L) * 1_000_000L);
        set(r.name(), state, res, null);
        refreshFailCounts();
        LOG.warn(
                "resource {}: {} (failures here: {})",
                r.name(),
                res.action() + " " + res.status().label(),
                states.get(r.name()).failCount());
    }

    /** Learns what runs already (left from before this agent started): started, stopped, or failed. */
    private void probe(ResourceSpec r) {
        actions.lock();
        try {
            ActionResult res = driver(r).monitor(r.monitorTimeoutMs());
            State s = res.status().running()
                    ? State.STARTED
                    : res.status() == OcfStatus.NOT_RUNNING ? State.STOPPED : State.FAILED;
            set(r.name(), s, res, "probed");
            if (res.status().promoted()) states.computeIfPresent(r.name(), (k, st) -> st.withPromoted(true));
            if (s != State.STOPPED)
                LOG.info("resource {} found {} at start-up ({})", r.name(), s.label(), summary(res));
            if (s == State.STARTED && r.monitorIntervalMs() > 0)
                nextMonitor.put(r.name(), clock.nanoTime() + r.monitorIntervalMs() * 1_000_000L);
        } finally {
            actions.unlock();
        }
    }

    private void monitorDue(Map<String, ResourceSpec> config) {
        long now = clock.nanoTime();
        for (ResourceSpec r : config.values()) {
            Long due = nextMonitor.get(r.name());
            ResourceStatus st = states.get(r.name());
            if (due == null || now < due || st == null || st.state() != State.STARTED) continue;
            actions.lock();
            try {
                ResourceDriver d = driver(r);
                // a recurring monitor, not a probe: OCF agents see OCF_RESKEY_CRM_meta_interval
                ActionResult res = d instanceof OcfDriver ocf
                        ? ocf.monitor(r.monitorTimeoutMs(), r.monitorIntervalMs())
                        : d.monitor(r.monitorTimeoutMs());
                nextMonitor.put(r.name(), clock.nanoTime() + r.monitorIntervalMs() * 1_000_000L);
                if (stoppingNow.contains(r.name())) continue; // the lease guard stops it right now
                if (res.status().running()) {
                    // a monitor that finds it running changes nothing that is published (the member
                    // record is a DCS write that wakes every agent), unless it lost its promoted role
                    if (r.promotable() && st.promoted() && !res.status().promoted()) {
                        LOG.warn("resource {}: the monitor finds it no longer promoted", r.name());
                        states.computeIfPresent(r.name(), (k, x) -> x.withPromoted(false));
                        changed.run();
                    }
                } else {
                    nextMonitor.remove(r.name());
                    LOG.warn("resource {}: {}", r.name(), summary(res));
                    LOG.debug("resource {}: monitor output: {}", r.name(), res.output());
                    fail(r, res, State.FAILED);
                    changed.run();
                }
            } finally {
                actions.unlock();
            }
        }
    }

    /** A resource whose settings changed is stopped with its old driver and started (later) with the new. */
    private void changedSpec(ResourceSpec before, ResourceSpec now, boolean maintenance) {
        ResourceDriver old = driverOf.remove(before.name());
        validated.remove(before.name());
        ResourceStatus st = states.get(before.name());
        if (maintenance || st == null || !st.state().mayHold() || old == null) return;
        if (sameAction(before, now)) return;
        LOG.info("resource {}: its settings changed; stopping it to start it again with the new ones", now.name());
        driverOf.put(before.name(), old);
        stop(before, "its settings changed");
        driverOf.remove(before.name());
    }

    /** Only placement, scores and timeouts changed: what runs stays as it is. */
    private static boolean sameAction(ResourceSpec a, ResourceSpec b) {
        return a.kind() == b.kind()
                && java.util.Objects.equals(a.agent(), b.agent())
                && a.params().equals(b.params())
                && a.lsb() == b.lsb()
                && java.util.Objects.equals(a.upScript(), b.upScript())
                && java.util.Objects.equals(a.downScript(), b.downScript());
    }

    /** Resources removed from the config are stopped here (with the settings they ran with) and forgotten. */
    private void forgetRemoved(Map<String, ResourceSpec> config, boolean maintenance) {
        for (String name : List.copyOf(specs.keySet())) {
            if (config.containsKey(name)) continue;
            ResourceSpec old = specs.get(name);
            ResourceStatus st = states.get(name);
            if (!maintenance && st != null && st.state().mayHold()) stop(old, "removed from the config");
            ResourceStatus after = states.get(name);
            if (maintenance || after == null || after.state() == State.STOPPED) {
                specs.remove(name);
                states.remove(name);
                driverOf.remove(name);
                failures.remove(name);
                probed.remove(name);
                validated.remove(name);
                nextMonitor.remove(name);
            }
        }
    }

    private ResourceDriver driver(ResourceSpec r) {
        return driverOf.computeIfAbsent(r.name(), n -> {
            try {
                return drivers.create(r);
            } catch (RuntimeException e) {
                LOG.error("resource {} cannot be run as configured: {}", r.name(), e.getMessage());
                return new Unusable(r.name(), e.getMessage());
            }
        });
    }

    /** A resource whose driver cannot even be built: every action answers "not configured" (fatal). */
    private record Unusable(String name, String why) implements ResourceDriver {
        private ActionResult result(String action) {
            return ActionResult.of(action, OcfStatus.ERR_CONFIGURED, why);
        }

        @Override
        public ActionResult start(long timeoutMs) {
            return result("start");
        }

        @Override
        public ActionResult stop(long timeoutMs) {
            return ActionResult.of("stop", OcfStatus.SUCCESS, "never started: " + why);
        }

        @Override
        public ActionResult monitor(long timeoutMs) {
            return ActionResult.of("monitor", OcfStatus.NOT_RUNNING, why);
        }

        @Override
        public ActionResult validate(long timeoutMs) {
            return result("validate-all");
        }

        @Override
        public String describe() {
            return name + " (unusable: " + why + ")";
        }
    }

    // ------------------------------------------------------------------ paths that cannot wait

    /**
     * Before a demotion (switchover, restart of the primary) and at shutdown: stops every resource
     * that runs with the primary, dependents first, on the caller's thread. Returns the resources
     * whose stop failed.
     */
    List<String> stopWithPrimary(String why) {
        heldDown = true;
        List<String> failed = new ArrayList<>();
        View v = view;
        if (v == null) return failed;
        var rc = v.cluster().config().resources();
        if (rc.maintenance().contains(me)) return failed;
        List<ResourceSpec> order = new ArrayList<>(ResourcePlanner.topological(specsNow(v)));
        java.util.Collections.reverse(order);
        for (ResourceSpec r : order) {
            ResourceStatus st = states.get(r.name());
            if (r.promotable() && st != null && st.promoted()) {
                actions.lock();
                try {
                    if (!demoteLocked(r, why)) failed.add(r.name());
                } finally {
                    actions.unlock();
                }
                continue;
            }
            if (!r.withPrimary() || st == null || !st.state().mayHold() || st.state() == State.BLOCKED) continue;
            if (r.order() == ResourceSpec.RoleOrder.BEFORE_PROMOTE) continue; // down after the demotion
            actions.lock();
            try {
                if (!stopLocked(r, why)) failed.add(r.name());
            } finally {
                actions.unlock();
            }
        }
        return failed;
    }

    /**
     * The lease guard is stopping PostgreSQL because the lease is gone: pgha's own addresses go at
     * once on this thread (an {@code ip addr del} takes milliseconds, and a start in progress on the
     * manager's thread stops its resource again when it sees the lease gone); every other resource
     * with the primary stops on the manager's thread, together with PostgreSQL.
     */
    void leaseLost() {
        View v = view;
        if (v == null) return;
        if (v.cluster().config().resources().maintenance().contains(me)) return;
        for (ResourceSpec r : specsNow(v).values()) {
            ResourceStatus st = states.get(r.name());
            if (r.promotable() && st != null && st.promoted() && stoppingNow.add(r.name())) {
                Thread t = new Thread(
                        () -> {
                            try {
                                ActionResult res = driver(r).demote(r.stopTimeoutMs());
                                if (res.ok()) states.computeIfPresent(r.name(), (k, x) -> x.withPromoted(false));
                                LOG.warn(
                                        "lease lost: resource {} {}",
                                        r.name(),
                                        res.ok() ? "demoted" : "NOT demoted: " + summary(res));
                                changed.run();
                            } finally {
                                stoppingNow.remove(r.name());
                            }
                        },
                        "resource-demote-" + r.name());
                t.setDaemon(true);
                t.start();
                continue;
            }
            if (!r.withPrimary() || st == null || !st.state().mayHold()) continue;
            if (!stoppingNow.add(r.name())) continue; // the manager's thread stops it right now
            if (r.kind() == ResourceSpec.Kind.IP) {
                try {
                    ActionResult res = driver(r).stop(Math.min(r.stopTimeoutMs(), 1000));
                    if (res.ok()) set(r.name(), State.STOPPED, res, "the leader lease was lost");
                    LOG.warn(
                            "lease lost: address {} {}",
                            r.name(),
                            res.ok() ? "removed" : "NOT removed: " + summary(res));
                } finally {
                    stoppingNow.remove(r.name());
                }
            } else {
                // not behind the manager's thread (it may be in a long monitor): at once, beside
                // PostgreSQL's stop; STOPPING keeps the plan from stopping it a second time
                set(r.name(), State.STOPPING, null, "the leader lease was lost");
                Thread t = new Thread(
                        () -> {
                            try {
                                ActionResult res = driver(r).stop(r.stopTimeoutMs());
                                boolean ok = res.ok() || res.status() == OcfStatus.NOT_RUNNING;
                                set(r.name(), ok ? State.STOPPED : State.BLOCKED, res, "the leader lease was lost");
                                LOG.warn(
                                        "lease lost: resource {} {}",
                                        r.name(),
                                        ok ? "stopped" : "NOT stopped: " + summary(res));
                            } finally {
                                stoppingNow.remove(r.name());
                            }
                        },
                        "resource-stop-" + r.name());
                t.setDaemon(true);
                t.start();
            }
        }
        kick();
    }

    /** The demotion that {@link #stopWithPrimary} announced did not happen: this primary's resources may run again. */
    void resumePrimary() {
        heldDown = false;
        kick();
    }

    /** Starts the resources that must run before the promotion; the names of those that failed. */
    List<String> startBeforePromote(ClusterState c) {
        heldDown = false;
        List<String> failed = new ArrayList<>();
        if (c.config().resources().maintenance().contains(me)) return failed;
        for (ResourceSpec r : ResourcePlanner.topological(c.config().resources().resources())) {
            if (!r.withPrimary() || r.disabled() || r.order() != ResourceSpec.RoleOrder.BEFORE_PROMOTE) continue;
            ResourceStatus st = states.get(r.name());
            if (st != null && st.state() == State.STARTED) continue;
            specs.put(r.name(), r);
            if (!start(r, "before the promotion")) failed.add(r.name());
        }
        return failed;
    }

    /** Whether every resource that must run before PostgreSQL starts on this member runs. */
    boolean readyForPostgres(ClusterState c) {
        if (c.config().resources().maintenance().contains(me)) return true;
        for (ResourceSpec r : c.config().resources().resources().values()) {
            if (r.disabled() || r.order() != ResourceSpec.RoleOrder.BEFORE_POSTGRESQL) continue;
            ResourceStatus st = states.get(r.name());
            if (st == null || st.state() != State.STARTED) return false;
        }
        return true;
    }

    /** Names the resources PostgreSQL waits for, for the log. */
    List<String> blockingPostgres() {
        Plan p = lastPlan;
        return p == null ? List.of() : p.blockingPostgres();
    }

    // ------------------------------------------------------------------ operator actions

    /**
     * {@code pgha resource cleanup}: forgets the resource's failures here and probes it again (a
     * blocked resource becomes what the probe finds). False when no such resource is known here.
     */
    boolean cleanup(String name) {
        if (!specs.containsKey(name)) return false;
        failures.remove(name);
        ResourceStatus st = states.get(name);
        if (st != null) states.put(name, st.withFailCount(0));
        probed.remove(name);
        validated.remove(name);
        streak.remove(name);
        retryAt.remove(name);
        LOG.info("resource {}: failures cleared on {} (cleanup)", name, me);
        kick();
        changed.run();
        return true;
    }

    /** What the member record publishes: every known resource's state here. */
    Map<String, ResourceStatus> published() {
        return new TreeMap<>(states);
    }

    /** The last plan (targets, what waits), or null before the first. */
    Plan lastPlan() {
        return lastPlan;
    }

    /** At agent shutdown, after PostgreSQL stopped: every resource still running here stops, dependents first. */
    void stopAll(String why) {
        View v = view;
        if (v != null && v.cluster().config().resources().maintenance().contains(me)) return;
        List<ResourceSpec> order = new ArrayList<>(ResourcePlanner.topological(new LinkedHashMap<>(specs)));
        java.util.Collections.reverse(order);
        for (ResourceSpec r : order) {
            ResourceStatus st = states.get(r.name());
            if (st != null && st.state().mayHold() && st.state() != State.BLOCKED) stop(r, why);
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.shutdownNow();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ bookkeeping

    private Map<String, ResourceSpec> specsNow(View v) {
        Map<String, ResourceSpec> all =
                new LinkedHashMap<>(v.cluster().config().resources().resources());
        specs.forEach(all::putIfAbsent);
        return all;
    }

    private Map<String, ResourceStatus> snapshot() {
        return new HashMap<>(states);
    }

    private void set(String name, State s, ActionResult res, String reason) {
        long now = clock.wallMillis();
        ResourceStatus before = states.getOrDefault(name, ResourceStatus.STOPPED);
        ResourceStatus next = before.with(s, now);
        if (res != null) next = next.withResult(summary(res));
        if (reason != null) next = next.withReason(reason);
        states.put(name, next);
        if (before.state() != s) changed.run();
    }

    /**
     * An action's outcome without the agent's output, which may repeat its parameters (passwords):
     * this goes into the member record, which anyone reading the DCS or the REST API sees.
     */
    static String summary(ActionResult res) {
        return res.action() + ": " + res.status().label() + (res.exitCode() >= 0 ? " (" + res.exitCode() + ")" : "")
                + " after " + res.millis() + " ms";
    }

    /** Fail counts without the failures older than each resource's failure_timeout. */
    private void refreshFailCounts() {
        long now = clock.wallMillis();
        for (Map.Entry<String, List<Long>> e : failures.entrySet()) {
            ResourceSpec r = specs.get(e.getKey());
            List<Long> f = e.getValue();
            int count;
            synchronized (f) {
                if (r != null && r.failureTimeoutMs() > 0)
                    f.removeIf(t -> t != Long.MAX_VALUE && now - t > r.failureTimeoutMs());
                count = 0;
                for (long t : f) count = t == Long.MAX_VALUE ? HARD_FAILURE : Math.min(HARD_FAILURE, count + 1);
            }
            ResourceStatus st = states.get(e.getKey());
            if (st != null && st.failCount() != count) {
                states.put(e.getKey(), st.withFailCount(count));
                changed.run();
            }
        }
    }

    /** What each resource waited for at the last tick, as logged (manager's thread only). */
    private final Map<String, String> loggedWaits = new HashMap<>();

    /** Writes each resource's placement reason (or what it waits for) into its state, for the record. */
    private void annotate(Plan plan) {
        // a resource this member should run but does not start says why in the log, once per reason:
        // a VIP that never comes up on a new primary must be explained where an operator looks first
        loggedWaits.keySet().retainAll(plan.waiting().keySet());
        plan.waiting().forEach((name, why) -> {
            if (!why.equals(loggedWaits.put(name, why))) LOG.info("resource {}: {}", name, why);
        });
        for (var e : plan.targets().entrySet()) {
            ResourceStatus st = states.get(e.getKey());
            if (st == null) continue;
            String why = plan.waiting().getOrDefault(e.getKey(), e.getValue().why());
            if (!why.equals(st.reason())) states.put(e.getKey(), st.withReason(why));
        }
    }
}
