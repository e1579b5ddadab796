package io.pgha.logical;

import io.pgha.core.model.Lsn;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import io.pgha.core.sets.SetsConfig.TableSpec;
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
 * {@code pgha sets verify}: compares every table of a set on the origin and on each subscriber, at
 * one consistent point even under a write load. The origin's tables are locked against writes
 * (SHARE) just long enough for the subscribers to confirm its WAL position and for every node to
 * take its snapshot; the comparison then runs on those snapshots while writes go on. Rows are
 * streamed in primary-key order (a cursor, batches of 10,000) and compared by an MD5 of each row,
 * so big tables do not need big memory.
 */
public final class SetVerify {
    private SetVerify() {}

    /** One table on one subscriber against the origin. */
    public record TableResult(String table, String node, long originRows, long rows, long differing, String firstKey) {
        public boolean matches() {
            return differing == 0 && originRows == rows;
        }
    }

    /**
     * @param blockedMs how long the origin's writes waited for the consistent point
     */
    public record Result(List<TableResult> tables, long blockedMs) {
        public boolean matches() {
            return tables.stream().allMatch(TableResult::matches);
        }
    }

    public static Result verify(ReplicationSet s, SetServers servers, Consumer<String> progress, long timeoutMs)
            throws SQLException, InterruptedException {
        String db = s.database();
        Set<String> schemas = new LinkedHashSet<>(s.schemas());
        s.tables().forEach(t -> schemas.add(t.schema()));
        List<Connection> open = new ArrayList<>();
        Map<String, Connection> snapshots = new LinkedHashMap<>();
        long blocked;
        try {
            Connection lock = servers.connect(s.origin(), db);
            open.add(lock);
            Catalog origin = Catalog.read(s.origin(), lock, schemas);
            Map<String, TableSpec> tables = SetPlanner.expand(s, origin, new ArrayList<>());
            lock.setAutoCommit(false);
            String snapshot;
            Lsn at;
            long start = System.nanoTime();
            try (Statement st = lock.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                st.execute("SET LOCAL lock_timeout = '10s'");
                if (!tables.isEmpty()) {
                    List<String> names = new ArrayList<>();
                    tables.keySet().forEach(t -> names.add(Sql.table(t)));
                    st.execute("LOCK TABLE " + String.join(", ", names) + " IN SHARE MODE");
                }
                try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text, pg_export_snapshot()")) {
                    rs.next();
                    at = Lsn.parse(rs.getString(1));
                    snapshot = rs.getString(2);
                }
            }
            SetOperations ops = new SetOperations(null, servers, progress);
            Map<String, Lsn> positions = new LinkedHashMap<>();
            positions.put(s.origin(), at);
            for (String n : SetPlanner.providersFirst(s)) {
                String provider = s.providerOf(n);
                ops.awaitConfirmed(provider, db, Names.subscription(s.name(), n), positions.get(provider), timeoutMs);
                Connection c = servers.connect(n, db);
                open.add(c);
                begin(c);
                positions.put(n, ops.currentLsn(n, db));
                snapshots.put(n, c);
            }
            Connection o = servers.connect(s.origin(), db);
            open.add(o);
            o.setAutoCommit(false);
            try (Statement st = o.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
                st.execute("SET TRANSACTION SNAPSHOT '" + snapshot + "'");
                settings(st);
            }
            lock.commit();
            blocked = (System.nanoTime() - start) / 1_000_000;
            progress.accept("  consistent point " + at + " (writes to the set waited " + blocked + " ms)");
            List<TableResult> results = new ArrayList<>();
            for (TableSpec t : tables.values()) {
                Catalog.Table ot = origin.tables().get(t.qualified());
                List<String> cols = t.columns().isEmpty() ? ot.columns() : t.columns();
                List<String> key = keyColumns(lock, t.qualified(), cols);
                String originQuery = query(t, cols, key, true);
                String subQuery = query(t, cols, key, false);
                for (Map.Entry<String, Connection> e : snapshots.entrySet()) {
                    TableResult r = compare(o, originQuery, e.getValue(), subQuery, t.qualified(), e.getKey());
                    progress.accept("  " + t.qualified() + " on " + e.getKey() + ": " + r.rows() + " rows"
                            + (r.matches()
                                    ? ", same as the origin"
                                    : ", the origin has " + r.originRows() + "; " + r.differing() + " differ"
                                            + (r.firstKey() == null ? "" : " (first at key " + r.firstKey() + ")")));
                    results.add(r);
                }
            }
            return new Result(results, blocked);
        } finally {
            for (Connection c : open) {
                try {
                    if (!c.getAutoCommit()) c.rollback();
                    c.close();
                } catch (SQLException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private static void begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            settings(st);
            st.execute("SELECT 1");
        }
    }

    /** The same text for the same values on every node. */
    private static void settings(Statement st) throws SQLException {
        st.execute("SET LOCAL TIME ZONE 'UTC'");
        st.execute("SET LOCAL DateStyle = 'ISO, YMD'");
        st.execute("SET LOCAL IntervalStyle = 'postgres'");
        st.execute("SET LOCAL extra_float_digits = 1");
        st.execute("SET LOCAL bytea_output = 'hex'");
    }

    /** The primary key's columns (or the replica identity index's), else every compared column. */
    private static List<String> keyColumns(Connection c, String table, List<String> cols) throws SQLException {
        List<String> key = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT a.attname FROM pg_index i"
                        + " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n) ON true"
                        + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                        + " WHERE i.indrelid = " + Sql.literal(Sql.table(table)) + "::regclass"
                        + " AND (i.indisprimary OR i.indisreplident) ORDER BY i.indisprimary DESC, k.n")) {
            while (rs.next()) if (!key.contains(rs.getString(1))) key.add(rs.getString(1));
        }
        return key.isEmpty() ? cols : key;
    }

    /**
     * The key as text and an MD5 of the row, in the order of the key's text under the "C" collation:
     * the same order on every node whatever its collations, and the order Java's string comparison
     * follows, so the two streams merge.
     */
    private static String query(TableSpec t, List<String> cols, List<String> key, boolean origin) {
        List<String> keyText = new ArrayList<>();
        for (String k : key) keyText.add(Sql.ident(k) + "::text");
        return "SELECT concat_ws(E'\\x1f', " + String.join(", ", keyText) + ") COLLATE \"C\" AS k, md5(ROW("
                + Sql.idents(cols) + ")::text) FROM " + Sql.table(t.qualified())
                + (origin && t.where() != null ? " WHERE (" + t.where() + ")" : "")
                + " ORDER BY 1";
    }

    private static TableResult compare(Connection o, String oq, Connection n, String nq, String table, String node)
            throws SQLException {
        long originRows = 0;
        long rows = 0;
        long differing = 0;
        String first = null;
        try (Statement a = o.createStatement();
                Statement b = n.createStatement()) {
            a.setFetchSize(10_000);
            b.setFetchSize(10_000);
            try (ResultSet ra = a.executeQuery(oq);
                    ResultSet rb = b.executeQuery(nq)) {
                boolean ha = ra.next();
                boolean hb = rb.next();
                while (ha || hb) {
                    if (ha && hb && ra.getString(1).equals(rb.getString(1))) {
                        originRows++;
                        rows++;
                        if (!ra.getString(2).equals(rb.getString(2))) {
                            differing++;
                            if (first == null) first = ra.getString(1).replace('\u001f', ',');
                        }
                        ha = ra.next();
                        hb = rb.next();
                        continue;
                    }
                    // a key on one side only
                    differing++;
                    int cmp = !hb ? -1 : !ha ? 1 : ra.getString(1).compareTo(rb.getString(1));
                    if (first == null) first = (cmp < 0 ? ra : rb).getString(1).replace('\u001f', ',');
                    if (cmp < 0) {
                        originRows++;
                        ha = ra.next();
                    } else {
                        rows++;
                        hb = rb.next();
                    }
                }
            }
        }
        return new TableResult(table, node, originRows, rows, differing, first);
    }
}
