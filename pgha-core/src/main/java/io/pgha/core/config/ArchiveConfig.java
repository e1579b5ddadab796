package io.pgha.core.config;

import java.util.Set;

/**
 * Section {@code archive} of a node config: the WAL archive and backup repository of the cluster.
 * With it, the agent sets archive_command on the primary and restore_command on every standby, and
 * {@code pgha archive|backup|restore -c FILE} find the repository here.
 *
 * @param repo a directory path or {@code sftp://user@host[:port]/path}
 * @param sftpKey private key for SFTP (null: ~/.ssh/id_ecdsa, id_ed25519 or id_rsa of the OS user)
 * @param sftpKnownHosts known_hosts for SFTP (null: ~/.ssh/known_hosts of the OS user)
 * @param compression zstd (default), lz4 or none
 * @param parallel how many files push-ahead, backup and restore move at once
 * @param spool local directory outside the data directory for pushed-ahead markers and prefetched
 *     WAL (default: the data directory's path plus {@code .archive-spool})
 * @param prefetch how many segments restore_command fetches ahead of PostgreSQL (0: none)
 * @param retentionFull how many full backups {@code pgha backup expire} keeps (with the WAL they need)
 * @param replicaSource how a new member gets its data: {@code primary} (pg_basebackup) or
 *     {@code backup} (the latest backup plus archived WAL, no load on the primary)
 * @param pghaCommand how PostgreSQL runs pgha in archive_command and restore_command (null: the
 *     agent's own java and class path, which the PostgreSQL OS user must be able to read)
 */
public record ArchiveConfig(
        String repo,
        String sftpKey,
        String sftpKnownHosts,
        String compression,
        int parallel,
        String spool,
        int prefetch,
        int retentionFull,
        String replicaSource,
        String pghaCommand) {

    static ArchiveConfig read(Section s, String dataDir) {
        String repo = s.requiredString("repo");
        if (!repo.startsWith("/") && !repo.startsWith("file:///") && !repo.startsWith("sftp://")) {
            throw new ConfigException(s.key("repo") + ": '" + repo
                    + "' must be an absolute directory path or sftp://user@host[:port]/path");
        }
        String key = path(s, "sftp_key");
        String knownHosts = path(s, "sftp_known_hosts");
        String compression = s.string("compression", "zstd");
        if (!Set.of("zstd", "lz4", "none").contains(compression)) {
            throw new ConfigException(s.key("compression") + ": '" + compression + "' is not one of zstd, lz4, none");
        }
        int parallel = s.intIn("parallel", 4, 1, 64);
        String spool = path(s, "spool");
        if (spool == null && dataDir != null) spool = dataDir + ".archive-spool";
        if (spool != null && dataDir != null && (spool + "/").startsWith(dataDir + "/")) {
            throw new ConfigException(s.key("spool") + ": '" + spool + "' must be outside data_dir");
        }
        int prefetch = s.intIn("prefetch", 8, 0, 256);
        int retention = s.intIn("retention_full", 2, 1, Integer.MAX_VALUE);
        String source = s.string("replica_source", "primary");
        if (!source.equals("primary") && !source.equals("backup")) {
            throw new ConfigException(s.key("replica_source") + ": '" + source + "' must be primary or backup");
        }
        String pgha = s.string("pgha_command", null);
        s.rejectUnknown();
        return new ArchiveConfig(
                repo, key, knownHosts, compression, parallel, spool, prefetch, retention, source, pgha);
    }

    private static String path(Section s, String name) {
        String p = s.string(name, null);
        if (p != null && !p.startsWith("/"))
            throw new ConfigException(s.key(name) + ": '" + p + "' must be an absolute path");
        return p;
    }

    public boolean replicasFromBackup() {
        return replicaSource.equals("backup");
    }

    /** Quotes {@code s} for sh: as it is when it holds only safe characters, else in single quotes. */
    public static String shellQuote(String s) {
        return s.matches("[A-Za-z0-9_./:=@%+,-]+") ? s : "'" + s.replace("'", "'\"'\"'") + "'";
    }

    /** Quotes {@code s} for sh, and doubles every % (PostgreSQL's escape in archive and restore commands). */
    static String arg(String s) {
        return shellQuote(s).replace("%", "%%");
    }

    /** The repository options of every archive command. */
    public String repoArgs() {
        StringBuilder b = new StringBuilder(" --repo ").append(arg(repo));
        if (sftpKey != null) b.append(" --sftp-key ").append(arg(sftpKey));
        if (sftpKnownHosts != null) b.append(" --sftp-known-hosts ").append(arg(sftpKnownHosts));
        return b.append(" --compression ").append(compression).toString();
    }

    /**
     * archive_command: a shell test confirms a file the asynchronous pusher already archived (its
     * stamp in the spool matches the file) without starting a JVM; otherwise pgha pushes it, and
     * starts the asynchronous pusher for the files after it.
     */
    public String archiveCommand(String pgha) {
        String marker = arg(spool + "/pushed") + "/%f";
        // Fails closed: a missing or empty marker, or a stat that prints nothing, never matches.
        return "m=$(cat " + marker
                + " 2>/dev/null) && [ -n \"$m\" ] && [ \"$(stat -c %%i.%%s.%%Y %p)\" = \"$m\" ] && rm -f " + marker
                + " || " + pgha.replace("%", "%%") + " archive push %p --async --spool " + arg(spool) + " --parallel "
                + parallel + repoArgs();
    }

    /** restore_command: a prefetched segment is moved into place by the shell; otherwise pgha gets it and prefetches the next ones. */
    public String restoreCommand(String pgha) {
        String queued = arg(spool + "/prefetched") + "/%f";
        return "test -f " + queued + " && mv -f " + queued + " %p || " + pgha.replace("%", "%%")
                + " archive get %f %p --spool " + arg(spool) + " --prefetch " + prefetch + " --parallel " + parallel
                + repoArgs();
    }
}
