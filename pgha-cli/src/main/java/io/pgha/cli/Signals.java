package io.pgha.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSIX signals for the long-running commands. Without handlers the JVM treats SIGHUP like SIGTERM
 * (it exits, with status 129), so a {@code systemctl reload} would stop the agent and fail its
 * primary over; and SIGTERM would end with status 143 instead of 0.
 */
final class Signals {
    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {}

    /**
     * {@code action} made safe to call from several places (a signal handler and a shutdown hook):
     * the first caller runs it, later callers wait until it has finished.
     */
    static Runnable once(Runnable action) {
        return new Runnable() {
            private boolean done;

            @Override
            public synchronized void run() {
                if (done) return;
                done = true;
                action.run();
            }
        };
    }

    /** Runs {@code action} on a fresh thread whenever {@code name} (HUP, TERM, INT) arrives. */
    @SuppressWarnings("removal")
    static void on(String name, Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                Thread t = new Thread(action, "signal-" + name);
                t.start();
            });
        } catch (IllegalArgumentException e) {
            LOG.warn("cannot handle SIG{}: {}", name, e.getMessage());
        }
    }
}
