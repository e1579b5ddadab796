package io.pgha.archive;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Takes a full base backup into a repository, from a primary or a standby.
 *
 * <p>With the data directory ({@code -D}, on the database host) it uses PostgreSQL's low-level
 * API: {@code pg_backup_start} on one session, the files copied {@code parallel} at a time, each
 * compressed and checksummed, then {@code pg_backup_stop}. Without it, {@code pg_basebackup}
 * streams a tar of the data directory over the replication protocol, which is unpacked into the
 * same per-file form. Either way the backup needs the WAL from its start to its stop position,
 * which comes from the archive: the backup waits until that WAL is archived and only then writes
 * its manifest, so a backup with a manifest is restorable.
 */
public final class BackupRunner {
    /** Directories whose contents are never copied (PostgreSQL recreates them or they are runtime state). */
    static final Set<String> EMPTY_DIRS = Set.of(
            "pg_wal",
            "pg_dynshmem",
            "pg_notify",
            "pg_serial",
            "pg_snapshots",
            "pg_stat_tmp",
            "pg_subtrans",
            "pg_replslot");
    /** Files never copied, in any directory. */
    static final Set<String> SKIP_FILES = Set.of(
            "postmaster.pid",
            "postmaster.opts",
            "backup_label",
            "tablespace_map",
            "backup_manifest",
            "standby.signal",
            "recovery.signal",
            "pg_internal.init",
            "current_logfiles",
            "postgresql.auto.conf.tmp");

    private static final DateTimeFormatter LABEL =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** How to take the backup. {@code dataDir} null: stream through {@code pgBaseBackup}. */
    public record Options(
            PgConnection conn,
            Path dataDir,
            Path pgBaseBackup,
            int parallel,
            Compression compression,
            long archiveTimeoutMs) {}

    private final Repository repo;
    private final Options o;
    private final Progress progress;

    public BackupRunner(Repository repo, Options options, Progress progress) {
        this.repo = repo;
        this.o = options;
        this.progress = progress;
    }

    private record Server(
            boolean standby, String systemIdentifier, int version, long segmentSize, String dataDirectory) {}

    private Server server(Statement st) throws SQLException {
        try (ResultSet rs =
                st.executeQuery("SELECT pg_is_in_recovery(), (SELECT system_identifier FROM pg_control_system()),"
                        + " current_setting('server_version_num')::int, (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'), current_setting('data_directory'),"
                        + " current_setting('archive_mode')")) {
            rs.next();
            if (rs.getString(6).equals("off")) {
                throw new IllegalArgumentException(
                        o.conn() + " has archive_mode = off: a backup needs the WAL from the archive to be restorable");
            }
            return new Server(rs.getBoolean(1), rs.getString(2), rs.getInt(3), rs.getLong(4), rs.getString(5));
        }
    }

    /** Runs the backup and returns its manifest (already stored). */
    public BackupManifest run() throws IOException, SQLException, InterruptedException {
        Instant started = Instant.now();
        String label = LABEL.format(started) + "F";
        if (BackupManifest.read(repo, label) != null
                || !repo.list("backup/" + label).isEmpty()) {
            throw new ArchiveConflictException(
                    "backup " + label + " already exists in " + repo.describe() + "; wait a second and retry");
        }
        try (Connection c = o.conn().open();
                Statement st = c.createStatement()) {
            Server srv = server(st);
            if (o.dataDir() != null) {
                Path real = o.dataDir().toRealPath();
                if (!real.equals(Path.of(srv.dataDirectory()).toRealPath())) {
                    throw new IllegalArgumentException("-D " + o.dataDir() + " is not the data directory of " + o.conn()
                            + " (" + srv.dataDirectory() + ")");
                }
                if (hasTablespaces(real))
                    throw new IllegalArgumentException(
                            "the data directory has tablespaces (pg_tblspc); pgha backup does not support them yet");
                return local(st, srv, label, started, real);
            }
            return streamed(st, srv, label, started);
        }
    }

    private static boolean hasTablespaces(Path dir) throws IOException {
        Path t = dir.resolve("pg_tblspc");
        if (!Files.isDirectory(t)) return false;
        try (Stream<Path> s = Files.list(t)) {
            return s.findAny().isPresent();
        }
    }

    private BackupManifest local(Statement st, Server srv, String label, Instant started, Path dataDir)
            throws IOException, SQLException, InterruptedException {
        String startLsn;
        try (ResultSet rs = st.executeQuery("SELECT pg_backup_start('pgha " + label + "', true)")) {
            rs.next();
            startLsn = rs.getString(1);
        }
        boolean stopped = false;
        try {
            List<Path> dirs = new ArrayList<>();
            List<Path> files = new ArrayList<>();
            long total = walk(dataDir, dirs, files);
            // largest first: the big relation segments spread over the workers instead of ending alone
            files.sort(
                    java.util.Comparator.comparingLong(BackupRunner::sizeOrZero).reversed());
            progress.start(total, files.size());
            List<BackupManifest.Entry> entries = Collections.synchronizedList(new ArrayList<>());
            for (Path d : dirs)
                entries.add(new BackupManifest.Entry(dataDir.relativize(d).toString(), true, 0, null, mode(d), 0));
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.parallel()));
            try {
                List<Future<BackupManifest.Entry>> fs = new ArrayList<>();
                for (Path f : files) {
                    fs.add(pool.submit(() -> {
                        String rel = dataDir.relativize(f).toString();
                        // not through a link: the walk took only regular files, and one swapped for a
                        // link since then is refused (ELOOP) instead of copied from wherever it points
                        try (FileChannel in = FileChannel.open(f, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                            BackupManifest.Entry e = store(label, rel, in, mode(f));
                            progress.fileDone();
                            return e;
                        } catch (NoSuchFileException gone) {
                            return null; // dropped while the backup ran: WAL replay removes it anyway
                        }
                    }));
                }
                for (Future<BackupManifest.Entry> f : fs) {
                    BackupManifest.Entry e = f.get();
                    if (e != null) entries.add(e);
                }
            } catch (ExecutionException e) {
                Throwable t = e.getCause();
                if (t instanceof IOException io) throw io;
                throw new IOException(t);
            } finally {
                pool.shutdownNow();
            }
            String stopLsn;
            String labelFile;
            String map;
            try (ResultSet rs = st.executeQuery("SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)")) {
                rs.next();
                stopLsn = rs.getString(1);
                labelFile = rs.getString(2);
                map = rs.getString(3);
            }
            stopped = true;
            entries.add(storeText(label, "backup_label", labelFile));
            if (map != null && !map.isEmpty()) entries.add(storeText(label, "tablespace_map", map));
            progress.close();
            return finish(st, srv, label, started, startLsn, stopLsn, labelFile, map, entries);
        } finally {
            if (!stopped) {
                try (ResultSet rs = st.executeQuery("SELECT pg_backup_stop(false)")) {
                    // abort: ends the backup mode on the server; the partial backup has no manifest
                } catch (SQLException ignored) {
                    // the session may be gone; the server ends the backup with it
                }
            }
        }
    }

    private static long walk(Path dataDir, List<Path> dirs, List<Path> files) throws IOException {
        long total = 0;
        try (Stream<Path> s = Files.walk(dataDir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.equals(dataDir)) continue;
                Path rel = dataDir.relativize(p);
                String name = p.getFileName().toString();
                if (rel.getNameCount() > 1 && EMPTY_DIRS.contains(rel.getName(0).toString())) continue;
                if (name.startsWith("pgsql_tmp") || name.endsWith(".pgha-tmp")) continue;
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(p);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !SKIP_FILES.contains(name)) {
                    files.add(p);
                    try {
                        total += Files.size(p);
                    } catch (NoSuchFileException ignored) {
                        // dropped meanwhile
                    }
                }
            }
        } catch (java.io.UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) throw e.getCause();
        }
        return total;
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    @SuppressWarnings("EnumOrdinal") // PosixFilePermission is declared in mode-bit order
    private static int mode(Path p) {
        try {
            int m = 0;
            for (PosixFilePermission perm : Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS))
                m |= 1 << (8 - perm.ordinal()); // PosixFilePermission is declared in mode-bit order, owner read first
            return m;
        } catch (IOException | UnsupportedOperationException e) {
            return Files.isDirectory(p) ? 0700 : 0600;
        }
    }

    /** Stores a file of the data directory (stored format 2: the checksum covers the payload). */
    private BackupManifest.Entry store(String label, String rel, FileChannel in, int mode) throws IOException {
        String key = BackupManifest.fileKey(label, rel);
        try (Repository.NewFile f = repo.create(key)) {
            return stored(key, rel, mode, f, StoredFile.writeChecked(in, o.compression(), f, progress::add));
        }
    }

    private BackupManifest.Entry store(String label, String rel, InputStream in, int mode, LongConsumer counted)
            throws IOException {
        String key = BackupManifest.fileKey(label, rel);
        try (Repository.NewFile f = repo.create(key)) {
            return stored(key, rel, mode, f, StoredFile.writeChecked(in, o.compression(), f, counted));
        }
    }

    private BackupManifest.Entry stored(String key, String rel, int mode, Repository.NewFile f, StoredFile.Header h)
            throws IOException {
        long stored = f.size();
        if (!f.commitDeferred()) throw new ArchiveConflictException(key + " already exists in " + repo.describe());
        return new BackupManifest.Entry(rel, false, h.length(), h.checksum(), mode, stored);
    }

    private BackupManifest.Entry storeText(String label, String rel, String text) throws IOException {
        return store(
                label,
                rel,
                new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)),
                0600,
                n -> {}); // not data directory bytes: the progress counts those
    }

    private static final Pattern LABEL_START =
            Pattern.compile("START WAL LOCATION: ([0-9A-F]+/[0-9A-F]+) \\(file ([0-9A-F]{24})\\)");
    private static final Pattern LABEL_TIMELINE = Pattern.compile("START TIMELINE: (\\d+)");

    private BackupManifest finish(
            Statement st,
            Server srv,
            String label,
            Instant started,
            String startLsn,
            String stopLsn,
            String labelFile,
            String map,
            List<BackupManifest.Entry> entries)
            throws IOException, InterruptedException, SQLException {
        long xmax;
        try (ResultSet rs = st.executeQuery("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")) {
            rs.next();
            xmax = rs.getLong(1);
        }
        Matcher m = LABEL_START.matcher(labelFile);
        Matcher t = LABEL_TIMELINE.matcher(labelFile);
        if (!m.find() || !t.find())
            throw new IOException("backup_label from the server is not understood:\n" + labelFile);
        int timeline = Integer.parseInt(t.group(1));
        String startWal = m.group(2);
        String stopWal =
                WalNames.ofLsn(timeline, io.pgha.core.model.Lsn.parse(stopLsn).value() - 1, srv.segmentSize());
        waitForWal(stopWal, srv.standby());
        List<BackupManifest.Entry> sorted = new ArrayList<>(entries);
        sorted.sort(java.util.Comparator.comparing(BackupManifest.Entry::path));
        long bytes = sorted.stream().mapToLong(BackupManifest.Entry::size).sum();
        long stored =
                sorted.stream().mapToLong(BackupManifest.Entry::storedSize).sum();
        BackupManifest manifest = new BackupManifest(
                BackupManifest.FORMAT,
                label,
                "full",
                started.toString(),
                Instant.now().toString(),
                startLsn,
                stopLsn,
                xmax,
                timeline,
                startWal,
                stopWal,
                srv.systemIdentifier(),
                srv.version(),
                srv.segmentSize(),
                o.compression().label(),
                o.conn().toString(),
                srv.standby(),
                bytes,
                stored,
                Math.round(progress.seconds() * 10) / 10.0,
                labelFile,
                map,
                sorted);
        // the files' names (committed without a directory sync each) are durable before the manifest
        repo.syncDirectories(sorted.stream()
                .filter(e -> !e.directory())
                .map(e -> BackupManifest.fileKey(label, e.path()))
                .toList());
        if (!repo.create(BackupManifest.key(label), storedBytes(manifest.toJson()))) {
            throw new ArchiveConflictException(BackupManifest.key(label) + " already exists");
        }
        return manifest;
    }

    static byte[] storedBytes(byte[] original) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        StoredFile.write(original, StoredFile.sha256(original), Compression.NONE, out);
        return out.toByteArray();
    }

    private void waitForWal(String segment, boolean standby) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + o.archiveTimeoutMs() * 1_000_000L;
        while (true) {
            try (InputStream in = repo.open("wal/" + segment)) {
                if (in != null) return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new RepositoryUnavailableException(
                        "the backup's last WAL segment " + segment + " did not reach " + repo.describe() + " within "
                                + o.archiveTimeoutMs() / 1000
                                + " s, so the backup would not be restorable; it has no manifest and is not used."
                                + (standby
                                        ? " From a standby the segment is archived when the primary finishes it: run SELECT pg_switch_wal() there or set archive_timeout."
                                        : "")
                                + " Check archive_command (pg_stat_archiver).",
                        null);
            }
            Thread.sleep(200);
        }
    }

    // ---- without -D: pg_basebackup streams a tar -----------------------------------------------

    private BackupManifest streamed(Statement st, Server srv, String label, Instant started)
            throws IOException, InterruptedException, SQLException {
        if (o.pgBaseBackup() == null)
            throw new IllegalArgumentException(
                    "pg_basebackup was not found; give -D on the database host or install PostgreSQL's client tools");
        List<String> cmd = List.of(
                o.pgBaseBackup().toString(),
                "-h",
                o.conn().host(),
                "-p",
                String.valueOf(o.conn().port()),
                "-U",
                o.conn().user(),
                "-D",
                "-",
                "-F",
                "t",
                "-X",
                "none",
                "-c",
                "fast",
                "--no-manifest",
                "-l",
                "pgha " + label);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (o.conn().password() != null)
            pb.environment().put("PGPASSWORD", o.conn().password());
        Path err = Files.createTempFile("pgha-basebackup", ".log");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        List<BackupManifest.Entry> entries = new ArrayList<>();
        String labelFile = null;
        String map = null;
        progress.start(0, 0);
        try (InputStream tar = new BufferedInputStream(p.getInputStream(), 1 << 17)) {
            Tar.Reader r = new Tar.Reader(tar);
            for (Tar.Entry e; (e = r.next()) != null; ) {
                String rel =
                        e.name().endsWith("/") ? e.name().substring(0, e.name().length() - 1) : e.name();
                if (rel.startsWith("./")) rel = rel.substring(2);
                if (e.type() == '5') {
                    entries.add(new BackupManifest.Entry(rel, true, 0, null, e.mode(), 0));
                } else if (e.type() == '0' || e.type() == 0) {
                    if (rel.equals("backup_label") || rel.equals("tablespace_map")) {
                        String text = new String(r.content().readAllBytes(), StandardCharsets.UTF_8);
                        if (rel.equals("backup_label")) labelFile = text;
                        else map = text;
                        entries.add(storeText(label, rel, text));
                    } else {
                        entries.add(store(label, rel, r.content(), e.mode(), progress::add));
                    }
                    progress.fileDone();
                } else if (e.type() == '2') {
                    throw new IllegalArgumentException("the server's data directory has a symbolic link (" + rel
                            + "): tablespaces are not supported yet");
                }
            }
            tar.transferTo(
                    java.io.OutputStream
                            .nullOutputStream()); // the end-of-archive blocks: pg_basebackup must finish writing
        } finally {
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            progress.close();
        }
        String log = Files.readString(err);
        Files.deleteIfExists(err);
        if (p.exitValue() != 0)
            throw new IOException("pg_basebackup failed (exit " + p.exitValue() + "): " + log.trim());
        if (labelFile == null) throw new IOException("pg_basebackup sent no backup_label: " + log.trim());
        Matcher m = LABEL_START.matcher(labelFile);
        if (!m.find()) throw new IOException("backup_label from the server is not understood:\n" + labelFile);
        String startLsn = m.group(1);
        return finish(
                st, srv, label, started, startLsn, stopLsn(st, srv, m.group(2), startLsn), labelFile, map, entries);
    }

    private static final Pattern STOP_LOCATION = Pattern.compile("STOP WAL LOCATION: ([0-9A-F]+/[0-9A-F]+)");

    /**
     * The stop position of a streamed backup: from the backup history file a primary archives at the
     * end of every backup ({@code START.OFFSET.backup}); a standby writes none, and then its replay
     * position after the backup is used, which is at or after the real stop.
     */
    private String stopLsn(Statement st, Server srv, String startWal, String startLsn)
            throws IOException, SQLException, InterruptedException {
        if (!srv.standby()) {
            String history = "wal/" + startWal + "."
                    + String.format(
                            "%08X", io.pgha.core.model.Lsn.parse(startLsn).value() % srv.segmentSize()) + ".backup";
            long deadline = System.nanoTime() + o.archiveTimeoutMs() * 1_000_000L;
            while (System.nanoTime() - deadline < 0) {
                try (InputStream in = repo.open(history)) {
                    if (in != null) {
                        Matcher m =
                                STOP_LOCATION.matcher(new String(StoredFile.read(in, history), StandardCharsets.UTF_8));
                        if (m.find()) return m.group(1);
                        throw new CorruptFileException(history, "has no STOP WAL LOCATION");
                    }
                }
                Thread.sleep(200);
            }
            throw new RepositoryUnavailableException(
                    "the backup history file " + history + " did not reach " + repo.describe() + " within "
                            + o.archiveTimeoutMs() / 1000 + " s: check archive_command (pg_stat_archiver)",
                    null);
        }
        try (ResultSet rs = st.executeQuery("SELECT pg_last_wal_replay_lsn()")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
