package io.pgha.agent.resource;

import io.pgha.postgres.OsCommand;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One child process run to its end, the way every driver in this package runs its programs: a
 * clean environment ({@link OsCommand#cleanEnvironment()} plus what the caller adds), optional
 * text on standard input, the last {@code outputLimit} bytes of its output kept, and a deadline
 * after which the child <em>and every process it started</em> are killed.
 *
 * <p>A child that leaves a daemon behind holding its output open does not hold up the caller: once
 * the child itself has exited, its output is read for a short grace period more and whatever came
 * is the output.
 *
 * <p>Not thread-safe: configure, {@link #run(long)} once, drop.
 */
final class Child {
    /** How much of the output a driver keeps by default: enough for an error's last lines. */
    static final int DEFAULT_OUTPUT_LIMIT = 8 * 1024;

    private static final long OUTPUT_GRACE_MS = 300;

    private final List<String> command;
    private final Map<String, String> env = new HashMap<>();
    private String stdin;
    private int outputLimit = DEFAULT_OUTPUT_LIMIT;
    private boolean separateStderr;
    private File directory;

    Child(List<String> command) {
        if (command.isEmpty()) throw new IllegalArgumentException("empty command");
        this.command = List.copyOf(command);
    }

    /**
     * {@code command} run as {@code osUser}: through {@code setpriv} (with that user's primary group
     * and supplementary groups) when the agent runs as root, as the agent's own user otherwise or
     * when {@code osUser} is null.
     */
    static List<String> asUser(String osUser, List<String> command) {
        if (osUser == null || !OsCommand.runningAsRoot() || osUser.equals("root")) return command;
        List<String> full = new ArrayList<>(
                List.of("setpriv", "--reuid=" + osUser, "--regid=" + primaryGroup(osUser), "--init-groups", "--"));
        full.addAll(command);
        return full;
    }

    /**
     * The user's primary gid from /etc/passwd; else the user's name, which setpriv reads as a group
     * name (a user whose primary group is named otherwise, such as nobody's nogroup, needs the gid).
     */
    static String primaryGroup(String osUser) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 3 && f[0].equals(osUser) && f[3].matches("\\d+")) return f[3];
            }
        } catch (IOException e) {
            // no /etc/passwd: let setpriv resolve the name
        }
        return osUser;
    }

    /** Adds variables to the clean environment (values may be secret: they are never logged). */
    Child env(Map<String, String> vars) {
        env.putAll(vars);
        return this;
    }

    /** Text written to the child's standard input, which is then closed; small (a pipe's worth). */
    Child stdin(String text) {
        this.stdin = text;
        return this;
    }

    Child outputLimit(int bytes) {
        this.outputLimit = bytes;
        return this;
    }

    /** Keeps standard error apart ({@link Outcome#errorOutput()}) instead of merged into the output. */
    Child separateStderr() {
        this.separateStderr = true;
        return this;
    }

    /** The child's working directory (default: the agent's). */
    Child directory(Path dir) {
        this.directory = dir.toFile();
        return this;
    }

    /** How a run ended. */
    enum Ending {
        EXITED,
        TIMED_OUT,
        /** The program could not be started (missing, not executable); the output says why. */
        NOT_STARTED,
        /** The calling thread was interrupted; the child was killed and the interrupt restored. */
        INTERRUPTED
    }

    /**
     * What came of a run. {@code exitCode} is -1 unless {@code ending} is {@link Ending#EXITED};
     * {@code truncated} says the output was longer than the limit and only its end is kept.
     */
    record Outcome(Ending ending, int exitCode, String output, String errorOutput, long millis, boolean truncated) {
        boolean exited() {
            return ending == Ending.EXITED;
        }
    }

    /** Runs the command and waits for it at most {@code timeoutMs}; never throws for the child's failures. */
    Outcome run(long timeoutMs) {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(!separateStderr);
        if (directory != null) pb.directory(directory);
        pb.environment().clear();
        pb.environment().putAll(OsCommand.cleanEnvironment());
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Outcome(
                    Ending.NOT_STARTED,
                    -1,
                    "cannot run " + command.get(0) + ": " + e.getMessage(),
                    "",
                    ms(start),
                    false);
        }
        Tail out = new Tail(outputLimit);
        Tail err = new Tail(DEFAULT_OUTPUT_LIMIT);
        Thread outReader = drain(p.getInputStream(), out, "child-output");
        Thread errReader = separateStderr ? drain(p.getErrorStream(), err, "child-stderr") : null;
        feed(p);
        Ending ending;
        try {
            ending = p.waitFor(Math.max(0, timeoutMs), TimeUnit.MILLISECONDS) ? Ending.EXITED : Ending.TIMED_OUT;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ending = Ending.INTERRUPTED;
        }
        if (ending != Ending.EXITED) killTree(p);
        join(outReader);
        if (errReader != null) join(errReader);
        int code = ending == Ending.EXITED ? p.exitValue() : -1;
        return new Outcome(ending, code, out.text(), err.text(), ms(start), out.truncated());
    }

    private void feed(Process p) {
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // the child exited or closed its stdin without reading it all: its exit code tells
        }
    }

    /**
     * Kills the child and all its descendants. The descendants are listed before the child dies
     * (afterwards they are orphans, no longer found through it), the child is killed first so that
     * it starts no more, then each of them.
     */
    static void killTree(Process p) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        p.destroyForcibly();
        for (ProcessHandle h : tree) {
            List<ProcessHandle> below = h.descendants().toList();
            h.destroyForcibly();
            below.forEach(ProcessHandle::destroyForcibly);
        }
        try {
            p.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread drain(InputStream in, Tail into, String name) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[4096];
                    try (in) {
                        int n;
                        while ((n = in.read(buf)) >= 0) into.append(buf, n);
                    } catch (IOException e) {
                        // the pipe closed
                    }
                },
                name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void join(Thread reader) {
        try {
            reader.join(OUTPUT_GRACE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000L;
    }

    /** The last {@code limit} bytes written, as a ring. */
    static final class Tail {
        private final byte[] ring;
        private long written;

        Tail(int limit) {
            this.ring = new byte[Math.max(1, limit)];
        }

        synchronized void append(byte[] b, int n) {
            int skip = Math.max(0, n - ring.length); // older than a ring's worth: dropped at once
            written += skip;
            for (int i = skip; i < n; i++) {
                ring[(int) (written++ % ring.length)] = b[i];
            }
        }

        synchronized boolean truncated() {
            return written > ring.length;
        }

        synchronized String text() {
            int len = (int) Math.min(written, ring.length);
            byte[] out = new byte[len];
            long from = written - len;
            for (int i = 0; i < len; i++) out[i] = ring[(int) ((from + i) % ring.length)];
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    /** The command as a user would type it, for debug logs only (arguments are never secret here). */
    @Override
    public String toString() {
        return String.join(" ", command);
    }
}
