package io.pgha.postgres;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.HistoryEntry;
import io.pgha.postgres.ConfigFiles.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Making and replacing the data directory: initdb, a clone with pg_basebackup (or a copy built
 * elsewhere, such as a restored backup), pg_rewind from a new primary, the DCS's timeline history
 * seeded into pg_wal, removal. Every file is written and every tree removed without following a link
 * that PostgreSQL's OS user could have planted ({@link GuardedDirectory}).
 */
final class PgCopies {
    private static final Logger LOG = LoggerFactory.getLogger(PgCopies.class);
    private static final long LONG_MS = 6 * 3600_000L;
    private final PgLifecycle lifecycle;
    private final PgServer server;
    private final NodeConfig cfg;
    private final Binaries bin;
    private final OsCommand os;
    private final Path dataDir;
    private final Path stateDir;
    private final ConfigFiles files;
    private final Map<String, String> env;

    PgCopies(PgServer server, PgLifecycle lifecycle) {
        this.server = server;
        this.cfg = server.cfg;
        this.bin = server.bin;
        this.os = server.os;
        this.dataDir = server.dataDir;
        this.stateDir = server.stateDir;
        this.files = server.files;
        this.env = server.env;
        this.lifecycle = lifecycle;
    }

    /**
     * initdb with checksums (pg_rewind needs them or wal_log_hints), then pgha's files. initdb writes
     * without fsync ({@code --no-sync}) and {@link #syncCopy} makes the new cluster durable in one call
     * before anything uses it, as for a clone: initdb's own fsync of each of its ~1,000 files took 0.1
     * s of a bootstrap on a virtual disk.
     */
    void initdb() throws PostgresException, IOException {
        Directories.delete(dataDir);
        os.ensureOwnedDirectory(dataDir);
        List<String> cmd = new ArrayList<>(List.of(
                bin.path("initdb"),
                "-D",
                dataDir.toString(),
                "--data-checksums",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-U",
                cfg.postgresql().superuser().username(),
                "--wal-segsize=" + cfg.postgresql().walSegmentSizeMb(),
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
                "--no-sync"));
        String pw = dataDir.getFileName() + ".initpw";
        try (GuardedDirectory state = os.directory(stateDir)) {
            try {
                if (cfg.postgresql().superuser().hasPassword()) {
                    state.write(pw, cfg.postgresql().superuser().password() + "\n");
                    cmd.add("--pwfile=" + stateDir.resolve(pw));
                }
                os.check(cmd, env, 300_000, l -> LOG.debug("initdb: {}", l));
            } finally {
                state.delete(pw);
            }
        }
        syncCopy(dataDir);
        files.writeAll(null, false);
    }

    /** Creates the replication role when it differs from the superuser. Its password is not logged. */
    void createReplicationRole() throws PostgresException {
        var repl = cfg.postgresql().replication();
        if (repl.username().equals(cfg.postgresql().superuser().username())) return;
        String pw = repl.hasPassword() ? " PASSWORD '" + repl.password().replace("'", "''") + "'" : "";
        server.execute("CREATE ROLE \"" + repl.username() + "\" WITH REPLICATION LOGIN" + pw);
    }

    /** An empty directory beside the data directory to build a new copy in (see {@link #installClone}). */
    Path cloneDir() throws IOException {
        Path tmp = server.sibling(".clone");
        Directories.delete(tmp);
        return tmp;
    }

    /** Replaces the data directory with what was built in {@link #cloneDir()}, configured as a standby of {@code source}. */
    void installClone(Upstream source) throws IOException {
        Path tmp = server.sibling(".clone");
        try (GuardedDirectory state = os.directory(stateDir);
                GuardedDirectory clone = state.sub(tmp.getFileName().toString())) {
            if (!clone.has("PG_VERSION")) throw new IOException(tmp + " holds no data directory");
        }
        replaceDataWith(tmp);
        files.writeAll(source, true);
    }

    /** Replaces the data directory with {@code built}, a directory beside it; never through a link. */
    private void replaceDataWith(Path built) throws IOException {
        Directories.delete(dataDir);
        try (GuardedDirectory state = os.directory(stateDir)) {
            state.rename(built.getFileName().toString(), dataDir.getFileName().toString());
        }
    }

    /**
     * Clones {@code source} into a fresh data directory with pg_basebackup, reporting progress. The copy
     * is on disk before it becomes the data directory: pg_basebackup writes it without its fsync of every
     * file ({@code --no-sync}), and {@link #syncCopy} flushes it in one call instead.
     */
    void cloneFrom(Upstream source, Consumer<String> progress) throws PostgresException, IOException {
        Path tmp = server.sibling(".clone");
        Directories.delete(tmp);
        os.check(
                List.of(
                        bin.path("pg_basebackup"),
                        "--no-sync",
                        "-D",
                        tmp.toString(),
                        "-X",
                        "stream",
                        "-c",
                        "fast",
                        "-P",
                        "-h",
                        source.host(),
                        "-p",
                        String.valueOf(source.port()),
                        "-U",
                        cfg.postgresql().replication().username(),
                        "-w"),
                env,
                LONG_MS,
                progress);
        syncCopy(tmp);
        replaceDataWith(tmp);
        files.writeAll(source, true);
    }

    /**
     * Makes a copy written without fsync durable before it is renamed into place (a clone) or started
     * (initdb's new cluster): syncfs(2) of its file system ({@code sync -f}, one call, as PostgreSQL
     * 17's {@code --sync-method=syncfs} does; a clone of a small database spent 0.2-0.3 s of its 0.5 s
     * in pg_basebackup's fsync of each file), and where that is not possible, {@code initdb
     * --sync-only}, which fsyncs every file as pg_basebackup would have. Both run as the PostgreSQL OS
     * user.
     */
    void syncCopy(Path dir) throws PostgresException {
        OsCommand.Result r = os.run(List.of("sync", "-f", dir.toString()), env, LONG_MS);
        if (r.ok()) return;
        LOG.warn("sync -f {} failed ({}): syncing the copy file by file instead", dir, r.tail());
        os.check(List.of(bin.path("initdb"), "--sync-only", "-D", dir.toString()), env, LONG_MS, l -> {});
    }

    /**
     * Makes {@code source} fit to rewind from. pg_rewind learns the source's timeline from its
     * control file, which a newly promoted primary updates only at its next checkpoint (after a
     * promotion PostgreSQL requests a spread one that may take minutes); a stale value makes pg_rewind
     * compute a wrong divergence point. So: when the control file lags the running timeline, run a
     * CHECKPOINT on the source first. Fails when the source cannot be reached at all.
     */
    void prepareRewindSource(Upstream source) throws PostgresException {
        String sql = "SELECT (SELECT timeline_id FROM pg_control_checkpoint()),"
                + " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int";
        try (Connection c = server.connect(source.host(), source.portNumber(), "postgres");
                Statement st = c.createStatement()) {
            int control;
            int running;
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                control = rs.getInt(1);
                running = rs.getInt(2);
            }
            if (control != running) {
                LOG.info(
                        "{}'s control file still says timeline {} (running {}): checkpointing it before pg_rewind",
                        source.member(),
                        control,
                        running);
                st.execute("CHECKPOINT");
            }
        } catch (SQLException e) {
            throw new PostgresException(
                    source.member() + " (" + source.host() + ":" + source.port() + ") cannot serve as rewind source: "
                            + e.getMessage(),
                    e);
        }
    }

    /** pg_rewind from {@code source} (stopping first if needed), then configured as its standby. */
    void rewindFrom(Upstream source, Consumer<String> progress) throws PostgresException, IOException {
        lifecycle.stop(StopMode.FAST);
        String conn = "host=" + source.host() + " port=" + source.port() + " user="
                + cfg.postgresql().superuser().username() + " dbname=postgres connect_timeout=5";
        os.check(
                List.of(bin.path("pg_rewind"), "-D", dataDir.toString(), "--source-server=" + conn, "-P"),
                env,
                LONG_MS,
                progress);
        files.writeAll(source, true);
    }

    /**
     * Writes the history files of timelines after this standby's one, as the DCS recorded them, into
     * pg_wal, so that a promotion picks a timeline number no member has used (PostgreSQL takes the
     * newest history file it finds plus one). Files already there are left alone.
     */
    void seedHistory(List<HistoryEntry> history, int latest) throws IOException, PostgresException {
        for (int tl = 2; tl <= latest; tl++) {
            String name = String.format("%08X.history", tl);
            Path file = dataDir.resolve("pg_wal").resolve(name);
            if (Files.exists(file)) continue;
            StringBuilder content = new StringBuilder();
            for (int parent = 1; parent < tl; parent++) {
                int p = parent;
                Optional<HistoryEntry> e =
                        history.stream().filter(h -> h.timeline() == p).findFirst();
                if (e.isEmpty()) return; // incomplete history: leave PostgreSQL's own choice
                content.append(parent)
                        .append('\t')
                        .append(e.get().switchpoint())
                        .append("\tpgha: ")
                        .append(e.get().reason())
                        .append('\n');
            }
            writeWal(name, content.toString());
            LOG.info("wrote {} from the DCS history so that promotion picks a fresh timeline", file.getFileName());
        }
    }

    /**
     * Writes {@code name} into pg_wal. pg_wal may legitimately be a link (initdb --waldir) that
     * PostgreSQL's OS user controls; then the file is written beside it and moved by that user.
     */
    private void writeWal(String name, String content) throws IOException, PostgresException {
        try (GuardedDirectory data = os.directory(dataDir)) {
            GuardedDirectory wal;
            try {
                wal = data.sub("pg_wal");
            } catch (java.nio.file.FileSystemException linked) {
                data.write("." + name + ".seed", content);
                os.check(
                        List.of(
                                "mv",
                                "-f",
                                dataDir.resolve("." + name + ".seed").toString(),
                                dataDir.resolve("pg_wal").resolve(name).toString()),
                        Map.of(),
                        10_000,
                        l -> {});
                return;
            }
            try (wal) {
                wal.write(name, content);
            }
        }
    }

    /** Removes the data directory. */
    void removeData() throws IOException {
        Directories.delete(dataDir);
    }
}
