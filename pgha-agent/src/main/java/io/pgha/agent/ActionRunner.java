package io.pgha.agent;

import io.pgha.core.decide.LongAction;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one long action at a time (clone, rewind, start, promote) off the agent loop, so the loop
 * keeps publishing state while it runs. The loop sees the running action's name in its observation
 * and waits for it. Cancellation interrupts the action's thread.
 */
public final class ActionRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ActionRunner.class);

    /** An action body; may throw anything, which is logged as the action's failure. */
    public interface Body {
        void run() throws Exception;
    }

    private final ExecutorService pool;
    private final Runnable onDone;
    private volatile LongAction current;
    private volatile String lastFailure;
    private Future<?> future;

    /** Runs actions on a thread of their own; {@code onDone} runs after each. */
    public ActionRunner(Runnable onDone) {
        this(onDone, Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "action");
            t.setDaemon(true);
            return t;
        }));
    }

    /** Runs actions on {@code pool} (component tests run them on the caller's thread). */
    ActionRunner(Runnable onDone, ExecutorService pool) {
        this.onDone = onDone;
        this.pool = pool;
    }

    /** The running action, or null. */
    public LongAction current() {
        return current;
    }

    /** The last failed action's error, or null; cleared when the next action starts. */
    public String lastFailure() {
        return lastFailure;
    }

    /** Starts {@code body} unless an action runs already; false in that case. */
    public synchronized boolean submit(LongAction name, Body body) {
        if (current != null) return false;
        current = name;
        lastFailure = null;
        future = pool.submit(() -> {
            LOG.info("{}: started", name);
            try {
                body.run();
                LOG.info("{}: done", name);
            } catch (InterruptedException e) {
                lastFailure = name + " cancelled";
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                lastFailure = name + " failed: " + e.getMessage();
                LOG.error("{} failed: {}", name, e.getMessage());
                LOG.debug("{} failure", name, e);
            } finally {
                current = null;
                onDone.run();
            }
        });
        return true;
    }

    public synchronized void cancel() {
        if (future != null) future.cancel(true);
    }

    @Override
    public void close() {
        cancel();
        pool.shutdownNow();
    }
}
