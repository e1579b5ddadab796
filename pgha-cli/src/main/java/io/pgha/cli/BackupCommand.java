package io.pgha.cli;

import io.pgha.archive.BackupManifest;
import io.pgha.archive.BackupRunner;
import io.pgha.archive.BackupStore;
import io.pgha.archive.PgConnection;
import io.pgha.archive.Progress;
import io.pgha.archive.Repository;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgha backup}: full base backups into the repository, and list, info, verify and expire.
 * Exit codes as {@code pgha archive}: 0 ok, 2 usage, 3 repository or server unusable, 4 a backup
 * failed verification, 5 already exists.
 */
@Command(
        name = "backup",
        description = "Take a full base backup into the repository (docs/archive.md); list, info, verify, expire.",
        footer = {
            "",
            "Exit status of every backup command: 0 done; 2 bad usage; 3 the repository or the server cannot"
                    + " be used; 4 a backup failed verification; 5 it already exists."
        },
        subcommands = {
            BackupCommand.ListBackups.class,
            BackupCommand.Info.class,
            BackupCommand.Verify.class,
            BackupCommand.Expire.class
        })
@SuppressWarnings("SystemConsoleNull") // Java 17: null means no terminal
final class BackupCommand implements Callable<Integer> {
    @Mixin
    HelpOption help;

    @Option(
            names = {"-h", "--host"},
            defaultValue = "127.0.0.1",
            description = "server to back up (default: ${DEFAULT-VALUE})")
    String host;

    @Option(
            names = {"-p", "--port"},
            defaultValue = "5432",
            description = "its port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(
            names = {"-U", "--username"},
            defaultValue = "postgres",
            description = "user (default: ${DEFAULT-VALUE}); password from $PGPASSWORD")
    String user;

    @Option(
            names = {"-d", "--dbname"},
            defaultValue = "postgres",
            description = "database, or a connection string 'host=.. port=.. user=..'")
    String dbname;

    @Option(
            names = {"-D", "--pgdata"},
            paramLabel = "DIR",
            description = "the server's data directory, on the database host: copy files in parallel"
                    + " (without it, pg_basebackup streams them)")
    Path dataDir;

    @Option(
            names = "--parallel",
            paramLabel = "N",
            description = "files copied at once with -D (default 4 or the config's)")
    Integer parallel;

    @Option(
            names = "--archive-timeout",
            defaultValue = "60",
            paramLabel = "SECONDS",
            description = "how long to wait for the backup's last WAL"
                    + " segment to be archived (default: ${DEFAULT-VALUE})")
    int archiveTimeout;

    @Option(names = "--progress", negatable = true, description = "show progress (default: when stderr is a terminal)")
    Boolean progress;

    @Mixin
    ArchiveCommand.RepoOptions options = new ArchiveCommand.RepoOptions();

    @Mixin
    FormatOption output;

    static Progress progress(String what, Boolean flag) {
        boolean on = flag != null ? flag : System.console() != null;
        return new Progress(what, System.err, on);
    }

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return ArchiveCommand.guarded(() -> {
            Integer asOwner = RepositoryOwner.runAsOwner(
                    options,
                    spec,
                    parallel == null ? List.of("--parallel", String.valueOf(options.parallel(null))) : List.of());
            if (asOwner != null) return asOwner;
            PgConnection conn = PgConnection.of(host, port, user, "postgres", dbname);
            Path pgBaseBackup = io.pgha.postgres.Binaries.detect()
                    .map(d -> d.resolve("pg_basebackup"))
                    .orElse(null);
            BackupRunner.Options o = new BackupRunner.Options(
                    conn,
                    dataDir,
                    pgBaseBackup,
                    options.parallel(parallel),
                    options.compression(),
                    archiveTimeout * 1000L);
            BackupManifest m;
            try (Repository repo = options.open();
                    Progress p = progress("backup", progress)) {
                try {
                    m = new BackupRunner(repo, o, p).run();
                } catch (java.sql.SQLException e) {
                    return ArchiveCommand.fail(
                            ArchiveCommand.UNAVAILABLE, "cannot back up " + conn + ": " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ArchiveCommand.fail(ArchiveCommand.UNAVAILABLE, "interrupted");
                }
            }
            if (output.json()) {
                System.out.println(io.pgha.dcs.Json.pretty(summary(m)));
            } else {
                System.out.printf(
                        "backup %s: %s from %s%s in %.1f s, WAL %s..%s; stored in %s%n",
                        m.label(),
                        Table.bytes(m.bytes()),
                        m.source(),
                        m.fromStandby() ? " (a standby)" : "",
                        m.seconds(),
                        m.startWal(),
                        m.stopWal(),
                        options.display());
            }
            return 0;
        });
    }

    static Map<String, Object> summary(BackupManifest m) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("label", m.label());
        r.put("type", m.type());
        r.put("start_time", m.startTime());
        r.put("stop_time", m.stopTime());
        r.put("seconds", m.seconds());
        r.put("bytes", m.bytes());
        r.put("stored_bytes", m.storedBytes());
        r.put("files", m.fileCount());
        r.put("start_lsn", m.startLsn());
        r.put("stop_lsn", m.stopLsn());
        r.put("timeline", m.timeline());
        r.put("start_wal", m.startWal());
        r.put("stop_wal", m.stopWal());
        r.put("source", m.source());
        r.put("from_standby", m.fromStandby());
        r.put("compression", m.compression());
        r.put("pg_version", m.pgVersion());
        r.put("system_identifier", m.systemIdentifier());
        return r;
    }

    @Command(mixinStandardHelpOptions = true, name = "list", description = "List the backups in the repository.")
    static final class ListBackups implements Callable<Integer> {
        @Mixin
        ArchiveCommand.RepoOptions options = new ArchiveCommand.RepoOptions();

        @Mixin
        FormatOption output;

        @Override
        public Integer call() {
            return ArchiveCommand.guarded(() -> {
                List<BackupManifest> all;
                List<String> incomplete;
                try (Repository repo = options.open()) {
                    BackupStore s = new BackupStore(repo);
                    all = s.list();
                    incomplete = s.incomplete();
                }
                if (output.json()) {
                    List<Map<String, Object>> rows = new ArrayList<>();
                    for (BackupManifest m : all) rows.add(summary(m));
                    System.out.println(io.pgha.dcs.Json.pretty(
                            Map.of("repository", options.display(), "backups", rows, "incomplete", incomplete)));
                    return 0;
                }
                if (all.isEmpty()) System.out.println("(no backups in " + options.display() + ")");
                else {
                    Table t = new Table(
                            "Backup",
                            "Type",
                            "Started",
                            "Seconds",
                            "Size",
                            "Stored",
                            "WAL start",
                            "WAL stop",
                            "Source");
                    for (BackupManifest m : all) {
                        t.add(
                                m.label(),
                                m.type(),
                                m.startTime(),
                                m.seconds(),
                                Table.bytes(m.bytes()),
                                m.storedBytes() > 0 ? Table.bytes(m.storedBytes()) : "",
                                m.startWal(),
                                m.stopWal(),
                                m.source() + (m.fromStandby() ? " (standby)" : ""));
                    }
                    System.out.print(t.render());
                }
                if (!incomplete.isEmpty())
                    System.out.println("incomplete (no manifest, never used): " + String.join(", ", incomplete));
                return 0;
            });
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "info",
            description = "Show one backup (the newest without LABEL).")
    static final class Info implements Callable<Integer> {
        @Parameters(
                index = "0",
                arity = "0..1",
                paramLabel = "LABEL",
                description = "the backup's label, as backup list shows it (default: the newest)")
        String label;

        @Mixin
        ArchiveCommand.RepoOptions options = new ArchiveCommand.RepoOptions();

        @Mixin
        FormatOption output;

        @Override
        public Integer call() {
            return ArchiveCommand.guarded(() -> {
                BackupManifest m;
                try (Repository repo = options.open()) {
                    m = pick(new BackupStore(repo), label);
                }
                Map<String, Object> s = summary(m);
                if (output.json()) {
                    s.put("backup_label", m.backupLabel());
                    System.out.println(io.pgha.dcs.Json.pretty(s));
                } else {
                    s.forEach((k, v) -> System.out.printf("%-18s %s%n", k + ":", v));
                }
                return 0;
            });
        }
    }

    static BackupManifest pick(BackupStore s, String label) throws java.io.IOException {
        if (label != null) return s.get(label);
        BackupManifest m = s.latest();
        if (m == null) throw new IllegalArgumentException("no backups in the repository");
        return m;
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "verify",
            description =
                    "Read every file of a backup (the newest without LABEL) and the WAL it needs, checking every checksum.")
    static final class Verify implements Callable<Integer> {
        @Parameters(
                index = "0",
                arity = "0..1",
                paramLabel = "LABEL",
                description = "the backup's label, as backup list shows it (default: the newest)")
        String label;

        @Option(
                names = "--progress",
                negatable = true,
                description = "show progress (default: when stderr is a terminal)")
        Boolean progress;

        @Mixin
        ArchiveCommand.RepoOptions options = new ArchiveCommand.RepoOptions();

        @Override
        public Integer call() {
            return ArchiveCommand.guarded(() -> {
                try (Repository repo = options.open()) {
                    BackupStore s = new BackupStore(repo);
                    BackupManifest m = pick(s, label);
                    List<BackupStore.Problem> problems = s.verify(m, progress("verify " + m.label(), progress));
                    if (problems.isEmpty()) {
                        System.out.println("backup " + m.label() + " is good: " + m.fileCount() + " files and WAL "
                                + m.startWal() + ".." + m.stopWal() + " verified");
                        return 0;
                    }
                    for (BackupStore.Problem p : problems) System.err.println("pgha backup verify: " + p);
                    return ArchiveCommand.fail(
                            ArchiveCommand.CORRUPT,
                            "backup " + m.label() + " is NOT restorable: " + problems.size() + " problem(s)");
                }
            });
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "expire",
            description = "Keep the newest N full backups and the WAL they need; remove the rest.")
    static final class Expire implements Callable<Integer> {
        @Option(
                names = "--retention-full",
                paramLabel = "N",
                description = "full backups to keep (default 2 or the config's retention_full)")
        Integer keep;

        @Option(names = "--dry-run", description = "only show what would be removed")
        boolean dryRun;

        @Mixin
        ArchiveCommand.RepoOptions options = new ArchiveCommand.RepoOptions();

        @Mixin
        FormatOption output;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            return ArchiveCommand.guarded(() -> {
                int n = keep != null
                        ? keep
                        : options.section() != null ? options.section().retentionFull() : 2;
                Integer asOwner = RepositoryOwner.runAsOwner(
                        options, spec, keep == null ? List.of("--retention-full", String.valueOf(n)) : List.of());
                if (asOwner != null) return asOwner;
                BackupStore.Expired e;
                try (Repository repo = options.open()) {
                    e = new BackupStore(repo).expire(n, dryRun);
                }
                if (output.json()) {
                    System.out.println(io.pgha.dcs.Json.pretty(Map.of(
                            "dry_run",
                            dryRun,
                            "kept_from",
                            String.valueOf(e.oldestKept()),
                            "backups",
                            e.backups(),
                            "incomplete",
                            e.incomplete(),
                            "wal_files",
                            e.walFiles().size())));
                    return 0;
                }
                String verb = dryRun ? "would remove" : "removed";
                System.out.println("keeping the newest " + n + " full backup(s)"
                        + (e.oldestKept() == null ? "" : ", from " + e.oldestKept()));
                System.out.println(verb + " " + e.backups().size() + " backup(s)"
                        + (e.backups().isEmpty() ? "" : ": " + String.join(", ", e.backups())));
                if (!e.incomplete().isEmpty())
                    System.out.println(verb + " incomplete: " + String.join(", ", e.incomplete()));
                System.out.println(verb + " " + e.walFiles().size() + " WAL file(s)"
                        + (e.walFiles().isEmpty()
                                ? ""
                                : " (" + e.walFiles().get(0) + ".."
                                        + e.walFiles().get(e.walFiles().size() - 1) + ")"));
                return 0;
            });
        }
    }
}
