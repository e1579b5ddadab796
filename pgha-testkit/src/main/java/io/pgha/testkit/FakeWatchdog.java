package io.pgha.testkit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Plays the kernel's part for a stand-in watchdog device (a plain file the agent writes to; see the
 * agent's Watchdog): {@code '!'} arms it, {@code '.'} feeds it, {@code 'V'} disarms it. When an
 * armed device goes unfed for its timeout, it "resets the machine" by running {@code reset} (a test
 * SIGKILLs the node's processes). Polls every 5 ms.
 */
@SuppressWarnings("NonAtomicVolatileUpdate") // one thread, the poller, writes the counters
public final class FakeWatchdog implements AutoCloseable {
    private final Path file;
    private final long timeoutNanos;
    private final Runnable reset;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean armed;
    private volatile long lastFeedNanos;
    private volatile long feeds;
    private volatile int arms;
    private volatile long firedAtMillis;
    private volatile int fired;

    public FakeWatchdog(Path file, long timeoutMs, Runnable reset) throws IOException {
        this.file = file;
        this.timeoutNanos = timeoutMs * 1_000_000L;
        this.reset = reset;
        if (!Files.exists(file)) Files.createFile(file);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        thread = new Thread(this::watch, "fake-watchdog-" + file.getFileName());
        thread.setDaemon(true);
        thread.start();
    }

    private void watch() {
        long offset = 0;
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            offset = in.length();
            while (running) {
                long len = in.length();
                if (len > offset) {
                    in.seek(offset);
                    byte[] b = new byte[(int) (len - offset)];
                    in.readFully(b);
                    offset = len;
                    long now = System.nanoTime();
                    for (byte c : b) {
                        if (c == '!') {
                            armed = true;
                            arms++;
                            lastFeedNanos = now;
                        } else if (c == '.') {
                            feeds++;
                            lastFeedNanos = now;
                        } else if (c == 'V') {
                            armed = false;
                        }
                    }
                }
                if (armed && System.nanoTime() - lastFeedNanos > timeoutNanos) {
                    armed = false;
                    fired++;
                    firedAtMillis = System.currentTimeMillis();
                    reset.run();
                }
                Thread.sleep(5);
            }
        } catch (IOException e) {
            throw new IllegalStateException("fake watchdog on " + file, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean armed() {
        return armed;
    }

    public int arms() {
        return arms;
    }

    public long feeds() {
        return feeds;
    }

    /** How many times it reset its node. */
    public int fired() {
        return fired;
    }

    public long firedAtMillis() {
        return firedAtMillis;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
