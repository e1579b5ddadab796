package io.pgha.agent.resource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Patroni-style callbacks: for an event ({@code on_start}, {@code on_stop}, {@code on_restart},
 * {@code on_reload}, {@code on_role_change}) the configured script runs as {@code SCRIPT EVENT ROLE
 * CLUSTER}, the argument order of Patroni's callbacks ({@code callback action role scope}), so that
 * scripts written for Patroni work unchanged.
 *
 * <p>{@link #fire} never blocks: the script runs on the given executor (a single-thread executor
 * keeps hooks in the order they were fired; Patroni runs one at a time too), as {@code osUser}
 * (through {@code setpriv} when the agent runs as root), with a clean environment, and is killed
 * with everything it started after {@code timeoutMs}. A hook that fails (exit code not 0, timeout,
 * cannot start, executor full) is logged at WARN with its event and exit code and counted; it
 * never fails the caller. Thread-safe.
 */
public final class Hooks {
    private static final Logger LOG = LoggerFactory.getLogger(Hooks.class);

    public static final Set<String> EVENTS = Set.of("on_start", "on_stop", "on_restart", "on_reload", "on_role_change");

    private final Map<String, Path> scripts;
    private final String osUser;
    private final long timeoutMs;
    private final Executor executor;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final Map<String, LongAdder> callsByEvent = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> failuresByEvent = new ConcurrentHashMap<>();
    private final Object idle = new Object();
    private int inFlight; // guarded by idle

    /**
     * @param scripts a script per event; events without one do nothing
     * @param osUser the OS user scripts run as (null: the agent's own)
     * @throws IllegalArgumentException for an unknown event name or a bad user name
     */
    public Hooks(Map<String, Path> scripts, String osUser, long timeoutMs, Executor executor) {
        for (String event : scripts.keySet()) checkEvent(event);
        this.scripts = Map.copyOf(scripts);
        this.osUser = ResourceEnv.checkOsUser(osUser);
        this.timeoutMs = timeoutMs;
        this.executor = executor;
    }

    /** Runs the script for {@code event}, if one is configured, in the background; returns at once. */
    public void fire(String event, String role, String cluster) {
        checkEvent(event);
        Path script = scripts.get(event);
        if (script == null) return;
        calls.incrementAndGet();
        callsByEvent.computeIfAbsent(event, e -> new LongAdder()).increment();
        synchronized (idle) {
            inFlight++;
        }
        List<String> command = Child.asUser(osUser, List.of(script.toString(), event, role, cluster));
        try {
            executor.execute(() -> {
                try {
                    run(event, script, command);
                } finally {
                    done();
                }
            });
        } catch (RejectedExecutionException e) {
            failed(event, script, "not run: the hook executor refused it (" + e.getMessage() + ")");
            done();
        }
    }

    private void run(String event, Path script, List<String> command) {
        try {
            Child.Outcome o = new Child(command).run(timeoutMs);
            switch (o.ending()) {
                case EXITED -> {
                    if (o.exitCode() != 0) {
                        String last = ActionResult.lastLine(o.output());
                        failed(event, script, "exit code " + o.exitCode() + (last.isEmpty() ? "" : ": " + last));
                    } else {
                        LOG.debug("hook {} {} done in {} ms", event, script, o.millis());
                    }
                }
                case TIMED_OUT -> failed(event, script, "killed after its timeout of " + timeoutMs + " ms");
                case NOT_STARTED -> failed(event, script, o.output());
                case INTERRUPTED -> failed(event, script, "interrupted");
            }
        } catch (RuntimeException e) {
            failed(event, script, e.toString());
        }
    }

    private void failed(String event, Path script, String why) {
        failures.incrementAndGet();
        failuresByEvent.computeIfAbsent(event, e -> new LongAdder()).increment();
        LOG.warn("hook {} ({}) failed: {}", event, script, why);
    }

    private void done() {
        synchronized (idle) {
            inFlight--;
            idle.notifyAll();
        }
    }

    /** Hooks fired (with a script configured), over all events. */
    public long calls() {
        return calls.get();
    }

    /** Hooks that failed: a non-zero exit, a timeout, or not started at all. */
    public long failures() {
        return failures.get();
    }

    /** Hooks fired per event, for metrics. */
    public Map<String, Long> callsByEvent() {
        return snapshot(callsByEvent);
    }

    /** Failed hooks per event, for metrics. */
    public Map<String, Long> failuresByEvent() {
        return snapshot(failuresByEvent);
    }

    /**
     * Waits until no hook is running or queued, at most {@code timeout}; true when idle. Meant for
     * tests and shutdown. An interrupt ends the wait (false) and stays set.
     */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (inFlight > 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) return false;
                try {
                    idle.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> counts) {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static void checkEvent(String event) {
        if (!EVENTS.contains(event)) {
            throw new IllegalArgumentException("hook event '" + event + "' is not one of "
                    + String.join(", ", EVENTS.stream().sorted().toList()));
        }
    }
}
