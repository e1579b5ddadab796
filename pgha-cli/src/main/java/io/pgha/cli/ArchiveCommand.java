package io.pgha.cli;

import io.pgha.archive.ArchiveConflictException;
import io.pgha.archive.ArchiveInfo;
import io.pgha.archive.ArchiveServer;
import io.pgha.archive.AsyncArchive;
import io.pgha.archive.Compression;
import io.pgha.archive.CorruptFileException;
import io.pgha.archive.Repository;
import io.pgha.archive.RepositoryLocation;
import io.pgha.archive.RepositoryUnavailableException;
import io.pgha.archive.Spool;
import io.pgha.archive.WalArchive;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgha archive push|get}: PostgreSQL's archive_command and restore_command. Exit codes (all
 * below 126, which PostgreSQL would take as fatal): 0 done; 1 the file is not archived (get); 2
 * bad usage; 3 the repository cannot be used; 4 a stored file is corrupt; 5 the name is already
 * archived with different bytes (push; nothing is overwritten).
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "archive",
        description = "WAL archive commands for archive_command and restore_command (docs/archive.md).",
        footer = {
            "",
            "Exit status of every archive command: 0 done; 1 the file is not in the archive (get); 2 bad usage;"
                    + " 3 the repository cannot be used; 4 a stored file is corrupt; 5 already archived with"
                    + " other bytes (push)."
        },
        subcommands = {
            ArchiveCommand.Push.class,
            ArchiveCommand.Serve.class,
            ArchiveCommand.Get.class,
            ArchiveCommand.Info.class,
            ArchiveCommand.Check.class
        })
final class ArchiveCommand {
    static final int MISSING = 1;
    static final int USAGE = 2;
    static final int UNAVAILABLE = 3;
    static final int CORRUPT = 4;
    static final int CONFLICT = 5;

    /**
     * Where the archive is: {@code --repo URI} or the {@code archive:} section of a node config
     * ({@code -c FILE}); options given on the command line win over the file.
     */
    static final class RepoOptions {
        @Option(
                names = "--repo",
                paramLabel = "URI",
                description = "the repository: a directory path (or file:///path) or sftp://user@host[:port]/path")
        String repo;

        @Option(
                names = {"-c", "--config"},
                paramLabel = "FILE",
                description = "a node config whose archive: section names the repository")
        Path config;

        @Option(
                names = "--sftp-key",
                paramLabel = "FILE",
                description = "SFTP private key (default ~/.ssh/id_ecdsa, id_ed25519 or id_rsa)")
        Path sftpKey;

        @Option(
                names = "--sftp-known-hosts",
                paramLabel = "FILE",
                description = "known_hosts holding the SFTP server's key (default ~/.ssh/known_hosts)")
        Path knownHosts;

        @Option(names = "--compression", paramLabel = "ALG", description = "zstd (default), lz4 or none")
        String compression;

        private io.pgha.core.config.ArchiveConfig section;

        io.pgha.core.config.ArchiveConfig section() {
            if (config == null) return null;
            if (section == null) {
                io.pgha.core.config.NodeConfig node = io.pgha.agent.ConfigLoader.load(config);
                if (node.archive() == null) throw new IllegalArgumentException(config + " has no archive: section");
                section = node.archive();
            }
            return section;
        }

        RepositoryLocation location() {
            io.pgha.core.config.ArchiveConfig a = section();
            if (repo == null && a == null)
                throw new IllegalArgumentException("no repository: give --repo URI or -c FILE");
            String uri = repo != null ? repo : a.repo();
            Path key = sftpKey != null ? sftpKey : a != null && a.sftpKey() != null ? Path.of(a.sftpKey()) : null;
            Path kh = knownHosts != null
                    ? knownHosts
                    : a != null && a.sftpKnownHosts() != null ? Path.of(a.sftpKnownHosts()) : null;
            return new RepositoryLocation(uri, key, kh).validate();
        }

        Compression compression() {
            if (compression != null) return Compression.parse(compression);
            return section() != null ? Compression.parse(section().compression()) : Compression.ZSTD;
        }

        int parallel(Integer given) {
            if (given != null) return given;
            return section() != null ? section().parallel() : 4;
        }

        Path spool(Path given) {
            if (given != null) return given;
            return section() != null && section().spool() != null
                    ? Path.of(section().spool())
                    : null;
        }

        Repository open() throws IOException {
            compression(); // a bad --compression is a usage error before anything connects
            return location().open();
        }

        String display() {
            return location().uri();
        }

        /**
         * The repository settings as explicit options, with those of a {@code -c} file resolved here,
         * for a process that may not read that file. Command-line options win, as in {@link #location()}.
         */
        List<String> resolvedArgs() {
            RepositoryLocation l = location();
            List<String> a = new ArrayList<>(List.of(
                    "--repo", l.uri(), "--compression", compression().name().toLowerCase(java.util.Locale.ROOT)));
            if (l.key() != null)
                a.addAll(List.of("--sftp-key", l.key().toAbsolutePath().toString()));
            if (l.knownHosts() != null)
                a.addAll(List.of(
                        "--sftp-known-hosts", l.knownHosts().toAbsolutePath().toString()));
            return a;
        }

        /** These options again, for a helper process. */
        List<String> args() {
            List<String> a = new ArrayList<>();
            if (repo != null) a.addAll(List.of("--repo", repo));
            if (config != null) a.addAll(List.of("-c", config.toAbsolutePath().toString()));
            if (sftpKey != null)
                a.addAll(List.of("--sftp-key", sftpKey.toAbsolutePath().toString()));
            if (knownHosts != null)
                a.addAll(List.of(
                        "--sftp-known-hosts", knownHosts.toAbsolutePath().toString()));
            if (compression != null) a.addAll(List.of("--compression", compression));
            return a;
        }
    }

    static int fail(int code, String message) {
        System.err.println("pgha: " + message);
        return code;
    }

    /** A command body that may fail on the repository or on its arguments. */
    @FunctionalInterface
    interface Body {
        int run() throws IOException;
    }

    /** Runs {@code body}, turning failures into the exit codes above (never 1 for a broken setup). */
    static int guarded(Body body) {
        try {
            return body.run();
        } catch (IOException e) {
            return failed(e);
        } catch (IllegalArgumentException | io.pgha.core.config.ConfigException e) {
            // Never 1: PostgreSQL would read a mistyped restore_command as "no more WAL in the archive".
            return fail(USAGE, e.getMessage());
        }
    }

    static int failed(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException)
            return fail(UNAVAILABLE, "no such file to read: " + e.getMessage());
        if (e instanceof ArchiveConflictException) return fail(CONFLICT, e.getMessage());
        if (e instanceof CorruptFileException) return fail(CORRUPT, e.getMessage());
        if (e instanceof RepositoryUnavailableException) return fail(UNAVAILABLE, e.getMessage());
        return fail(UNAVAILABLE, e.getMessage() == null ? e.toString() : e.getMessage());
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "push",
            description = "Archive one WAL file (archive_command; docs/archive.md has the exact line).")
    static final class Push implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "PATH", description = "the file to archive (%%p)")
        Path path;

        @picocli.CommandLine.Mixin
        RepoOptions options = new RepoOptions();

        @Option(
                names = "--spool",
                paramLabel = "DIR",
                description = "push every other .ready file ahead too, and mark it here, so later calls only confirm")
        Path spool;

        @Option(
                names = "--parallel",
                paramLabel = "N",
                description = "files pushed at once with --spool (default 4 or the config's)")
        Integer parallel;

        @Option(
                names = "--async",
                description =
                        "with --spool: leave the other .ready files to a background pusher (started if none runs)")
        boolean async;

        @Override
        public Integer call() {
            return guarded(() -> {
                if (!java.nio.file.Files.isRegularFile(path))
                    return fail(UNAVAILABLE, "no such file to archive: " + path);
                Path dir = options.spool(spool);
                Spool sp = dir == null ? null : new Spool(dir);
                if (sp != null && sp.confirmPushed(path)) return 0; // pushed ahead: nothing left to do
                try (Repository repo = options.open()) {
                    WalArchive archive = new WalArchive(repo, options.compression());
                    WalArchive.PushResult r = archive.push(path);
                    if (r == WalArchive.PushResult.ALREADY_ARCHIVED)
                        System.err.println("pgha archive: " + path.getFileName() + " was already archived");
                    if (sp != null && path.getParent() != null) {
                        int n = options.parallel(parallel);
                        Path pgWal = path.toAbsolutePath().getParent();
                        if (async) Serve.startIfIdle(sp, pgWal, n, options);
                        else new AsyncArchive(archive, sp, n).pushReady(pgWal, 4 * n);
                    }
                }
                return 0;
            });
        }
    }

    /**
     * The archive server ({@link ArchiveServer}): pushes every .ready file of pg_wal ahead of
     * PostgreSQL, {@code --parallel} at a time, and answers the calls of archive_command and
     * restore_command that the spool's client hands it. One runs per spool (a lock). The agent keeps
     * one running beside PostgreSQL; started by {@code push --async}, it ends after {@code --idle}
     * seconds without work or when PostgreSQL is gone.
     */
    @Command(
            mixinStandardHelpOptions = true,
            name = "serve",
            aliases = "push-ahead",
            description = "Push .ready WAL files ahead of PostgreSQL and answer archive_command and restore_command"
                    + " calls without a JVM start (docs/archive.md).")
    static final class Serve implements Callable<Integer> {
        @Option(
                names = "--pg-wal",
                required = true,
                paramLabel = "DIR",
                description = "the server's pg_wal directory, whose archive_status/*.ready files are pushed")
        Path pgWal;

        @Option(
                names = "--spool",
                required = true,
                paramLabel = "DIR",
                description = "the spool: pushed markers, prefetched segments, and the FIFOs calls come through")
        Path spool;

        @Option(
                names = "--parallel",
                defaultValue = "4",
                paramLabel = "N",
                description = "files pushed or fetched at once (default: ${DEFAULT-VALUE})")
        int parallel;

        @Option(
                names = "--prefetch",
                defaultValue = "8",
                paramLabel = "N",
                description = "segments fetched ahead of a get (default: ${DEFAULT-VALUE})")
        int prefetch;

        @Option(
                names = "--idle",
                defaultValue = "10",
                paramLabel = "SECONDS",
                description = "stop after SECONDS without work, or when the server stops; 0: run until stopped"
                        + " (default: ${DEFAULT-VALUE})")
        int idleSeconds;

        @Option(
                names = "--watch-pid",
                paramLabel = "PID",
                description = "stop when the process PID ends (the agent that started this server)")
        Long watchPid;

        @picocli.CommandLine.Mixin
        RepoOptions options = new RepoOptions();

        static java.nio.channels.FileLock lock(Path spool) throws IOException {
            io.pgha.archive.Spool.createPrivateDirectory(spool);
            java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                    spool.resolve("pusher.lock"),
                    java.util.Set.of(java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE),
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            try {
                java.nio.channels.FileLock l = ch.tryLock();
                if (l == null) ch.close();
                return l;
            } catch (java.nio.channels.OverlappingFileLockException e) {
                ch.close();
                return null;
            }
        }

        /** Starts a server for {@code pgWal} unless one holds the spool's lock. */
        static void startIfIdle(Spool spool, Path pgWal, int parallel, RepoOptions options) throws IOException {
            java.nio.channels.FileLock probe = lock(spool.dir());
            if (probe == null) return; // one is running
            probe.channel().close();
            List<String> cmd = new ArrayList<>(
                    List.of("sh", "-c", "exec " + SelfCommand.pgha(SelfCommand.BULK_JVM) + " \"$@\"", "pgha"));
            cmd.addAll(List.of(
                    "archive",
                    "serve",
                    "--pg-wal",
                    pgWal.toString(),
                    "--spool",
                    spool.dir().toString(),
                    "--parallel",
                    String.valueOf(parallel)));
            cmd.addAll(options.args());
            new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(
                            spool.dir().resolve("pusher.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
        }

        @Override
        public Integer call() {
            return guarded(() -> {
                java.nio.channels.FileLock l = lock(spool);
                if (l == null) {
                    System.err.println("pgha archive serve: another server holds " + spool.resolve("pusher.lock")
                            + "; it answers the calls");
                    return 0;
                }
                try (Repository repo = options.open();
                        ArchiveServer server = new ArchiveServer(
                                new WalArchive(repo, options.compression()),
                                new Spool(spool),
                                pgWal,
                                parallel,
                                prefetch)) {
                    // SIGTERM: new calls go to the fallback, the ones running are answered
                    Runtime.getRuntime().addShutdownHook(new Thread(server::close, "archive-server-stop"));
                    server.start();
                    Path pid = pgWal.getParent().resolve("postmaster.pid");
                    long idleNanos = idleSeconds * 1_000_000_000L;
                    long lastClean = System.nanoTime();
                    java.util.Optional<ProcessHandle> watched =
                            watchPid == null ? java.util.Optional.empty() : ProcessHandle.of(watchPid);
                    if (watchPid != null && watched.isEmpty())
                        return fail(USAGE, "--watch-pid " + watchPid + ": no such process");
                    while (!server.closed()) {
                        if (watched.isPresent() && !watched.get().isAlive()) break; // the agent is gone
                        boolean pgRunning = java.nio.file.Files.exists(pid);
                        if (idleSeconds > 0 && (!pgRunning || server.idleNanos() > idleNanos) && !server.busy()) break;
                        int started = 0;
                        try {
                            if (pgRunning) started = server.pushReady();
                        } catch (IOException e) {
                            // pg_wal read while PostgreSQL changes it: the next round looks again
                            System.err.println("pgha archive serve: push-ahead round: " + e);
                        }
                        if (started == 0) Thread.sleep(pgRunning ? 100 : 200);
                        if (System.nanoTime() - lastClean > 60_000_000_000L) {
                            server.removeStaleReplies();
                            lastClean = System.nanoTime();
                        }
                    }
                    return 0;
                } catch (InterruptedException e) {
                    return 0;
                } finally {
                    l.channel().close();
                }
            });
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "get",
            description = "Restore one WAL file (restore_command; docs/archive.md has the exact line).")
    static final class Get implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "the WAL file name (%%f)")
        String name;

        @Parameters(index = "1", paramLabel = "DEST", description = "where to write it (%%p)")
        Path dest;

        @picocli.CommandLine.Mixin
        RepoOptions options = new RepoOptions();

        @Option(
                names = "--spool",
                paramLabel = "DIR",
                description = "prefetch queue (outside pg_wal): serve from it, and fill it")
        Path spool;

        @Option(
                names = "--prefetch",
                paramLabel = "N",
                description = "segments fetched ahead with --spool (default 8 or the config's)")
        Integer prefetch;

        @Option(
                names = "--parallel",
                paramLabel = "N",
                description = "segments fetched at once (default 4 or the config's)")
        Integer parallel;

        @Override
        public Integer call() {
            // PostgreSQL asks for files that do not exist: MISSING is an answer, not an error.
            return guarded(() -> {
                Path dir = options.spool(spool);
                try (Repository repo = options.open()) {
                    WalArchive archive = new WalArchive(repo, options.compression());
                    WalArchive.GetResult r;
                    if (dir == null) {
                        r = archive.get(name, dest);
                    } else {
                        int ahead = prefetch != null
                                ? prefetch
                                : options.section() != null ? options.section().prefetch() : 8;
                        r = new AsyncArchive(archive, new Spool(dir), options.parallel(parallel))
                                .get(name, dest, ahead);
                    }
                    return r == WalArchive.GetResult.MISSING ? MISSING : 0;
                }
            });
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "info",
            description = "Show what the archive holds: timelines, first and last segment, gaps, history files.")
    static final class Info implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        RepoOptions options = new RepoOptions();

        @picocli.CommandLine.Mixin
        FormatOption output;

        @Override
        public Integer call() {
            return guarded(() -> {
                ArchiveInfo info;
                try (Repository repo = options.open()) {
                    info = ArchiveInfo.of(repo);
                }
                if (output.json()) {
                    java.util.List<java.util.Map<String, Object>> tls = new java.util.ArrayList<>();
                    for (ArchiveInfo.Timeline tl : info.timelines()) {
                        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                        m.put("timeline", tl.timeline());
                        m.put("first_segment", tl.first());
                        m.put("last_segment", tl.last());
                        m.put("segments", tl.segments());
                        m.put("history_file", tl.history());
                        m.put("gaps", tl.gaps());
                        tls.add(m);
                    }
                    System.out.println(io.pgha.dcs.Json.pretty(java.util.Map.of(
                            "repository", options.display(), "segment_size", info.segmentSize(), "timelines", tls)));
                    return 0;
                }
                System.out.println("Archive " + options.display()
                        + (info.segmentSize() > 0 ? ", WAL segments of " + Table.bytes(info.segmentSize()) : ""));
                if (info.timelines().isEmpty()) {
                    System.out.println("(no WAL archived yet)");
                    return 0;
                }
                Table t = new Table("Timeline", "First segment", "Last segment", "Segments", "History", "Gaps");
                for (ArchiveInfo.Timeline tl : info.timelines()) {
                    t.add(
                            tl.timeline(),
                            tl.first() == null ? "" : tl.first(),
                            tl.last() == null ? "" : tl.last(),
                            tl.segments(),
                            tl.history() ? "yes" : "",
                            tl.gaps().isEmpty() ? "none" : String.join(", ", tl.gaps()));
                }
                System.out.print(t.render());
                return 0;
            });
        }
    }

    @Command(
            name = "check",
            description = "Force a WAL switch on the primary and confirm the segment reaches the repository.")
    static final class Check implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        HelpOption help;

        @Option(
                names = {"-h", "--host"},
                defaultValue = "127.0.0.1",
                description = "primary's host (default: ${DEFAULT-VALUE})")
        String host;

        @Option(
                names = {"-p", "--port"},
                defaultValue = "5432",
                description = "primary's port (default: ${DEFAULT-VALUE})")
        int port;

        @Option(
                names = {"-U", "--username"},
                defaultValue = "postgres",
                description = "user (default: ${DEFAULT-VALUE}); password from $PGPASSWORD")
        String user;

        @Option(
                names = {"-d", "--dbname"},
                defaultValue = "postgres",
                description = "database (default: ${DEFAULT-VALUE})")
        String database;

        @Option(
                names = "--timeout",
                defaultValue = "60",
                description = "seconds to wait for the segment (default: ${DEFAULT-VALUE})")
        int timeoutSeconds;

        @picocli.CommandLine.Mixin
        RepoOptions options = new RepoOptions();

        @Override
        public Integer call() throws Exception {
            RepositoryLocation location;
            try {
                location = options.location();
            } catch (IllegalArgumentException e) {
                return fail(USAGE, e.getMessage());
            }
            String segment;
            try (java.sql.Connection c = io.pgha.archive.PgConnection.of(host, port, user, database, null)
                            .open();
                    java.sql.Statement st = c.createStatement()) {
                try (java.sql.ResultSet rs =
                        st.executeQuery("SELECT pg_is_in_recovery(), current_setting('archive_mode'),"
                                + " pg_walfile_name(pg_switch_wal())")) {
                    rs.next();
                    if (rs.getBoolean(1))
                        return fail(USAGE, host + ":" + port + " is a standby; run the check against the primary");
                    if (rs.getString(2).equals("off"))
                        return fail(UNAVAILABLE, host + ":" + port + " has archive_mode = off");
                    segment = rs.getString(3);
                }
            } catch (java.sql.SQLException e) {
                return fail(UNAVAILABLE, "cannot force a WAL switch on " + host + ":" + port + ": " + e.getMessage());
            }
            System.out.println("switched WAL; waiting for " + segment + " to reach " + location.uri());
            long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
            try (Repository repo = location.open()) {
                while (System.nanoTime() - deadline < 0) {
                    try (java.io.InputStream in = repo.open("wal/" + segment)) {
                        if (in != null) {
                            System.out.println("ok: " + segment + " is archived");
                            return 0;
                        }
                    }
                    Thread.sleep(200);
                }
            } catch (IOException e) {
                return failed(e);
            }
            return fail(
                    MISSING,
                    segment + " did not reach " + location.uri() + " within " + timeoutSeconds
                            + " s: check archive_command and the server log (pg_stat_archiver shows the last failure)");
        }
    }
}
