package io.pgha.archive;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Push-ahead and prefetch around a {@link WalArchive}, with a {@link Spool}:
 *
 * <ul>
 *   <li>{@link #pushReady} pushes every WAL file PostgreSQL has marked {@code .ready} in parallel
 *       and marks each in the spool, so that PostgreSQL's later archive_command call only confirms;
 *   <li>{@link #get} serves a segment from the prefetch queue when it is there, and otherwise
 *       fetches it and the next ones in parallel into the queue (outside pg_wal).
 * </ul>
 */
public final class AsyncArchive {
    private static final Logger LOG = LoggerFactory.getLogger(AsyncArchive.class);
    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
    private static final long MARKER_MAX_AGE_MS = 3_600_000;

    private final WalArchive archive;
    private final Spool spool;
    private final int parallel;

    public AsyncArchive(WalArchive archive, Spool spool, int parallel) {
        this.archive = archive;
        this.spool = spool;
        this.parallel = Math.max(1, parallel);
    }

    /** What one push-ahead round did. */
    public record Round(int pushed, int failed, List<String> errors) {}

    /**
     * Pushes the {@code .ready} files of {@code pgWal} (at most {@code max}, oldest first) that are not
     * marked yet, {@code parallel} at a time, and marks each one pushed. A failure is reported, not
     * thrown: PostgreSQL asks for that file again and gets the error itself.
     */
    public Round pushReady(Path pgWal, int max) throws IOException {
        List<String> ready = new ArrayList<>();
        Path status = pgWal.resolve("archive_status");
        if (!Files.isDirectory(status)) return new Round(0, 0, List.of());
        try (DirectoryStream<Path> s = Files.newDirectoryStream(status, "*.ready")) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                ready.add(n.substring(0, n.length() - ".ready".length()));
            }
        }
        ready.sort(null);
        List<String> todo = new ArrayList<>();
        for (String n : ready) if (!spool.isMarked(n) && todo.size() < max) todo.add(n);
        spool.expireMarkers(MARKER_MAX_AGE_MS);
        if (todo.isEmpty()) return new Round(0, 0, List.of());
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, todo.size()));
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (String n : todo) {
                fs.add(pool.submit(() -> {
                    Path f = pgWal.resolve(n);
                    archive.push(f);
                    spool.markPushed(f);
                    return null;
                }));
            }
            int ok = 0;
            List<String> errors = new ArrayList<>();
            for (int i = 0; i < fs.size(); i++) {
                try {
                    fs.get(i).get();
                    ok++;
                } catch (java.util.concurrent.ExecutionException e) {
                    // a file PostgreSQL archived meanwhile (.ready gone, file recycled) is not an error
                    if (Files.exists(status.resolve(todo.get(i) + ".ready")))
                        errors.add(todo.get(i) + ": " + e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            for (String e : errors) LOG.warn("push-ahead failed: {}", e);
            return new Round(ok, errors.size(), errors);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * restore_command with a prefetch queue: serves {@code name} from the queue or the repository,
     * then fetches up to {@code prefetch} following segments into the queue.
     */
    public WalArchive.GetResult get(String name, Path dest, int prefetch) throws IOException {
        Path queued = spool.prefetchedDir().resolve(name);
        dropOlderThan(name);
        if (Files.exists(queued)) {
            Files.move(queued, dest, StandardCopyOption.REPLACE_EXISTING);
            return WalArchive.GetResult.RESTORED;
        }
        WalArchive.GetResult r = archive.get(name, dest);
        if (r == WalArchive.GetResult.RESTORED
                && prefetch > 0
                && SEGMENT.matcher(name).matches()) fill(name, Files.size(dest), prefetch);
        return r;
    }

    /** Removes queued segments that sort before {@code name}: recovery moved past them. */
    private void dropOlderThan(String name) throws IOException {
        if (!SEGMENT.matcher(name).matches()) return;
        for (String q : spool.prefetched())
            if (q.compareTo(name) < 0)
                Files.deleteIfExists(spool.prefetchedDir().resolve(q));
    }

    private void fill(String after, long segmentSize, int count) throws IOException {
        Path dir = Spool.createPrivateDirectory(spool.prefetchedDir());
        long perLog = WalNames.perLog(segmentSize);
        int tl = WalNames.timeline(after);
        long n = WalNames.segNo(after, perLog);
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, count));
        try {
            List<Future<WalArchive.GetResult>> fs = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                String next = WalNames.name(tl, n + i, perLog);
                Path target = dir.resolve(next);
                if (Files.exists(target)) continue;
                fs.add(pool.submit(() -> archive.get(next, target)));
            }
            for (Future<WalArchive.GetResult> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    LOG.warn("prefetch failed: {}", e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
