package io.pgha.archive;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The archive server of one spool: a long-running process that pushes WAL ahead of PostgreSQL and
 * answers archive_command and restore_command, so that no call waits for a JVM to start.
 *
 * <ul>
 *   <li>Every {@code .ready} file of pg_wal is pushed ahead, {@code parallel} at a time, and marked
 *       in the spool, as {@link AsyncArchive#pushReady} does.
 *   <li>Calls arrive as lines on the FIFO {@code SPOOL/calls}: {@code push PID NAME} or {@code get
 *       PID NAME}, written by {@code SPOOL/call.sh} (the client, written here at start). The answer
 *       goes to the client's own FIFO {@code SPOOL/replies/PID}: {@code 0}, {@code 1} (get: not in
 *       the archive) or {@code CODE MESSAGE}, with the exit codes of {@code pgha archive push|get}.
 *   <li>A push waits for the same file's push-ahead when one runs, or pushes it itself. A get is
 *       fetched into {@code SPOOL/prefetched/NAME}, which the client moves into place, and the next
 *       {@code prefetch} segments are fetched behind it, after the answer.
 *   <li>{@code SPOOL/server.pid} names the server while it runs. The client hands the call to a
 *       fallback (a pgha command that does the work itself) when no server runs or it ends before
 *       it answers.
 * </ul>
 *
 * <p>Only PostgreSQL's OS user, the spool's owner, can write to the FIFOs (the spool is 0700). A
 * call is still checked: a name that is not a WAL file name, or a reply path that is not a FIFO, is
 * dropped.
 */
public final class ArchiveServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveServer.class);
    static final String CALLS = "calls";
    static final String REPLIES = "replies";
    static final String PID_FILE = "server.pid";
    static final String CLIENT = "call.sh";
    /** Answers, the exit codes of {@code pgha archive push|get}: done, not archived, bad usage, unusable, corrupt, conflict. */
    static final int DONE = 0, MISSING = 1, USAGE = 2, UNAVAILABLE = 3, CORRUPT = 4, CONFLICT = 5;

    private static final Pattern CALL = Pattern.compile("(push|get) ([0-9]{1,10}) (\\S{1,64})");
    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
    /** How long a confirmed push keeps push-ahead from pushing the same name again (PostgreSQL renames its .ready meanwhile). */
    private static final long CONFIRMED_MS = 10_000;

    private static final long MARKER_MAX_AGE_MS = 3_600_000;

    private final WalArchive archive;
    private final Spool spool;
    private final Path pgWal;
    private final int parallel;
    private final int prefetch;
    private final ExecutorService transfers;
    private final ExecutorService calls;
    private final Map<String, CompletableFuture<Void>> pushing = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<WalArchive.GetResult>> fetching = new ConcurrentHashMap<>();
    private final Map<String, Long> confirmed = new ConcurrentHashMap<>();
    private final AtomicInteger served = new AtomicInteger();
    private volatile long lastWorkNanos = System.nanoTime();
    private static final long MAX_BACKOFF_MS = 30_000;
    private volatile long pushAheadBackoffMs;
    private volatile long pushAheadPausedUntil = System.nanoTime();
    private volatile boolean closed;
    private FileChannel callsChannel;
    private Thread reader;
    private Thread warm;

    /**
     * {@code pgWal}: the server's pg_wal, whose {@code .ready} files are pushed ahead and whose files
     * push calls name. {@code prefetch}: segments fetched ahead of a get.
     */
    public ArchiveServer(WalArchive archive, Spool spool, Path pgWal, int parallel, int prefetch) {
        this.archive = archive;
        this.spool = spool;
        this.pgWal = pgWal;
        this.parallel = Math.max(1, parallel);
        this.prefetch = Math.max(0, prefetch);
        this.transfers = Executors.newFixedThreadPool(this.parallel, daemons("archive-transfer"));
        this.calls = Executors.newCachedThreadPool(daemons("archive-call"));
    }

    private static ThreadFactory daemons(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ------------------------------------------------------------------ start

    /**
     * Creates the FIFOs and the client, then answers calls; {@code SPOOL/server.pid} is written last,
     * when calls are read.
     */
    public synchronized void start() throws IOException {
        Path dir = Spool.createPrivateDirectory(spool.dir());
        Spool.createPrivateDirectory(dir.resolve(REPLIES));
        Spool.createPrivateDirectory(spool.prefetchedDir());
        Path fifo = dir.resolve(CALLS);
        if (!isFifo(fifo)) {
            Files.deleteIfExists(fifo);
            mkfifo(fifo);
        }
        writeClient(dir.resolve(CLIENT));
        callsChannel =
                FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        reader = new Thread(this::readCalls, "archive-calls");
        reader.setDaemon(true);
        reader.start();
        Path tmp = dir.resolve("." + PID_FILE + ".tmp");
        Files.deleteIfExists(tmp);
        Files.writeString(tmp, ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, dir.resolve(PID_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LOG.info(
                "archive server {} answers calls in {}", ProcessHandle.current().pid(), dir);
        warm = new Thread(this::warmUp, "archive-warm-up");
        warm.setDaemon(true);
        warm.setPriority(Thread.MIN_PRIORITY);
        warm.start();
    }

    /**
     * Pushes and gets one synthetic 16 MB segment through a scratch repository in the spool, so that
     * the first real call does not pay for loading the compressor's native library, class loading
     * and the JIT (about 290 ms instead of 100 on this project's bench machine).
     */
    void warmUp() {
        Path dir = spool.dir().resolve(".warm-up");
        try {
            RestoreRunner.removeContents(dir, true);
            Path wal = Files.createDirectories(dir.resolve("pg_wal"));
            Path repo = Files.createDirectories(dir.resolve("repo"));
            String name = "000000000000000000000001";
            java.util.Random r = new java.util.Random(1);
            byte[] page = new byte[8192]; // a quarter of each page varies, as in real WAL
            try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(wal.resolve(name)), 1 << 16)) {
                for (int i = 0; i < (16 << 20) / page.length; i++) {
                    java.util.Arrays.fill(page, (byte) 0);
                    for (int j = 0; j < page.length / 4; j++) page[j] = (byte) r.nextInt();
                    out.write(page);
                }
            }
            WalArchive scratch = new WalArchive(new DirectoryRepository(repo), archive.compression());
            scratch.push(wal.resolve(name));
            scratch.get(name, dir.resolve("back"));
        } catch (IOException | RuntimeException e) {
            LOG.debug("archive server: warm-up", e);
        } finally {
            RestoreRunner.removeContents(dir, true);
        }
    }

    static boolean isFifo(Path p) {
        try {
            return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .isOther();
        } catch (IOException e) {
            return false;
        }
    }

    private static void mkfifo(Path fifo) throws IOException {
        try {
            Process p = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) throw new IOException("cannot create the FIFO " + fifo + ": " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating " + fifo, e);
        }
    }

    private static void writeClient(Path target) throws IOException {
        byte[] script;
        try (InputStream in = ArchiveServer.class.getResourceAsStream(CLIENT)) {
            if (in == null) throw new IOException("the archive client " + CLIENT + " is missing from this build");
            script = in.readAllBytes();
        }
        Path tmp = target.resolveSibling("." + CLIENT + ".tmp");
        Files.deleteIfExists(tmp);
        Files.write(
                Files.createFile(
                        tmp,
                        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))),
                script);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Calls answered so far. */
    public int served() {
        return served.get();
    }

    /** Nanoseconds since the last push, get or call. */
    public long idleNanos() {
        return System.nanoTime() - lastWorkNanos;
    }

    // ------------------------------------------------------------------ calls

    private void readCalls() {
        // not closed here: close() owns the channel (closing it here would leave the FIFO without a
        // reader, and the wake-up write in close() would wait for one)
        BufferedReader in = new BufferedReader(
                new java.io.InputStreamReader(Channels.newInputStream(callsChannel), StandardCharsets.US_ASCII));
        try {
            String line;
            while (!closed && (line = in.readLine()) != null) {
                if (closed) break;
                Matcher m = CALL.matcher(line);
                if (!m.matches()) {
                    LOG.warn("archive server: ignoring a malformed call '{}'", printable(line));
                    continue;
                }
                lastWorkNanos = System.nanoTime();
                String op = m.group(1);
                String pid = m.group(2);
                String name = m.group(3);
                calls.execute(() -> answer(op, pid, name));
            }
        } catch (IOException e) {
            if (!closed) LOG.error("archive server: reading calls failed", e);
        }
    }

    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private void answer(String op, String pid, String name) {
        Path reply = spool.dir().resolve(REPLIES).resolve(pid);
        if (!isFifo(reply)) {
            LOG.debug("archive server: no reply FIFO for call {} {} {}", op, pid, name);
            return; // the client is gone
        }
        String answer;
        try {
            if (!WalArchive.isWalName(name)) answer = USAGE + " '" + name + "' is not a WAL file name";
            else answer = op.equals("push") ? push(name) : get(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            answer = UNAVAILABLE + " the archive server is stopping";
        } catch (Exception e) {
            Throwable c = e;
            while ((c instanceof ExecutionException
                            || c instanceof UncheckedIOException
                            || c instanceof java.util.concurrent.CompletionException)
                    && c.getCause() != null) c = c.getCause();
            int code = c instanceof ArchiveConflictException
                    ? CONFLICT
                    : c instanceof CorruptFileException ? CORRUPT : UNAVAILABLE;
            answer = code + " " + (c.getMessage() == null ? c.toString() : c.getMessage()).replace('\n', ' ');
            LOG.warn("archive server: {} {} failed: {}", op, name, answer.substring(2));
        }
        try (FileChannel ch =
                FileChannel.open(reply, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer b = ByteBuffer.wrap((answer + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            served.incrementAndGet();
        } catch (IOException e) {
            LOG.debug("archive server: cannot answer {} {}: {}", op, name, e.toString());
        }
        lastWorkNanos = System.nanoTime();
    }

    private String push(String name) throws Exception {
        Path f = pgWal.resolve(name);
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) return UNAVAILABLE + " no such file to archive: " + f;
        if (!spool.confirmPushed(f)) {
            pushAhead(name).get();
            spool.confirmPushed(f);
        }
        confirmed.put(name, System.nanoTime());
        return String.valueOf(DONE);
    }

    /** Pushes {@code name} of pg_wal, or joins the push of it that runs already; marks it pushed. */
    private CompletableFuture<Void> pushAhead(String name) {
        CompletableFuture<Void> f = pushing.computeIfAbsent(
                name,
                n -> CompletableFuture.runAsync(
                        () -> {
                            try {
                                Path file = pgWal.resolve(n);
                                archive.push(file);
                                spool.markPushed(file);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        },
                        transfers));
        // Registered outside computeIfAbsent: a push that already failed would otherwise run this
        // inside it, where the removal cannot happen, and stay in the map for every later call.
        var unused = f.whenComplete((v, e) -> pushing.remove(name, f));
        return f;
    }

    private String get(String name) throws Exception {
        Path queued = spool.prefetchedDir().resolve(name);
        WalArchive.GetResult r = Files.exists(queued, LinkOption.NOFOLLOW_LINKS)
                ? WalArchive.GetResult.RESTORED
                : fetch(name).get();
        if (r == WalArchive.GetResult.MISSING) return String.valueOf(MISSING);
        if (SEGMENT.matcher(name).matches()) {
            dropOlderThan(name);
            long size = Files.size(queued);
            long perLog = WalNames.perLog(size);
            int tl = WalNames.timeline(name);
            long n = WalNames.segNo(name, perLog);
            for (int i = 1; i <= prefetch; i++) {
                String next = WalNames.name(tl, n + i, perLog);
                if (!Files.exists(spool.prefetchedDir().resolve(next))) {
                    var unused = fetch(next);
                }
            }
        }
        return String.valueOf(DONE);
    }

    /** Fetches {@code name} into the prefetch queue, or joins the fetch of it that runs already. */
    private CompletableFuture<WalArchive.GetResult> fetch(String name) {
        CompletableFuture<WalArchive.GetResult> f = fetching.computeIfAbsent(
                name,
                n -> CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return archive.get(n, spool.prefetchedDir().resolve(n));
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        },
                        transfers));
        var unused = f.whenComplete((v, e) -> fetching.remove(name, f)); // outside: see pushAhead
        return f;
    }

    private void dropOlderThan(String name) throws IOException {
        for (String q : spool.prefetched())
            if (q.compareTo(name) < 0 && !fetching.containsKey(q))
                Files.deleteIfExists(spool.prefetchedDir().resolve(q));
    }

    // ------------------------------------------------------------------ push-ahead

    /**
     * One push-ahead round: starts pushing every {@code .ready} file that is not marked, not being
     * pushed and not just confirmed, at most {@code 4 * parallel} at once. Returns how many it
     * started.
     */
    public int pushReady() throws IOException {
        if (closed || System.nanoTime() - pushAheadPausedUntil < 0) return 0;
        Path status = pgWal.resolve("archive_status");
        if (!Files.isDirectory(status)) return 0;
        List<String> ready = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(status, "*.ready")) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                ready.add(n.substring(0, n.length() - ".ready".length()));
            }
        }
        long now = System.nanoTime();
        confirmed.values().removeIf(t -> now - t > CONFIRMED_MS * 1_000_000);
        spool.expireMarkers(MARKER_MAX_AGE_MS);
        ready.sort(null);
        int started = 0;
        for (String n : ready) {
            if (pushing.size() >= 4 * parallel) break;
            if (!WalArchive.isWalName(n) || pushing.containsKey(n) || confirmed.containsKey(n) || spool.isMarked(n))
                continue;
            CompletableFuture<Void> f;
            try {
                f = pushAhead(n);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                break; // closing
            }
            var unused = f.whenComplete((v, e) -> {
                // a file PostgreSQL archived meanwhile (.ready gone, file recycled) is not an error
                if (e != null && !closed && Files.exists(status.resolve(n + ".ready"))) pushAheadFailed(n, e);
                else if (e == null) pushAheadBackoffMs = 0;
            });
            started++;
        }
        if (started > 0) lastWorkNanos = System.nanoTime();
        return started;
    }

    public boolean closed() {
        return closed;
    }

    /**
     * Pauses push-ahead after a failure, 1 s at first and twice as long after each further one up to
     * {@link #MAX_BACKOFF_MS}: an unusable repository is not hammered, and the log gets one line per
     * pause. Calls are still answered; PostgreSQL retries them at its own pace.
     */
    private synchronized void pushAheadFailed(String name, Throwable e) {
        long now = System.nanoTime();
        if (now - pushAheadPausedUntil < 0) return; // failures of the same round
        pushAheadBackoffMs = Math.min(MAX_BACKOFF_MS, Math.max(1000, pushAheadBackoffMs * 2));
        pushAheadPausedUntil = now + pushAheadBackoffMs * 1_000_000;
        Throwable c = e.getCause() != null ? e.getCause() : e;
        if (c instanceof UncheckedIOException && c.getCause() != null) c = c.getCause();
        LOG.warn("push-ahead of {} failed, pausing it for {} s: {}", name, pushAheadBackoffMs / 1000, c.getMessage());
    }

    /** Push-ahead work that is still running. */
    public boolean busy() {
        return !pushing.isEmpty() || !fetching.isEmpty();
    }

    /** Removes reply FIFOs whose clients are gone (killed before they could remove their own). */
    public void removeStaleReplies() {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(spool.dir().resolve(REPLIES))) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (n.matches("[0-9]{1,10}") && !Files.exists(Path.of("/proc", n))) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debug("archive server: cleaning replies", e);
        }
    }

    // ------------------------------------------------------------------ stop

    /** Removes {@code server.pid} (new calls go to the fallback), stops reading calls and waits for the ones running. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            Path pid = spool.dir().resolve(PID_FILE);
            String mine = String.valueOf(ProcessHandle.current().pid());
            if (Files.exists(pid) && Files.readString(pid).strip().equals(mine)) Files.delete(pid);
        } catch (IOException e) {
            LOG.debug("archive server: removing the pid file", e);
        }
        if (callsChannel != null) {
            // wakes the reader; through a channel of its own (a FileChannel's read and write share a
            // lock), opened for reading too, which never waits for a reader
            try (FileChannel wake = FileChannel.open(
                    spool.dir().resolve(CALLS),
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS)) {
                wake.write(ByteBuffer.wrap("stop\n".getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                LOG.debug("archive server: waking the reader", e);
            }
        }
        if (reader != null) {
            try {
                reader.join(2000);
                if (warm != null) warm.join(10_000); // it writes in the spool
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        calls.shutdown();
        transfers.shutdown();
        try {
            if (!calls.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) calls.shutdownNow();
            if (!transfers.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS)) transfers.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            calls.shutdownNow();
            transfers.shutdownNow();
        }
        try {
            if (callsChannel != null) callsChannel.close();
        } catch (IOException e) {
            LOG.debug("archive server: closing the calls FIFO", e);
        }
    }
}
