package io.pgha.agent;

import io.pgha.archive.BackupManifest;
import io.pgha.archive.Progress;
import io.pgha.archive.Repository;
import io.pgha.archive.RepositoryLocation;
import io.pgha.archive.RestoreRunner;
import io.pgha.core.config.ArchiveConfig;
import io.pgha.core.config.NodeConfig;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A new member built from the archive instead of the primary ({@code archive.replica_source:
 * backup}): the newest backup is restored as a standby whose restore_command replays the archived
 * WAL, after which it streams from the primary like any other. The primary carries no copy load.
 */
final class ArchiveReplica {
  private static final Logger LOG = LoggerFactory.getLogger(ArchiveReplica.class);

  private ArchiveReplica() {}

  /** Restores the newest backup into {@code target}; false (and a log line) when there is none or it fails. */
  static boolean restore(NodeConfig cfg, Path target) {
    ArchiveConfig a = cfg.archive();
    String pgha = a.pghaCommand() != null ? a.pghaCommand() : System.getProperty("pgha.self");
    if (pgha == null) return false;
    RepositoryLocation where = new RepositoryLocation(a.repo(), a.sftpKey() == null ? null : Path.of(a.sftpKey()),
        a.sftpKnownHosts() == null ? null : Path.of(a.sftpKnownHosts()));
    try (Repository repo = where.open()) {
      RestoreRunner.Options o = new RestoreRunner.Options(target, null, RestoreRunner.Target.latest(), a.restoreCommand(pgha), true,
          a.parallel(), cfg.osUser());
      RestoreRunner r = new RestoreRunner(repo, o, Progress.silent());
      BackupManifest m = r.choose();
      LOG.info("creating this replica from backup {} ({} bytes) in {} instead of from the primary", m.label(), m.bytes(), where.uri());
      long t0 = System.nanoTime();
      r.run();
      LOG.info("restored backup {} in {} ms; archived WAL and then streaming bring it up to date", m.label(), (System.nanoTime() - t0) / 1_000_000);
      return true;
    } catch (Exception e) {
      LOG.warn("cannot create this replica from the archive ({}); cloning from the primary instead", e.getMessage());
      return false;
    }
  }
}
