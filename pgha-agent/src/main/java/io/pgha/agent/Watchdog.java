package io.pgha.agent;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.ptr.IntByReference;
import io.pgha.core.config.WatchdogConfig;
import io.pgha.core.config.WatchdogConfig.Mode;
import io.pgha.core.model.Member;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux watchdog as a fence for the primary. Armed (opened, timeout set) before this member
 * promotes or otherwise starts acting as primary; fed only by the lease renewer after a renewal the
 * DCS confirmed; disarmed (magic close 'V') only once PostgreSQL is stopped or demoted. An agent
 * that freezes stops feeding it, and the kernel resets the machine before the lease can expire for
 * the other members.
 *
 * <p>A path that is not a character device (a regular file or a FIFO) is treated as a stand-in,
 * for tests: arming writes {@code '!'}, each feed {@code '.'}, disarming {@code 'V'}; nothing
 * else is done to it.
 */
public final class Watchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

    private final WatchdogConfig cfg;
    private Device device;
    private volatile String status;

    public Watchdog(WatchdogConfig cfg) {
        this.cfg = cfg;
        this.status = probe();
    }

    /** What an open device can do. */
    private interface Device {
        void feed() throws IOException;

        void disarm() throws IOException;
    }

    private String probe() {
        if (cfg.mode() == Mode.OFF) return "off";
        Path p = Path.of(cfg.device());
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.exists(p))
            return unavailable(cfg.device() + " does not exist");
        if (!Files.isWritable(p)) return unavailable(cfg.device() + " is not writable");
        return "ready (" + cfg.device() + ", " + cfg.timeoutSeconds() + " s, "
                + cfg.mode().label() + ")";
    }

    /** Null when this member may act as primary; otherwise why not (mode required, device unusable). */
    public String blocksPromotion() {
        if (cfg.mode() != Mode.REQUIRED) return null;
        String s = status;
        return s.startsWith(Member.WATCHDOG_BLOCKS)
                ? "watchdog is required but " + s.substring(Member.WATCHDOG_BLOCKS.length())
                : null;
    }

    /**
     * The status of an unusable device; in required mode it says so, and the other members' leader
     * race then passes this member over (it cannot be promoted, so it must not hold them back).
     */
    private String unavailable(String why) {
        return (cfg.mode() == Mode.REQUIRED ? Member.WATCHDOG_BLOCKS : "unavailable: ") + why;
    }

    /** The longest pause between feeds that leaves two chances before the timeout (unbounded when off). */
    public long maxFeedIntervalMs() {
        return cfg.mode() == Mode.OFF ? Long.MAX_VALUE : Math.max(100, cfg.timeoutSeconds() * 1000L / 3);
    }

    public String status() {
        return status;
    }

    public boolean armed() {
        synchronized (this) {
            return device != null;
        }
    }

    /**
     * Opens the device and sets its timeout, unless armed already. False only in required mode when
     * that fails (the caller must not act as primary); in automatic mode a failure is logged.
     */
    public synchronized boolean arm() {
        if (cfg.mode() == Mode.OFF || device != null) return true;
        try {
            device = open();
            status = "armed (" + cfg.device() + ", " + cfg.timeoutSeconds() + " s)";
            LOG.info("watchdog {} armed with a {} s timeout", cfg.device(), cfg.timeoutSeconds());
            return true;
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            status = unavailable(cfg.device() + ": " + e.getMessage());
            if (cfg.mode() == Mode.REQUIRED) {
                LOG.error("watchdog is required but cannot be armed: {}", e.getMessage());
                return false;
            }
            LOG.warn("watchdog cannot be armed, continuing without it (mode automatic): {}", e.getMessage());
            return true;
        }
    }

    /** Feeds an armed watchdog; call only after the DCS confirmed a lease renewal. */
    public synchronized void feed() {
        if (device == null) return;
        try {
            device.feed();
        } catch (IOException e) {
            LOG.error("feeding the watchdog failed: {}", e.getMessage());
        }
    }

    /** Disarms (magic close); call only once PostgreSQL no longer accepts writes as primary. */
    public synchronized void disarm() {
        if (device == null) return;
        try {
            device.disarm();
            LOG.info("watchdog disarmed");
        } catch (IOException e) {
            LOG.error("disarming the watchdog failed (the machine may be reset): {}", e.getMessage());
        }
        device = null;
        status = probe();
    }

    @Override
    public void close() {
        disarm();
    }

    private Device open() throws IOException {
        Path p = Path.of(cfg.device());
        Object mode = Files.getAttribute(p, "unix:mode");
        boolean charDevice = mode instanceof Integer m && (m & 0170000) == 0020000;
        return charDevice ? new LinuxDevice(cfg.device(), cfg.timeoutSeconds()) : new StandIn(p);
    }

    /** A test stand-in: bytes appended to a file or FIFO. */
    private static final class StandIn implements Device {
        private final RandomAccessFile out;

        StandIn(Path p) throws IOException {
            out = new RandomAccessFile(p.toFile(), "rw"); // O_RDWR: never blocks on a FIFO without reader
            out.seek(out.length());
            out.write('!');
        }

        @Override
        public void feed() throws IOException {
            out.write('.');
        }

        @Override
        public void disarm() throws IOException {
            try (out) {
                out.write('V');
            }
        }
    }

    /** libc through JNA: the watchdog's timeout can only be set with ioctl. */
    interface CLib extends Library {
        int open(String path, int flags);

        int ioctl(int fd, NativeLong request, IntByReference arg);

        NativeLong write(int fd, byte[] buf, NativeLong count);

        int close(int fd);
    }

    /** A real /dev/watchdog (Linux watchdog API: write to feed, ioctl for the timeout, 'V' to disarm). */
    private static final class LinuxDevice implements Device {
        private static final int O_WRONLY = 1;
        private static final int O_CLOEXEC = 02000000;
        private static final long WDIOC_SETTIMEOUT = 0xC0045706L;
        private static final long WDIOC_GETTIMEOUT = 0x80045707L;
        private final CLib c = Native.load("c", CLib.class);
        private final int fd;

        LinuxDevice(String path, int timeout) throws IOException {
            fd = c.open(path, O_WRONLY | O_CLOEXEC);
            if (fd < 0) throw new IOException("cannot open " + path + " (errno " + Native.getLastError() + ")");
            IntByReference t = new IntByReference(timeout);
            if (c.ioctl(fd, new NativeLong(WDIOC_SETTIMEOUT), t) < 0) {
                int errno = Native.getLastError();
                disarm();
                throw new IOException(
                        "cannot set the timeout of " + path + " to " + timeout + " s (errno " + errno + ")");
            }
            IntByReference got = new IntByReference();
            if (c.ioctl(fd, new NativeLong(WDIOC_GETTIMEOUT), got) == 0 && got.getValue() > timeout) {
                disarm();
                throw new IOException(path + " accepted a timeout of " + got.getValue() + " s, longer than the "
                        + timeout + " s needed");
            }
            feed();
        }

        @Override
        public void feed() throws IOException {
            write("1");
        }

        @Override
        public void disarm() throws IOException {
            try {
                write("V");
            } finally {
                c.close(fd);
            }
        }

        private void write(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.US_ASCII);
            if (c.write(fd, b, new NativeLong(b.length)).longValue() != b.length) {
                throw new IOException("write to the watchdog failed (errno " + Native.getLastError() + ")");
            }
        }
    }
}
