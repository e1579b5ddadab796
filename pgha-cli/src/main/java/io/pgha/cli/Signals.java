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

    /**
     * Runs {@code action} on a fresh thread whenever {@code name} (HUP, TERM, INT) arrives. A signal
     * this process was started with ignored (SIGHUP under {@code nohup}) stays ignored: the JVM installs
     * no handler for it. That is said once, so that a reload by SIGHUP that does nothing is explained.
     */
    @SuppressWarnings("removal")
    static void on(String name, Runnable action) {
        if (ignoredAtStart(name))
            LOG.warn(
                    "SIG{} was ignored when this process started (under nohup?) and stays ignored:{}",
                    name,
                    "HUP".equals(name) ? " use `pgha reload` or restart without nohup" : "");
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                Thread t = new Thread(action, "signal-" + name);
                t.start();
            });
        } catch (IllegalArgumentException e) {
            LOG.warn("cannot handle SIG{}: {}", name, e.getMessage());
        }
    }

    /** True when /proc/self/status lists signal {@code name} as ignored; false where it cannot tell. */
    static boolean ignoredAtStart(String name) {
        return ignored(name, statusLine("SigIgn:"));
    }

    /** Whether {@code name} (HUP, INT, TERM) is set in a SigIgn mask as /proc prints it (hex). */
    static boolean ignored(String name, String mask) {
        int number = switch (name) {
            case "HUP" -> 1;
            case "INT" -> 2;
            case "TERM" -> 15;
            default -> 0;
        };
        if (number == 0 || mask == null) return false;
        try {
            return (Long.parseUnsignedLong(mask.trim(), 16) & (1L << (number - 1))) != 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String statusLine(String key) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")))
                if (line.startsWith(key)) return line.substring(key.length());
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: nothing to say
        }
        return null;
    }
}
