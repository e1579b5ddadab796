package io.pgha.postgres;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.SlotPlanner.Slot;
import io.pgha.core.model.Lsn;
import io.pgha.postgres.ConfigFiles.Upstream;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The SQL (and the one file) behind replication slot upkeep: list, create, drop and advance slots
 * on the local server, and copy a logical slot's state file from the primary into the local data
 * directory. Slot names, databases and plugins reach PostgreSQL only as bind parameters or, for a
 * database, as a validated name (see {@code SlotSettings}). Each call opens its own connection and
 * closes it; not thread-safe.
 */
public final class Slots implements SlotControl {
    /** An advance decodes WAL from the slot's restart point: bounded so that one call cannot hold a cycle long. */
    private static final int ADVANCE_TIMEOUT_MS = 5000;

    private static final int MAX_STATE_FILE_BYTES = 64 * 1024;

    private final NodeConfig cfg;
    private final LocalPostgres pg;
    private final OsCommand os;

    Slots(NodeConfig cfg, LocalPostgres pg) {
        this.cfg = cfg;
        this.pg = pg;
        this.os = new OsCommand(cfg.osUser());
    }

    private Connection local(String database) throws SQLException {
        return pg.connect(pg.localHost(), cfg.postgresql().port(), database);
    }

    /**
     * The local server's slots, temporary ones left out. Asked every cycle by the agent's loop, on its
     * own connection (a new connection each time would cost a backend's start per cycle).
     */
    @Override
    public List<Slot> list() throws PostgresException {
        String sql = "SELECT slot_name, slot_type = 'logical', active, database, plugin,"
                + " coalesce(CASE WHEN slot_type = 'logical' THEN confirmed_flush_lsn ELSE restart_lsn END, '0/0')::text"
                + " FROM pg_replication_slots WHERE NOT temporary ORDER BY slot_name";
        try (Statement st = pg.agentConnection().createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            List<Slot> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new Slot(
                        rs.getString(1),
                        rs.getBoolean(2),
                        rs.getBoolean(3),
                        rs.getString(4),
                        rs.getString(5),
                        Lsn.parse(rs.getString(6))));
            }
            return out;
        } catch (SQLException e) {
            throw new PostgresException("cannot list replication slots: " + e.getMessage(), e);
        }
    }

    /** A physical slot that reserves WAL from now on (so a standby or tool starting later finds its WAL). */
    @Override
    public void createPhysical(String name) throws PostgresException {
        run("postgres", "SELECT pg_create_physical_replication_slot(?::name, true)", "create slot " + name, name);
    }

    /** A logical slot in {@code database}; PostgreSQL needs wal_level=logical for it. */
    @Override
    public void createLogical(String name, String database, String plugin) throws PostgresException {
        run(
                database,
                "SELECT pg_create_logical_replication_slot(?::name, ?::name)",
                "create logical slot " + name,
                name,
                plugin);
    }

    @Override
    public void drop(String name) throws PostgresException {
        run("postgres", "SELECT pg_drop_replication_slot(?::name)", "drop slot " + name, name);
    }

    /** Moves the logical slot {@code name} forward to {@code to} (on a standby: at most its replay position). */
    @Override
    public void advance(String name, String database, Lsn to) throws PostgresException {
        try (Connection c = local(database);
                Statement st = c.createStatement()) {
            st.execute("SET statement_timeout = " + ADVANCE_TIMEOUT_MS);
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_replication_slot_advance(?::name, ?::pg_lsn)")) {
                ps.setString(1, name);
                ps.setString(2, to.toString());
                ps.execute();
            }
        } catch (SQLException e) {
            throw new PostgresException("cannot advance slot " + name + " to " + to + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies the logical slot {@code name} from {@code primary}: its state file, read over a superuser
     * connection, written to {@code pg_replslot/<name>/state} in the local data directory through a
     * {@link GuardedDirectory}. PostgreSQL loads slots only at start-up: the caller restarts it.
     */
    @Override
    public void copyFrom(Upstream primary, String name) throws PostgresException, IOException {
        byte[] state;
        try (Connection c = pg.connect(primary.host(), primary.portNumber(), "postgres");
                PreparedStatement ps = c.prepareStatement(
                        "SELECT pg_read_binary_file('pg_replslot/' || ?::name || '/state')"
                                + " FROM pg_replication_slots WHERE slot_name = ?::name AND slot_type = 'logical' AND NOT pg_is_in_recovery()")) {
            ps.setString(1, name);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next())
                    throw new PostgresException(
                            "slot " + name + " is not a logical slot on the primary " + primary.member());
                state = rs.getBytes(1);
            }
        } catch (SQLException e) {
            throw new PostgresException(
                    "cannot read slot " + name + " from " + primary.member() + ": " + e.getMessage(), e);
        }
        if (state == null || state.length == 0 || state.length > MAX_STATE_FILE_BYTES) {
            throw new PostgresException(
                    "the state file of slot " + name + " on " + primary.member() + " is empty or too large");
        }
        try (GuardedDirectory data = os.directory(Path.of(cfg.dataDir()));
                GuardedDirectory slots = data.sub("pg_replslot")) {
            slots.ensureDirectory(name, 0700);
            try (GuardedDirectory slot = slots.sub(name)) {
                slot.write("state", state);
            }
        }
    }

    private void run(String database, String sql, String what, String... args) throws PostgresException {
        try (Connection c = local(database);
                PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) ps.setString(i + 1, args[i]);
            ps.execute();
        } catch (SQLException e) {
            throw new PostgresException("cannot " + what + ": " + e.getMessage(), e);
        }
    }
}
