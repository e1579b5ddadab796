package io.pgha.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Restores a backup into an empty directory and sets up recovery: to the end of the archived WAL,
 * or to a target (time, LSN, xid or restore point) with an action there. Every file is verified
 * against its checksum as it is written; on any failure the directory is removed again, so a
 * restore is whole or absent. The data directory is then ready for {@code pg_ctl start}.
 */
public final class RestoreRunner {
    /** Where recovery stops. {@code kind} null: at the end of the archived WAL. */
    public record Target(String kind, String value, String action) {
        public static final Set<String> ACTIONS = Set.of("promote", "pause", "shutdown");

        public Target {
            if (action != null && !ACTIONS.contains(action))
                throw new IllegalArgumentException(
                        "--target-action '" + action + "' is not one of promote, pause, shutdown");
            if (kind != null) {
                switch (kind) {
                    case "time" -> parseTime(value);
                    case "lsn" -> {
                        if (!value.matches("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}"))
                            throw new IllegalArgumentException(
                                    "--target-lsn '" + value + "' is not an LSN like 0/3000060");
                    }
                    case "xid" -> {
                        if (!value.matches("\\d{1,20}"))
                            throw new IllegalArgumentException("--target-xid '" + value + "' is not a transaction id");
                    }
                    case "name" -> {
                        if (value.isEmpty() || value.length() > 63)
                            throw new IllegalArgumentException("--target-name must have 1 to 63 characters");
                    }
                    default -> throw new IllegalArgumentException("unknown target kind " + kind);
                }
            } else if (action != null) {
                throw new IllegalArgumentException(
                        "--target-action needs a target (--target-time, --target-lsn, --target-xid or --target-name)");
            }
        }

        public static Target latest() {
            return new Target(null, null, null);
        }
    }

    private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd")
            .optionalStart()
            .appendLiteral('T')
            .optionalEnd()
            .optionalStart()
            .appendLiteral(' ')
            .optionalEnd()
            .appendPattern("HH:mm:ss")
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
            .optionalEnd()
            .optionalStart()
            .appendLiteral(' ')
            .optionalEnd()
            .appendOffset("+HH:mm", "Z")
            .toFormatter();
    private static final DateTimeFormatter TIME_SHORT_OFFSET = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd")
            .optionalStart()
            .appendLiteral('T')
            .optionalEnd()
            .optionalStart()
            .appendLiteral(' ')
            .optionalEnd()
            .appendPattern("HH:mm:ss")
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
            .optionalEnd()
            .optionalStart()
            .appendLiteral(' ')
            .optionalEnd()
            .appendOffset("+HH", "Z")
            .toFormatter();

    /** Parses a target time; it must carry its offset, so that it means the same here and on the server. */
    public static Instant parseTime(String text) {
        for (DateTimeFormatter f : List.of(TIME, TIME_SHORT_OFFSET)) {
            try {
                return OffsetDateTime.parse(text.trim(), f).toInstant();
            } catch (DateTimeParseException ignored) {
                // next form
            }
        }
        throw new IllegalArgumentException(
                "--target-time '" + text + "' is not a time with an offset, like 2026-11-27 10:15:00+00");
    }

    /**
     * How to restore. {@code label} null picks the newest backup that can reach the target;
     * {@code restoreCommand} is written into postgresql.auto.conf; {@code standby} writes
     * standby.signal instead of recovery.signal (a replica that keeps following the archive);
     * {@code osUser} owns the files when running as root.
     */
    public record Options(
            Path targetDir,
            String label,
            Target target,
            String restoreCommand,
            boolean standby,
            int parallel,
            String osUser) {}

    private final Repository repo;
    private final Options o;
    private final Progress progress;

    public RestoreRunner(Repository repo, Options options, Progress progress) {
        this.repo = repo;
        this.o = options;
        this.progress = progress;
    }

    /** Picks the backup: the given label, or the newest one that ends before the target. */
    public BackupManifest choose() throws IOException {
        BackupStore store = new BackupStore(repo);
        if (o.label() != null) return store.get(o.label());
        List<BackupManifest> all = store.list();
        if (all.isEmpty())
            throw new IllegalArgumentException("no backup in " + repo.describe() + ": take one with pgha backup");
        Target t = o.target();
        for (int i = all.size() - 1; i >= 0; i--) {
            BackupManifest m = all.get(i);
            if (t.kind() == null || t.kind().equals("name")) return m;
            boolean fits = switch (t.kind()) {
                case "time" -> Instant.parse(m.stopTime()).isBefore(parseTime(t.value()));
                case "lsn" ->
                    io.pgha.core.model.Lsn.parse(m.stopLsn()).compareTo(io.pgha.core.model.Lsn.parse(t.value())) <= 0;
                case "xid" -> Long.parseLong(t.value()) >= m.stopXmax();
                default -> true;
            };
            if (fits) return m;
        }
        throw new IllegalArgumentException("no backup ends before the " + t.kind() + " target " + t.value()
                + " (the oldest, " + all.get(0).label() + ", ended at "
                + all.get(0).stopTime() + " / LSN " + all.get(0).stopLsn() + ")");
    }

    /** Restores and returns the backup used. */
    public BackupManifest run() throws IOException, InterruptedException {
        Path dir = o.targetDir().toAbsolutePath().normalize();
        boolean created = !Files.exists(dir);
        if (!created) {
            if (!Files.isDirectory(dir))
                throw new IllegalArgumentException("--target-dir " + dir + " is not a directory");
            try (Stream<Path> s = Files.list(dir)) {
                if (s.findAny().isPresent())
                    throw new IllegalArgumentException(
                            "--target-dir " + dir + " is not empty; restore into a new or empty directory");
            }
        }
        BackupManifest m = choose();
        Owner owner = Owner.lookup(o.osUser());
        boolean ok = false;
        try {
            Files.createDirectories(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            setMode(dir, 0700);
            owner.apply(dir);
            for (BackupManifest.Entry e : m.files()) {
                if (!e.directory()) continue;
                Path d = Files.createDirectories(
                        resolve(dir, e.path()),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                setMode(d, e.mode() == 0 ? 0700 : e.mode());
                owner.apply(d);
            }
            progress.start(m.bytes(), m.fileCount());
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.parallel()));
            try {
                List<Future<?>> fs = new ArrayList<>();
                List<BackupManifest.Entry> files = new ArrayList<>(
                        m.files().stream().filter(e -> !e.directory()).toList());
                files.sort(Comparator.comparingLong(BackupManifest.Entry::size)
                        .reversed()); // largest first: balanced workers
                for (BackupManifest.Entry e : files) {
                    fs.add(pool.submit(() -> {
                        restoreFile(m, e, dir, owner);
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) throw io;
                throw new IOException(e.getCause());
            } finally {
                pool.shutdownNow();
                progress.close();
            }
            writeRecoveryConfig(dir, m, owner);
            syncTree(dir);
            ok = true;
            return m;
        } finally {
            if (!ok) removeContents(dir, created);
        }
    }

    private static Path resolve(Path dir, String rel) {
        Path p = dir.resolve(rel).normalize();
        if (!p.startsWith(dir) || p.equals(dir))
            throw new IllegalArgumentException("manifest names a file outside the data directory: " + rel);
        return p;
    }

    private void restoreFile(BackupManifest m, BackupManifest.Entry e, Path dir, Owner owner) throws IOException {
        String key = BackupManifest.fileKey(m.label(), e.path());
        Path target = resolve(dir, e.path());
        try (InputStream in = repo.open(key)) {
            if (in == null)
                throw new CorruptFileException(
                        key, "missing: the backup is incomplete (pgha backup verify " + m.label() + ")");
            try (FileChannel ch = FileChannel.open(
                    target, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), PRIVATE_FILE)) {
                StoredFile.Header h = StoredFile.copy(in, key, ch, progress::add);
                if (!h.checksum().equals(e.sha256()) || h.length() != e.size())
                    throw new CorruptFileException(key, "does not match the backup's manifest");
                ch.force(true); // here, in parallel; directories are synced at the end
            }
        }
        setMode(target, e.mode() == 0 ? 0600 : e.mode());
        owner.apply(target);
        progress.fileDone();
    }

    private static final List<String> RECOVERY_KEYS = List.of(
            "restore_command",
            "recovery_target",
            "recovery_target_time",
            "recovery_target_lsn",
            "recovery_target_xid",
            "recovery_target_name",
            "recovery_target_action",
            "recovery_target_timeline",
            "recovery_target_inclusive",
            "primary_conninfo",
            "primary_slot_name");

    private void writeRecoveryConfig(Path dir, BackupManifest m, Owner owner) throws IOException {
        Path auto = dir.resolve("postgresql.auto.conf");
        List<String> lines = new ArrayList<>();
        if (Files.exists(auto)) {
            for (String l : Files.readAllLines(auto, StandardCharsets.UTF_8)) {
                String key = l.split("=", 2)[0].trim();
                if (!RECOVERY_KEYS.contains(key)) lines.add(l);
            }
        }
        lines.add("# written by pgha restore of backup " + m.label() + " at " + Instant.now());
        lines.add("restore_command = '" + o.restoreCommand().replace("'", "''") + "'");
        lines.add("recovery_target_timeline = 'latest'");
        Target t = o.target();
        if (t.kind() != null) {
            lines.add("recovery_target_" + t.kind() + " = '" + t.value().replace("'", "''") + "'");
            lines.add("recovery_target_action = '" + (t.action() == null ? "pause" : t.action()) + "'");
        }
        Files.deleteIfExists(auto);
        Files.write(Files.createFile(auto, PRIVATE_FILE), lines, StandardCharsets.UTF_8);
        owner.apply(auto);
        Path signal = dir.resolve(o.standby() ? "standby.signal" : "recovery.signal");
        Files.createFile(signal, PRIVATE_FILE);
        owner.apply(signal);
    }

    private static final java.nio.file.attribute.FileAttribute<?> PRIVATE_FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    private static void setMode(Path p, int mode) throws IOException {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values();
        for (int i = 0; i < 9; i++) if ((mode & (1 << (8 - i))) != 0) perms.add(all[i]);
        Files.setPosixFilePermissions(p, perms);
    }

    private static void syncTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (!Files.isDirectory(p) && !isRecoveryFile(p))
                    continue; // data files were synced as they were written
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                    ch.force(true);
                }
            }
        }
    }

    private static boolean isRecoveryFile(Path p) {
        String n = p.getFileName().toString();
        return n.equals("postgresql.auto.conf") || n.endsWith(".signal");
    }

    /** Removes what {@code dir} holds, and {@code dir} too when {@code alsoDir}; best effort, links not followed. */
    static void removeContents(Path dir, boolean alsoDir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                if (!alsoDir && p.equals(dir)) continue;
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // best effort; the error that caused this is what the user sees
        }
    }

    /** Who owns restored files: the PostgreSQL OS user when pgha runs as root, else nobody changes. */
    private record Owner(UserPrincipal user, GroupPrincipal group) {
        static Owner lookup(String name) throws IOException {
            if (name == null || !"root".equals(System.getProperty("user.name"))) return new Owner(null, null);
            UserPrincipalLookupService l =
                    java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService();
            try {
                UserPrincipal u = l.lookupPrincipalByName(name);
                GroupPrincipal g = null;
                try {
                    g = l.lookupPrincipalByGroupName(name);
                } catch (UserPrincipalNotFoundException ignored) {
                    // no group of the same name: keep the group
                }
                return new Owner(u, g);
            } catch (UserPrincipalNotFoundException e) {
                throw new IllegalArgumentException("OS user '" + name + "' does not exist (give --os-user)");
            }
        }

        void apply(Path p) throws IOException {
            if (user == null) return;
            PosixFileAttributeView v = Files.getFileAttributeView(
                    p, PosixFileAttributeView.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            v.setOwner(user);
            if (group != null) v.setGroup(group);
        }
    }
}
