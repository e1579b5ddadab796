package io.pgha.archive;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a long copy (backup, restore), printed on one line of a terminal about twice a
 * second and once at the end. Silent when there is no terminal unless forced.
 */
public final class Progress implements AutoCloseable {
    private final String what;
    private final PrintStream out;
    private final boolean enabled;
    private final long started = System.nanoTime();
    private final AtomicLong done = new AtomicLong();
    private final AtomicLong files = new AtomicLong();
    private volatile long total;
    private volatile long totalFiles;
    private Thread ticker;

    public Progress(String what, PrintStream out, boolean enabled) {
        this.what = what;
        this.out = out;
        this.enabled = enabled;
    }

    public static Progress silent() {
        return new Progress("", System.err, false);
    }

    public void start(long totalBytes, long totalFiles) {
        this.total = totalBytes;
        this.totalFiles = totalFiles;
        if (!enabled) return;
        ticker = new Thread(
                () -> {
                    try {
                        while (!Thread.currentThread().isInterrupted()) {
                            Thread.sleep(500);
                            out.print("\r" + line());
                            out.flush();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "progress");
        ticker.setDaemon(true);
        ticker.start();
    }

    public void add(long bytes) {
        done.addAndGet(bytes);
    }

    public void fileDone() {
        files.incrementAndGet();
    }

    public long bytes() {
        return done.get();
    }

    public double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    String line() {
        double mb = done.get() / 1048576.0;
        double s = Math.max(seconds(), 0.001);
        String of = total > 0
                ? String.format(
                        Locale.ROOT, " of %.1f MB (%d%%)", total / 1048576.0, Math.min(100, done.get() * 100 / total))
                : "";
        String f = totalFiles > 0 ? " of " + totalFiles : "";
        return String.format(
                Locale.ROOT, "%s: %.1f MB%s, %.1f MB/s, %d%s files   ", what, mb, of, mb / s, files.get(), f);
    }

    @Override
    public void close() {
        if (ticker != null) ticker.interrupt();
        if (enabled) {
            out.println("\r" + line());
            out.flush();
        }
    }
}
