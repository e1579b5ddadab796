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
     * archive_command: a shell test confirms a file the archive server already pushed ahead (its
     * stamp in the spool matches the file). Otherwise the spool's client hands the call to the
     * archive server, which the agent keeps running; with no server, pgha pushes the file itself and
     * starts a server for the files after it.
     */
    public String archiveCommand(String pgha) {
        String fallback =
                pgha.replace("%", "%%") + " archive push %p --async --spool \"$s\" --parallel " + parallel + repoArgs();
        // Fails closed: a missing or empty marker, or a stat that prints nothing, never matches.
        return "s=" + arg(spool) + "; m=$(cat \"$s\"/pushed/%f 2>/dev/null) && [ -n \"$m\" ]"
                + " && [ \"$(stat -c %%i.%%s.%%Y %p)\" = \"$m\" ] && rm -f \"$s\"/pushed/%f || "
                + client("push %f", fallback);
    }

    /**
     * restore_command: a prefetched segment is moved into place by the shell. Otherwise the spool's
     * client asks the archive server, which fetches it and the next ones; with no server, pgha gets
     * it and prefetches the next ones itself.
     */
    public String restoreCommand(String pgha) {
        String fallback = pgha.replace("%", "%%") + " archive get %f %p --spool \"$s\" --prefetch " + prefetch
                + " --parallel " + parallel + repoArgs();
        return "s=" + arg(spool) + "; test -f \"$s\"/prefetched/%f && mv -f \"$s\"/prefetched/%f %p || "
                + client("get %f %p", fallback);
    }

    /**
     * The spool's client (call.sh; the spool in {@code $s}) with {@code fallback} after it, or
     * {@code fallback} alone while there is no client. The spool and the fallback are written once:
     * PostgreSQL 15 and older cut an expanded archive_command at 1023 bytes.
     */
    private static String client(String call, String fallback) {
        return "{ set --; test -f \"$s\"/call.sh && set -- sh \"$s\"/call.sh \"$s\" " + call + " --; exec \"$@\" "
                + fallback + "; }";
    }

    /** Longest expansion of %p and %f (pg_wal/ and a .backup file's name) beyond their own two characters. */
    private static final int EXPANSION = 2 * 40;

    /**
     * Null, or why PostgreSQL {@code major} would cut this archive_command short: before 16 it expands
     * the command into 1024 bytes and drops the rest without a word.
     */
    public String archiveCommandTooLong(String pgha, int major) {
        if (major >= 16) return null;
        int n = archiveCommand(pgha).replace("%%", "%").length() + EXPANSION;
        if (n < 1024) return null;
        return "archive: archive_command would be about " + n + " bytes, and PostgreSQL " + major
                + " cuts it at 1023: shorten archive.spool, archive.repo or the path of pgha (archive.pgha_command,"
                + " e.g. /usr/bin/pgha)";
    }

    /** The arguments of {@code pgha archive serve} for a server with pg_wal {@code pgWal} (not quoted). */
    public java.util.List<String> serveArgs(String pgWal) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of(
                "archive",
                "serve",
                "--pg-wal",
                pgWal,
                "--spool",
                spool,
                "--parallel",
                String.valueOf(parallel),
                "--prefetch",
                String.valueOf(prefetch),
                "--idle",
                "0",
                "--repo",
                repo));
        if (sftpKey != null) a.addAll(java.util.List.of("--sftp-key", sftpKey));
        if (sftpKnownHosts != null) a.addAll(java.util.List.of("--sftp-known-hosts", sftpKnownHosts));
        a.addAll(java.util.List.of("--compression", compression));
        return a;
    }
}
