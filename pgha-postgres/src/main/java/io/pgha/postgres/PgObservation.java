package io.pgha.postgres;

import io.pgha.core.decide.LocalState;
import io.pgha.core.model.ArchiveStatus;
import io.pgha.core.model.ControlState;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.TimelineHistory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the local server is doing, read over SQL and with pg_controldata: role, timeline and WAL
 * positions for the agent's observation, the archiver's state, and timeline switch points from the
 * history files (cached: they never change). Never throws for a server that does not answer: that
 * is reported as not running.
 */
final class PgObservation {
    private static final Logger LOG = LoggerFactory.getLogger(PgObservation.class);
    private String lastObserveError;
    private final Map<Integer, Lsn> historyStarts = new java.util.concurrent.ConcurrentHashMap<>();
    private final PgServer server;
    private final Binaries bin;
    private final OsCommand os;
    private final Path dataDir;
    private final Map<String, String> env;

    PgObservation(PgServer server) {
        this.server = server;
        this.bin = server.bin;
        this.os = server.os;
        this.dataDir = server.dataDir;
        this.env = server.env;
    }

    public boolean dataPresent() {
        return Files.exists(dataDir.resolve("PG_VERSION")) && Files.exists(dataDir.resolve("global/pg_control"));
    }

    LocalState observe() {
        if (!dataPresent()) return LocalState.noData();
        boolean standbySignal = Files.exists(dataDir.resolve("standby.signal"));
        boolean alive = server.postmasterPid() > 0;
        if (alive) {
            try {
                return observeRunning(standbySignal);
            } catch (SQLException e) {
                server.closeConnection();
                if (!String.valueOf(e.getMessage()).equals(lastObserveError)) {
                    LOG.warn("PostgreSQL is running but does not answer pgha's queries: {}", e.getMessage());
                    lastObserveError = e.getMessage();
                }
            }
        }
        ControlData cd = controlData();
        return new LocalState(
                true,
                standbySignal,
                false,
                false,
                cd.timeline(),
                Lsn.max(cd.checkpoint(), cd.minRecoveryPoint()),
                cd.checkpoint(),
                null,
                false,
                cd.state(),
                cd.checkpoint(),
                alive);
    }

    /** See {@link PostgresControl#pendingRestart()}. */
    boolean pendingRestart() {
        if (server.postmasterPid() <= 0) return false;
        try (Statement st = server.connection().createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) > 0 FROM pg_settings WHERE pending_restart")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /** See {@link PostgresControl#upstreamPosition()}. */
    Lsn upstreamPosition() {
        try (Statement st = server.connection().createStatement();
                ResultSet rs = st.executeQuery("SELECT latest_end_lsn::text FROM pg_stat_wal_receiver")) {
            return rs.next() && rs.getString(1) != null ? Lsn.parse(rs.getString(1)) : null;
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    /** True when a postmaster process for this data directory is alive (up, starting or stopping). */
    boolean postmasterAlive() {
        return server.postmasterPid() > 0;
    }

    private LocalState observeRunning(boolean standbySignal) throws SQLException {
        String sql = "SELECT pg_is_in_recovery(),"
                + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,"
                + " pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
                + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END,"
                + " (SELECT timeline_id FROM pg_control_checkpoint()),"
                + " (SELECT min_recovery_end_timeline FROM pg_control_recovery()),"
                + " (SELECT status FROM pg_stat_wal_receiver LIMIT 1),"
                + " (SELECT received_tli FROM pg_stat_wal_receiver LIMIT 1),"
                + " (SELECT wait_event FROM pg_stat_activity WHERE backend_type = 'startup' LIMIT 1)";
        try (Statement st = server.connection().createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            boolean recovery = rs.getBoolean(1);
            if (!recovery) {
                Lsn cur = Lsn.parse(rs.getString(2));
                int tl = Integer.parseInt(rs.getString(5), 16);
                return new LocalState(
                        true,
                        standbySignal,
                        true,
                        false,
                        tl,
                        cur,
                        cur,
                        null,
                        false,
                        ControlState.IN_PRODUCTION,
                        Lsn.ZERO,
                        true);
            }
            Lsn rcv = rs.getString(3) == null ? Lsn.ZERO : Lsn.parse(rs.getString(3));
            Lsn rpl = rs.getString(4) == null ? Lsn.ZERO : Lsn.parse(rs.getString(4));
            boolean streaming = "streaming".equals(rs.getString(8));
            int received = rs.getInt(9);
            int reported = Math.max(rs.getInt(6), Math.max(rs.getInt(7), received));
            boolean replaying = replaying(rs.getString(3) != null, rs.getString(10));
            rs.close();
            // While WAL is being received, received_tli is exact (and no history file can name a later
            // timeline for WAL we have); only without a walreceiver is the timeline worked out from files.
            int tl = received > 0 ? reported : Math.max(reported, replayTimeline(Lsn.max(rcv, rpl)));
            return new LocalState(
                    true,
                    standbySignal,
                    true,
                    true,
                    tl,
                    Lsn.max(rcv, rpl),
                    rpl,
                    server.following,
                    streaming,
                    ControlState.IN_ARCHIVE_RECOVERY,
                    Lsn.ZERO,
                    true,
                    replaying);
        }
    }

    /** The postmaster whose startup process was seen waiting for WAL: it has replayed what it started with. */
    private long settledPostmaster;

    /**
     * Whether this standby still replays the WAL it had when its postmaster started: no WAL received
     * since, and its startup process was not yet seen waiting for more. Once it waited, later replay
     * (of WAL restored from the archive, say) is of WAL that came from outside.
     */
    private boolean replaying(boolean received, String startupWaitEvent) {
        long pid = server.postmasterPid();
        if (received || pid == settledPostmaster) return false;
        if (waitsForWal(startupWaitEvent)) {
            settledPostmaster = pid;
            return false;
        }
        return true;
    }

    /**
     * Whether the startup process waits for WAL from outside: it replayed everything in pg_wal and
     * now waits between attempts to get more ({@code RecoveryRetrieveRetryInterval}), for the WAL
     * receiver ({@code RecoveryWalStream}) or for restore_command ({@code RestoreCommand}, WAL from
     * the shared archive that any member can fetch). Anything else, such as no wait at all, means it
     * is still replaying.
     */
    static boolean waitsForWal(String startupWaitEvent) {
        return "RecoveryRetrieveRetryInterval".equals(startupWaitEvent)
                || "RecoveryWalStream".equals(startupWaitEvent)
                || "RestoreCommand".equals(startupWaitEvent);
    }

    /**
     * The timeline a standby's WAL position lies on. During recovery PostgreSQL reports only the
     * last restartpoint's timeline, which lags after a timeline switch; the history files in pg_wal
     * say where each timeline began, so the newest one that began at or before {@code position} is
     * the one being replayed. History files never change, so their switch points are cached.
     */
    private int replayTimeline(Lsn position) throws SQLException {
        int best = 0;
        try (Statement st = server.connection().createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{8}\\.history$'")) {
            List<String> names = new ArrayList<>();
            while (rs.next()) names.add(rs.getString(1));
            for (String name : names) {
                int tl = Integer.parseInt(name.substring(0, 8), 16);
                if (tl <= best) continue;
                Lsn start = historyStarts.get(tl);
                if (start == null) {
                    start = switchpointFromFile("pg_wal/" + name);
                    historyStarts.put(tl, start);
                }
                if (!start.isAfter(position)) best = tl;
            }
        }
        return best;
    }

    /**
     * pg_control's fields read from the file itself ({@link ControlData#fromControlFile}); null
     * when it cannot be read, or not in a layout this reads, or was read while being rewritten.
     */
    ControlData controlFile() {
        try (GuardedDirectory global = os.directory(dataDir.resolve("global"))) {
            return global.readBytes("pg_control", 16384)
                    .map(ControlData::fromControlFile)
                    .orElse(null);
        } catch (java.io.IOException e) {
            LOG.debug("cannot read pg_control itself: {}", e.getMessage());
            return null;
        }
    }

    /**
     * pg_control's fields: read from the file itself where its layout is known ({@link
     * #controlFile}), else from pg_controldata's output.
     */
    ControlData controlData() {
        ControlData cd = controlFile();
        if (cd != null) return cd;
        try {
            return ControlData.parse(
                    os.check(List.of(bin.path("pg_controldata"), "-D", dataDir.toString()), env, 30_000, l -> {}));
        } catch (PostgresException e) {
            LOG.warn("pg_controldata failed: {}", e.getMessage());
            return new ControlData("", ControlState.UNKNOWN, Lsn.ZERO, 0, Lsn.ZERO);
        }
    }

    /**
     * The primary's archiving: pg_stat_archiver and the .ready files in pg_wal (what is finished but
     * not archived yet). Null when this server is not a running primary.
     */
    ArchiveStatus archiveStatus() {
        try (Statement st = server.connection().createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT pg_is_in_recovery(), archived_count, last_archived_wal, failed_count, last_failed_wal,"
                                + " coalesce(last_failed_time > coalesce(last_archived_time, 'epoch'), false) FROM pg_stat_archiver")) {
            rs.next();
            if (rs.getBoolean(1)) return null;
            int pending = 0;
            long bytes = 0;
            try (var ready = Files.newDirectoryStream(dataDir.resolve("pg_wal/archive_status"), "*.ready")) {
                for (Path f : ready) {
                    pending++;
                    String n = f.getFileName().toString();
                    try {
                        bytes += Files.size(
                                dataDir.resolve("pg_wal").resolve(n.substring(0, n.length() - ".ready".length())));
                    } catch (IOException gone) {
                        // archived meanwhile
                    }
                }
            } catch (IOException e) {
                LOG.debug("cannot count .ready files: {}", e.getMessage());
            }
            return new io.pgha.core.model.ArchiveStatus(
                    pending, bytes, rs.getLong(2), rs.getString(3), rs.getLong(4), rs.getString(5), rs.getBoolean(6));
        } catch (SQLException e) {
            return null;
        }
    }

    /** The switch point recorded in the history file of {@code timeline} for its parent timeline. */
    Lsn switchpoint(int timeline) throws PostgresException {
        String name = String.format("pg_wal/%08X.history", timeline);
        try {
            return switchpointFromFile(name);
        } catch (SQLException e) {
            server.closeConnection();
            throw new PostgresException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    private Lsn switchpointFromFile(String name) throws SQLException {
        try (Statement st = server.connection().createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_read_file('" + name + "')")) {
            rs.next();
            return TimelineHistory.lastSwitchpoint(rs.getString(1));
        }
    }
}
