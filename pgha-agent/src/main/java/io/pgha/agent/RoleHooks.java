package io.pgha.agent;

import io.pgha.agent.resource.Hooks;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.LocalState;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Patroni's callbacks ({@code postgresql.callbacks}): on_start, on_stop, on_restart, on_reload and
 * on_role_change, each called as {@code script ACTION ROLE CLUSTER} as the PostgreSQL OS user, one
 * at a time in the order the events happened, on a thread of their own: a slow or failing callback
 * is logged and counted and never holds up the agent, let alone a failover. Starts, stops and role
 * changes are seen in what the agent observes; a promotion, a restart and a reload are told.
 */
final class RoleHooks implements AutoCloseable {
    private final Supplier<NodeConfig> config;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "callbacks");
        t.setDaemon(true);
        return t;
    });
    private NodeConfig.Callbacks builtFrom;
    private Hooks hooks;
    /** The role last seen running (primary, replica, standby_leader), or null while stopped or unknown. */
    private String lastRole;

    private boolean observedOnce;
    /** The role PostgreSQL last ran in, kept while it is stopped. */
    private String lastRunningRole;

    RoleHooks(Supplier<NodeConfig> config) {
        this.config = config;
    }

    /** What the agent observed this cycle: fires on_start, on_stop or on_role_change for a change. */
    synchronized void observed(LocalState local, boolean standbyLeader) {
        String role = role(local, standbyLeader);
        if (!observedOnce) {
            observedOnce = true; // what ran before the agent started is no event
            lastRole = role;
            lastRunningRole = role;
            return;
        }
        if (java.util.Objects.equals(role, lastRole)) return;
        if (lastRole == null) {
            fire("on_start", role);
            // back in another role than it last ran in (a demoted primary, started as a standby)
            if (lastRunningRole != null && !lastRunningRole.equals(role)) fire("on_role_change", role);
        } else if (role == null) {
            fire("on_stop", lastRole);
        } else {
            fire("on_role_change", role);
        }
        lastRole = role;
        if (role != null) lastRunningRole = role;
    }

    /** The role as Patroni names it to its callbacks; null while PostgreSQL does not run. */
    private static String role(LocalState local, boolean standbyLeader) {
        if (!local.running()) return null;
        return !local.inRecovery() ? "primary" : standbyLeader ? "standby_leader" : "replica";
    }

    /** Right after a promotion, without waiting for the next cycle. */
    synchronized void promoted() {
        if ("primary".equals(lastRole)) return;
        fire("on_role_change", "primary");
        lastRole = "primary";
        lastRunningRole = "primary";
    }

    synchronized void restarted(LocalState local, boolean standbyLeader) {
        String role = role(local, standbyLeader);
        fire("on_restart", role == null ? "unknown" : role);
        lastRole = role;
        if (role != null) lastRunningRole = role;
    }

    synchronized void reloaded() {
        fire("on_reload", lastRole == null ? "unknown" : lastRole);
    }

    private void fire(String action, String role) {
        Hooks h = hooks();
        if (h != null) h.fire(action, role, config.get().cluster());
    }

    /** The callbacks of the current config (rebuilt after a reload changed them); null when none. */
    private Hooks hooks() {
        NodeConfig cfg = config.get();
        NodeConfig.Callbacks cb = cfg.postgresql().callbacks();
        if (!cb.equals(builtFrom)) {
            builtFrom = cb;
            Map<String, Path> scripts = new LinkedHashMap<>();
            cb.scripts().forEach((k, v) -> scripts.put(k, Path.of(v)));
            hooks = scripts.isEmpty() ? null : new Hooks(scripts, cfg.osUser(), cb.timeoutMs(), thread);
        }
        return hooks;
    }

    /** Callbacks called and failed, for the metrics. */
    synchronized long calls() {
        return hooks == null ? 0 : hooks.calls();
    }

    synchronized long failures() {
        return hooks == null ? 0 : hooks.failures();
    }

    /** Waits for the callbacks already fired (tests). */
    boolean awaitIdle(java.time.Duration d) {
        Hooks h;
        synchronized (this) {
            h = hooks;
        }
        return h == null || h.awaitIdle(d);
    }

    @Override
    public void close() {
        thread.shutdown();
    }
}
