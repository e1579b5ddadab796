package io.pgha.postgres;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.io.IOException;

/**
 * The few libc calls that Java's file API lacks and {@link GuardedDirectory} needs: the {@code *at}
 * family relative to an open directory, and {@code fchown} on an open file. Flag values differ
 * between architectures; only those listed here are supported.
 */
final class Libc {
    static final int ENOENT = 2;
    static final int EEXIST = 17;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int ELOOP = 40;
    static final int AT_REMOVEDIR = 0x200;

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NONBLOCK = 04000;
    static final int O_CLOEXEC = 02000000;
    static final int O_DIRECTORY;
    static final int O_NOFOLLOW;

    static {
        switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> {
                O_DIRECTORY = 0200000;
                O_NOFOLLOW = 0400000;
            }
            case "aarch64", "arm64" -> {
                O_DIRECTORY = 040000;
                O_NOFOLLOW = 0100000;
            }
            default -> {
                O_DIRECTORY = -1;
                O_NOFOLLOW = -1;
            }
        }
    }

    /** The C library as JNA maps it; errno of the last call through {@link Native#getLastError()}. */
    interface C extends Library {
        int open(String path, int flags, int mode);

        int openat(int dirfd, String path, int flags, int mode);

        int mkdirat(int dirfd, String path, int mode);

        int renameat(int olddirfd, String oldpath, int newdirfd, String newpath);

        int unlinkat(int dirfd, String path, int flags);

        int fchown(int fd, int uid, int gid);

        int fsync(int fd);

        NativeLong write(int fd, byte[] buf, NativeLong count);

        NativeLong read(int fd, byte[] buf, NativeLong count);

        int close(int fd);

        int kill(int pid, int sig);

        /** syscall(2), for calls glibc 2.36 has no wrapper of its own for (pidfd_open). */
        long syscall(long number, long a, long b);

        /** poll(2) on one {@code struct pollfd}, given as {fd, events | revents << 16} (little-endian). */
        int poll(int[] pollfd, NativeLong nfds, int timeoutMs);
    }

    private static volatile C c;

    private Libc() {}

    /** libc, loaded on first use; fails on an architecture whose flag values are not known here. */
    static C c() throws IOException {
        if (O_NOFOLLOW < 0)
            throw new IOException(
                    "pgha's safe file writes do not support the architecture " + System.getProperty("os.arch"));
        C lib = c;
        if (lib == null) {
            lib = Native.load("c", C.class);
            c = lib;
        }
        return lib;
    }

    static int errno() {
        return Native.getLastError();
    }
}
