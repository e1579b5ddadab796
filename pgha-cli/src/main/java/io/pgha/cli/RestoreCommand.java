package io.pgha.cli;

import io.pgha.archive.BackupManifest;
import io.pgha.archive.Repository;
import io.pgha.archive.RestoreRunner;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgha restore}: a backup into a new data directory, recovering to the latest state or a target. */
@Command(
        mixinStandardHelpOptions = true,
        name = "restore",
        description =
                "Restore a backup into a new data directory, to the end of the archive or to a target (docs/archive.md).")
final class RestoreCommand implements Callable<Integer> {
    @Option(
            names = "--target-dir",
            required = true,
            paramLabel = "DIR",
            description = "the new data directory (must be empty or absent)")
    Path targetDir;

    @Option(
            names = "--set",
            paramLabel = "LABEL",
            description = "the backup to restore (default: the newest that ends before the target)")
    String label;

    static final class Target {
        @Option(
                names = "--target-time",
                paramLabel = "TIME",
                description = "recover to this time, with its offset: '2026-11-27 10:15:00+00'")
        String time;

        @Option(names = "--target-lsn", paramLabel = "LSN", description = "recover to this WAL position")
        String lsn;

        @Option(names = "--target-xid", paramLabel = "XID", description = "recover to the commit of this transaction")
        String xid;

        @Option(
                names = "--target-name",
                paramLabel = "NAME",
                description = "recover to this restore point (pg_create_restore_point)")
        String name;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Target target;

    @Option(
            names = "--target-action",
            paramLabel = "ACTION",
            description = "at the target: promote, pause (default) or shutdown")
    String action;

    @Option(
            names = "--standby",
            description = "write standby.signal: the server keeps restoring WAL from the archive (a warm standby)")
    boolean standby;

    @Option(
            names = "--os-user",
            defaultValue = "postgres",
            description = "owner of the files when run as root (default: ${DEFAULT-VALUE})")
    String osUser;

    @Option(names = "--parallel", paramLabel = "N", description = "files restored at once (default 4 or the config's)")
    Integer parallel;

    @Option(
            names = "--restore-command",
            paramLabel = "CMD",
            description = "restore_command to write (default: this pgha's archive get with the same repository)")
    String restoreCommand;

    @Option(names = "--progress", negatable = true, description = "show progress (default: when stderr is a terminal)")
    Boolean progress;

    @Mixin
    ArchiveCommand.RepoOptions options = new ArchiveCommand.RepoOptions();

    /** {@code archive get} with the same repository options, for restore_command. */
    static String restoreCommand(ArchiveCommand.RepoOptions o) {
        StringBuilder b = new StringBuilder(SelfCommand.pgha()).append(" archive get %f %p");
        if (o.config != null)
            b.append(" -c ").append(SelfCommand.quote(o.config.toAbsolutePath().toString()));
        if (o.repo != null) b.append(" --repo ").append(SelfCommand.quote(o.repo));
        if (o.sftpKey != null)
            b.append(" --sftp-key ")
                    .append(SelfCommand.quote(o.sftpKey.toAbsolutePath().toString()));
        if (o.knownHosts != null)
            b.append(" --sftp-known-hosts ")
                    .append(SelfCommand.quote(o.knownHosts.toAbsolutePath().toString()));
        return b.toString();
    }

    @Override
    public Integer call() {
        return ArchiveCommand.guarded(() -> {
            RestoreRunner.Target t;
            if (target == null) t = new RestoreRunner.Target(null, null, action);
            else if (target.time != null) t = new RestoreRunner.Target("time", target.time, action);
            else if (target.lsn != null) t = new RestoreRunner.Target("lsn", target.lsn, action);
            else if (target.xid != null) t = new RestoreRunner.Target("xid", target.xid, action);
            else t = new RestoreRunner.Target("name", target.name, action);
            options.location(); // a bad repository is a usage error before anything is written
            String cmd = restoreCommand != null ? restoreCommand : restoreCommand(options);
            RestoreRunner.Options o =
                    new RestoreRunner.Options(targetDir, label, t, cmd, standby, options.parallel(parallel), osUser);
            BackupManifest m;
            try (Repository repo = options.open();
                    io.pgha.archive.Progress p = BackupCommand.progress("restore", progress)) {
                try {
                    m = new RestoreRunner(repo, o, p).run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return ArchiveCommand.fail(ArchiveCommand.UNAVAILABLE, "interrupted");
                }
            }
            System.out.println("restored backup " + m.label() + " (" + Table.bytes(m.bytes()) + ") into "
                    + targetDir.toAbsolutePath()
                    + (t.kind() == null
                            ? "; recovery replays the archive to its end"
                            : "; recovery stops at " + t.kind() + " " + t.value() + " and then does: "
                                    + (t.action() == null ? "pause" : t.action())));
            System.out.println("start it with: pg_ctl -D " + targetDir.toAbsolutePath() + " start"
                    + ("root".equals(System.getProperty("user.name")) ? " (as " + osUser + ")" : ""));
            return 0;
        });
    }
}
