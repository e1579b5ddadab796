package io.pgha.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Liveness of processes that are not our children, such as a postmaster started by pg_ctl. Such a
 * process stays a zombie after it exited until its new parent reaps it, which in a container may
 * take long; {@link ProcessHandle#isAlive()} counts zombies as alive, this class does not.
 */
public final class Processes {
    private Processes() {}

    public static boolean alive(long pid) {
        char state = state(pid);
        if (state == 0) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
                    && !Files.isDirectory(Path.of("/proc"));
        }
        return state != 'Z' && state != 'X';
    }

    /** pidfd_open(2): the same number on x86-64 and arm64 (Linux 5.3 and later). */
    private static final long SYS_PIDFD_OPEN = 434;

    private static final short POLLIN = 1;

    /**
     * A process's exit, waited for without looking at it again and again ({@link #exitOf}); an
     * interface so that tests can stand in for it.
     */
    public interface Exit extends AutoCloseable {
        /** Whether the process ended within {@code timeoutMs} (false also when the wait was interrupted). */
        boolean await(int timeoutMs) throws InterruptedException;

        @Override
        void close();
    }

    /** A pidfd (Linux 5.3 and later), which poll(2) reports readable once the process has ended (a zombie counts as ended). */
    private static final class PidFd implements Exit {
        private final Libc.C c;
        private final int fd;
        private boolean closed;

        private PidFd(Libc.C c, int fd) {
            this.c = c;
            this.fd = fd;
        }

        @Override
        public synchronized boolean await(int timeoutMs) {
            if (closed) return false;
            int[] pollfd = {fd, POLLIN};
            return c.poll(pollfd, new com.sun.jna.NativeLong(1), timeoutMs) > 0;
        }

        @Override
        public synchronized void close() {
            if (!closed) c.close(fd);
            closed = true;
        }
    }

    /**
     * A handle on {@code pid}'s exit, or null where the kernel (before 5.3), a seccomp filter or the
     * architecture offers none, or when the process is gone already: the caller then looks at the
     * process from time to time instead.
     */
    public static Exit exitOf(long pid) {
        if (pid <= 0 || pid > Integer.MAX_VALUE) return null;
        try {
            Libc.C c = Libc.c();
            long fd = c.syscall(SYS_PIDFD_OPEN, pid, 0);
            return fd < 0 ? null : new PidFd(c, (int) fd);
        } catch (java.io.IOException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Whether {@code pid} has exited but is not reaped yet (its parent has not waited for it). */
    public static boolean zombie(long pid) {
        char state = state(pid);
        return state == 'Z' || state == 'X';
    }

    /** The process state letter of /proc/PID/stat ('?' when unreadable there), or 0 when there is no such file. */
    private static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
        } catch (IOException e) {
            return 0;
        }
    }

    /** The pid of the live postmaster of {@code dataDir} (from its postmaster.pid), or -1. */
    public static long postmasterPid(Path dataDir) {
        try {
            long pid = Long.parseLong(
                    Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
            return alive(pid) ? pid : -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Live PostgreSQL processes working in {@code dataDir} (their current directory): after the
     * postmaster died, its orphaned backends keep the shared memory busy and a new postmaster
     * refuses to start until they are gone.
     */
    public static java.util.List<Long> postgresIn(Path dataDir) {
        java.util.List<Long> out = new java.util.ArrayList<>();
        Path want;
        try {
            want = dataDir.toRealPath();
        } catch (IOException e) {
            return out;
        }
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                try {
                    if (!Files.readString(d.resolve("comm")).trim().equals("postgres")) continue;
                    if (!Files.readSymbolicLink(d.resolve("cwd")).equals(want)) continue;
                    long pid = Long.parseLong(name);
                    if (alive(pid)) out.add(pid);
                } catch (IOException | RuntimeException e) {
                    // gone, or not ours to look at
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** Waits up to {@code timeoutMs} for {@code pid} to be gone, polling every 5 ms; false on timeout. */
    public static boolean awaitExit(long pid, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (alive(pid)) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(5);
        }
        return true;
    }
}
