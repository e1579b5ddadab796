package io.pgha.agent;

import io.pgha.core.config.ArchiveConfig;
import io.pgha.core.config.NodeConfig;
import io.pgha.postgres.OsCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new member built from the archive instead of the primary ({@code archive.replica_source:
 * backup}): the newest backup is restored as a standby whose restore_command replays the archived
 * WAL, after which it streams from the primary like any other. The primary carries no copy load.
 *
 * <p>The restore runs as PostgreSQL's OS user ({@code pgha restore} in a child process), never as
 * root: it writes a whole data directory into a directory that user owns, and a root process doing
 * that could be led by a planted link to write anywhere.
 */
final class ArchiveReplica {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveReplica.class);
    private static final long RESTORE_TIMEOUT_MS = 6 * 3600_000L;

    private ArchiveReplica() {}

    /** Restores the newest backup into {@code target}; false (and a log line) when there is none or it fails. */
    static boolean restore(NodeConfig cfg, Path target) {
        ArchiveConfig a = cfg.archive();
        String pgha = a.pghaCommand() != null ? a.pghaCommand() : System.getProperty("pgha.self");
        if (pgha == null) return false;
        List<String> cmd = new ArrayList<>(List.of(
                "sh",
                "-c",
                pgha + " restore \"$@\"",
                "pgha-restore",
                "--target-dir",
                target.toString(),
                "--standby",
                "--no-progress",
                "--restore-command",
                a.restoreCommand(pgha),
                "--parallel",
                String.valueOf(a.parallel()),
                "--repo",
                a.repo()));
        if (a.sftpKey() != null) cmd.addAll(List.of("--sftp-key", a.sftpKey()));
        if (a.sftpKnownHosts() != null) cmd.addAll(List.of("--sftp-known-hosts", a.sftpKnownHosts()));
        LOG.info("creating this replica from the newest backup in {} instead of from the primary", a.repo());
        long t0 = System.nanoTime();
        try {
            OsCommand.Result r = new OsCommand(cfg.osUser())
                    .run(cmd, Map.of(), RESTORE_TIMEOUT_MS, line -> LOG.info("restore: {}", line));
            if (!r.ok()) {
                LOG.warn(
                        "cannot create this replica from the archive ({}); cloning from the primary instead", r.tail());
                return false;
            }
            LOG.info(
                    "restored in {} ms; archived WAL and then streaming bring it up to date",
                    (System.nanoTime() - t0) / 1_000_000);
            return true;
        } catch (Exception e) {
            LOG.warn(
                    "cannot create this replica from the archive ({}); cloning from the primary instead",
                    e.getMessage());
            return false;
        }
    }
}
