package io.pgha.cli.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The write load of a libpq client ({@code bench/libpq_writer.py}, psycopg2 through a multi-host
 * connection string with {@code target_session_attrs=read-write}), run beside the JDBC {@link
 * io.pgha.testkit.Writer} so that each fault is measured with both kinds of client. Its
 * acknowledgements carry CLOCK_MONOTONIC times, the clock of {@link System#nanoTime()}.
 */
final class LibpqWriter implements AutoCloseable {
    static final String PYTHON = "/usr/bin/python3";

    record Ack(long id, long atNanos, long atMillis) {}

    private final Process process;
    private final Thread reader;
    private final List<Ack> acks = new ArrayList<>();
    private final ConcurrentSkipListSet<Long> acked = new ConcurrentSkipListSet<>();

    private LibpqWriter(Process process) {
        this.process = process;
        this.reader = new Thread(this::read, "libpq-writer");
        reader.setDaemon(true);
        reader.start();
    }

    /** Whether this machine can run the libpq client (Debian's python3-psycopg2). */
    static String unavailable() {
        if (!Files.isExecutable(Path.of(PYTHON))) return PYTHON + " is missing";
        try {
            Process p = new ProcessBuilder(PYTHON, "-c", "import psycopg2")
                    .redirectErrorStream(true)
                    .start();
            return p.waitFor() == 0 ? null : "psycopg2 is missing (apt-get install -y python3-psycopg2)";
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Starts writing rows into {@code table} through {@code dsn}. */
    static LibpqWriter start(String dsn, String table) throws IOException {
        Path script = Path.of("bench", "libpq_writer.py").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder(PYTHON, script.toString(), dsn, table)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/bin:/bin");
        return new LibpqWriter(pb.start());
    }

    private void read() {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.trim().split(" ");
                if (f.length != 3) continue;
                Ack a = new Ack(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
                synchronized (acks) {
                    acks.add(a);
                }
                acked.add(a.id());
            }
        } catch (IOException | NumberFormatException e) {
            // the process ended
        }
    }

    int ackedCount() {
        return acked.size();
    }

    Set<Long> acked() {
        return acked;
    }

    long acksAfter(long nanos) {
        synchronized (acks) {
            return acks.stream().filter(a -> a.atNanos() > nanos).count();
        }
    }

    /** The longest pause between two consecutive acknowledgements after {@code fromNanos}, in ms. */
    long longestGapMsAfter(long fromNanos) {
        List<Ack> copy;
        synchronized (acks) {
            copy = List.copyOf(acks);
        }
        long longest = 0;
        Ack prev = null;
        for (Ack a : copy) {
            if (prev != null && a.atNanos() > fromNanos) longest = Math.max(longest, a.atNanos() - prev.atNanos());
            prev = a;
        }
        return longest / 1_000_000L;
    }

    /**
     * The two acknowledgements around the longest pause that ends after {@code fromNanos}, as {@code
     * {before, after}} in nanoTime, or null when there is none.
     */
    long[] longestGapAfter(long fromNanos) {
        List<Ack> copy;
        synchronized (acks) {
            copy = List.copyOf(acks);
        }
        long[] worst = null;
        for (int i = 1; i < copy.size(); i++) {
            long a = copy.get(i - 1).atNanos();
            long b = copy.get(i).atNanos();
            if (b < fromNanos) continue;
            if (worst == null || b - a > worst[1] - worst[0]) worst = new long[] {a, b};
        }
        return worst;
    }

    boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            process.getOutputStream().close(); // EOF on its stdin: it stops
        } catch (IOException e) {
            // already gone
        }
        if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        reader.join(5000);
    }
}
