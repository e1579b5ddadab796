package io.pgha.postgres;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.SyncPlanner.Replica;
import io.pgha.core.model.Lsn;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The primary's side of replication: its connected standbys and synchronous_standby_names, changed
 * in the order that keeps the DCS record true (see SyncPlanner).
 */
final class PgReplication {
    private final PgServer server;
    private final NodeConfig cfg;
    private final ConfigFiles files;

    PgReplication(PgServer server) {
        this.server = server;
        this.cfg = server.cfg;
        this.files = server.files;
    }

    /** The standbys connected to this primary (pg_stat_replication), by application_name. */
    List<Replica> replicas() throws PostgresException {
        List<Replica> out = new ArrayList<>();
        try (Statement st = server.connection().createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT application_name, state, flush_lsn::text FROM pg_stat_replication"
                                + " WHERE application_name <> ''")) {
            while (rs.next()) {
                String flush = rs.getString(3);
                out.add(new Replica(
                        rs.getString(1),
                        "streaming".equals(rs.getString(2)),
                        flush == null ? Lsn.ZERO : Lsn.parse(flush)));
            }
            return out;
        } catch (SQLException e) {
            server.closeConnection();
            throw new PostgresException("cannot read pg_stat_replication: " + e.getMessage(), e);
        }
    }

    /** synchronous_standby_names as the running server uses it. */
    String synchronousStandbyNames() throws PostgresException {
        try (Statement st = server.connection().createStatement();
                ResultSet rs = st.executeQuery("SHOW synchronous_standby_names")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            server.closeConnection();
            throw new PostgresException("cannot read synchronous_standby_names: " + e.getMessage(), e);
        }
    }

    /** The value the next start writes for synchronous_standby_names, without touching the running server. */
    void prepareSynchronousStandbyNames(String value) {
        files.synchronousStandbyNames(value);
    }

    /**
     * Sets synchronous_standby_names and returns once the server uses it: a new session (forked by
     * the postmaster after it reloaded and signalled every process) shows the value, and the WAL
     * senders, which re-read it on their next loop, had a grace period to do so. Returns the WAL
     * position after that (the current insert position on a primary, or zero on a standby).
     */
    Lsn setSynchronousStandbyNames(String value) throws PostgresException, IOException {
        files.synchronousStandbyNames(value);
        files.writePgha(server.upstream);
        server.execute("SELECT pg_reload_conf()");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Connection fresh =
                            server.connect(server.localHost(), cfg.postgresql().port(), "postgres");
                    Statement st = fresh.createStatement();
                    ResultSet rs = st.executeQuery("SHOW synchronous_standby_names")) {
                rs.next();
                if (value.equals(rs.getString(1))) break;
            } catch (SQLException e) {
                throw new PostgresException("cannot confirm synchronous_standby_names: " + e.getMessage(), e);
            }
            if (System.nanoTime() > deadline)
                throw new PostgresException(
                        "PostgreSQL did not take synchronous_standby_names = '" + value + "' within 10 s");
            PgServer.sleep(5);
        }
        PgServer.sleep(50);
        try (Statement st = server.connection().createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END")) {
            rs.next();
            return rs.getString(1) == null ? Lsn.ZERO : Lsn.parse(rs.getString(1));
        } catch (SQLException e) {
            server.closeConnection();
            throw new PostgresException("cannot read the WAL position: " + e.getMessage(), e);
        }
    }

    /**
     * Writes and flushes a small WAL record without waiting for any standby. Commits waiting for a
     * synchronous standby are released only when a WAL sender processes a reply from a standby that
     * counts; a standby that just became synchronous replies only when it receives new WAL (or every
     * wal_receiver_status_interval), and while every client waits, no new WAL comes.
     */
    void nudgeStandbys() throws PostgresException {
        server.execute("BEGIN; SET LOCAL synchronous_commit = local;"
                + " SELECT pg_logical_emit_message(true, 'pgha', 'synchronous standbys changed'); COMMIT");
    }
}
