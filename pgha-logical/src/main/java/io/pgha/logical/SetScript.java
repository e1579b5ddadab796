package io.pgha.logical;

import io.pgha.core.model.Lsn;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code pgha sets execute-script}: Slony-I's EXECUTE SCRIPT. The script runs on the origin and on
 * every subscriber, each in one transaction; only when it has run everywhere are the transactions
 * committed, in the order the mode gives, so that replication never meets a table or column it
 * lacks:
 *
 * <ul>
 *   <li>{@code add} (new columns, new tables): subscribers first, then the origin;
 *   <li>{@code remove} (dropped columns or tables): the origin first, then the subscribers;
 *   <li>{@code at-once}: writes to the set's tables on the origin wait, every subscriber catches up
 *       to that point, the script runs everywhere, and all commit together.
 * </ul>
 *
 * A failure anywhere rolls back every node, and the error names the node and the statement.
 */
public final class SetScript {
    /** The order in which the nodes commit. */
    public enum Mode {
        ADD,
        REMOVE,
        AT_ONCE;

        public static Mode parse(String s) {
            return switch (s) {
                case "add" -> ADD;
                case "remove" -> REMOVE;
                case "at-once" -> AT_ONCE;
                default -> throw new IllegalArgumentException("--mode: '" + s + "' is not one of add, remove, at-once");
            };
        }
    }

    /** A failure: the node, the statement (1-based) and PostgreSQL's message. */
    public static final class ScriptFailed extends Exception {
        public ScriptFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** @param blockedMs at-once only: how long writes to the set's tables waited */
    public record Outcome(List<String> committed, long blockedMs) {}

    private SetScript() {}

    public static Outcome run(
            ReplicationSet s, SetServers servers, String script, Mode mode, Consumer<String> progress, long timeoutMs)
            throws ScriptFailed, SQLException, InterruptedException {
        List<String> statements = SqlScript.split(script);
        if (statements.isEmpty()) throw new IllegalArgumentException("the script holds no statement");
        String db = s.database();
        // leaves first: a subscriber commits before the node it replicates from
        List<String> subscribers = new ArrayList<>(SetPlanner.providersFirst(s));
        java.util.Collections.reverse(subscribers);
        List<String> order = new ArrayList<>();
        if (mode == Mode.REMOVE) {
            order.add(s.origin());
            order.addAll(SetPlanner.providersFirst(s));
        } else {
            order.addAll(subscribers);
            order.add(s.origin());
        }
        Map<String, Connection> open = new LinkedHashMap<>();
        long start = System.nanoTime();
        long blocked = 0;
        try {
            for (String node : order) open.put(node, begin(servers.connect(node, db)));
            if (mode == Mode.AT_ONCE) {
                Connection o = open.get(s.origin());
                Set<String> tables = new LinkedHashSet<>();
                Set<String> schemas = new LinkedHashSet<>(s.schemas());
                s.tables().forEach(t -> schemas.add(t.schema()));
                tables.addAll(SetPlanner.expand(s, Catalog.read(s.origin(), o, schemas), new ArrayList<>())
                        .keySet());
                List<String> names = new ArrayList<>();
                tables.forEach(t -> names.add(Sql.table(t)));
                Lsn at;
                try (Statement st = o.createStatement()) {
                    for (String sql : Sql.BRIEF_LOCK_WAIT) st.execute(sql);
                    st.execute("LOCK TABLE " + String.join(", ", names) + " IN SHARE ROW EXCLUSIVE MODE");
                    try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                        rs.next();
                        at = Lsn.parse(rs.getString(1));
                    }
                }
                progress.accept("writes to set " + s.name() + " wait from " + at + "; the subscribers catch up");
                SetOperations ops = new SetOperations(null, servers, progress);
                Map<String, Lsn> positions = new LinkedHashMap<>();
                positions.put(s.origin(), at);
                for (String n : SetPlanner.providersFirst(s)) {
                    String provider = s.providerOf(n);
                    ops.awaitConfirmed(
                            provider, db, Names.subscription(s.name(), n), positions.get(provider), timeoutMs);
                    positions.put(n, ops.currentLsn(n, db));
                }
            }
            for (Map.Entry<String, Connection> e : open.entrySet()) {
                progress.accept("running the script on " + e.getKey() + " (" + statements.size() + " statement"
                        + (statements.size() == 1 ? "" : "s") + ")");
                try (Statement st = e.getValue().createStatement()) {
                    for (int i = 0; i < statements.size(); i++) {
                        try {
                            st.execute(statements.get(i));
                        } catch (SQLException ex) {
                            throw new ScriptFailed(
                                    "statement " + (i + 1) + " failed on " + e.getKey() + ": "
                                            + SetOperations.message(ex) + "\n  " + abbreviate(statements.get(i))
                                            + "\nNothing was changed on any node.",
                                    ex);
                        }
                    }
                }
            }
            List<String> committed = new ArrayList<>();
            for (Map.Entry<String, Connection> e : open.entrySet()) {
                try {
                    e.getValue().commit();
                } catch (SQLException ex) {
                    throw new SQLException(
                            "the commit on " + e.getKey() + " failed (" + SetOperations.message(ex)
                                    + ") after the script was committed on "
                                    + (committed.isEmpty() ? "no node" : String.join(", ", committed))
                                    + ": run the script on the remaining nodes by hand",
                            ex.getSQLState(),
                            ex);
                }
                committed.add(e.getKey());
                progress.accept("committed on " + e.getKey());
            }
            if (mode == Mode.AT_ONCE) blocked = (System.nanoTime() - start) / 1_000_000;
            return new Outcome(committed, blocked);
        } finally {
            for (Connection c : open.values()) {
                try {
                    if (!c.getAutoCommit()) c.rollback();
                    c.close();
                } catch (SQLException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private static Connection begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        return c;
    }

    private static String abbreviate(String sql) {
        String one = sql.replaceAll("\\s+", " ");
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }
}
