package io.pgha.logical;

import io.pgha.core.model.Lsn;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import java.sql.Connection;
import java.sql.PreparedStatement;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL side of the replication sets: reads every node's catalog, plans with {@link SetPlanner},
 * carries out plans, waits for copies, and copies sequences. Progress goes to a consumer, one line
 * at a time, for people.
 */
public final class SetOperations {
    private static final Logger LOG = LoggerFactory.getLogger(SetOperations.class);

    private final SetsConfig doc;
    private final SetServers servers;
    private final Consumer<String> progress;

    public SetOperations(SetsConfig doc, SetServers servers, Consumer<String> progress) {
        this.doc = doc;
        this.servers = servers;
        this.progress = progress;
    }

    public SetsConfig doc() {
        return doc;
    }

    /** The schemas any set names (through a table or as a whole). */
    private Set<String> schemas() {
        Set<String> out = new LinkedHashSet<>();
        for (ReplicationSet s : doc.sets().values()) {
            s.tables().forEach(t -> out.add(t.schema()));
            out.addAll(s.schemas());
        }
        return out;
    }

    /**
     * What every node has, in every database a set lives in: node → database → catalog. A node or
     * database that cannot be reached is left out (the planner says so when a set needs it), with
     * the reason in {@code unreachable}.
     */
    public Map<String, Map<String, Catalog>> catalogs(Map<String, String> unreachable) {
        Set<String> databases = new LinkedHashSet<>();
        doc.sets().values().forEach(s -> databases.add(s.database()));
        Set<String> schemas = schemas();
        Map<String, Map<String, Catalog>> out = new LinkedHashMap<>();
        for (String node : doc.nodes().keySet()) {
            Map<String, Catalog> byDb = new LinkedHashMap<>();
            for (String db : databases) {
                try (Connection c = servers.connect(node, db)) {
                    byDb.put(db, Catalog.read(node, c, schemas));
                } catch (SQLException | RuntimeException e) {
                    if (unreachable != null) unreachable.put(node + "/" + db, message(e));
                }
            }
            out.put(node, byDb);
        }
        return out;
    }

    /** The connection strings subscribers use, for every node that can be resolved now. */
    public Map<String, String> conninfos() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String node : doc.nodes().keySet()) {
            try {
                out.put(node, servers.conninfo(node));
            } catch (RuntimeException e) {
                LOG.debug("node {}: {}", node, e.getMessage());
            }
        }
        return out;
    }

    /** The plan that makes the servers match the document, with unreachable nodes named. */
    public Plan plan() {
        Map<String, String> unreachable = new LinkedHashMap<>();
        Map<String, Map<String, Catalog>> catalogs = catalogs(unreachable);
        Plan p = SetPlanner.plan(doc, catalogs, conninfos());
        if (p.problems().isEmpty()) return p;
        List<String> problems = new ArrayList<>(p.problems());
        unreachable.forEach((where, why) -> problems.add(where + ": " + why));
        return new Plan(List.of(), problems);
    }

    /** Runs {@code plan}'s steps in order; the first failure stops it with the node and statement. */
    public void apply(Plan plan) throws SQLException, InterruptedException {
        if (!plan.problems().isEmpty())
            throw new IllegalStateException("the plan has problems: " + String.join("; ", plan.problems()));
        for (Step s : plan.steps()) {
            progress.accept(s.toString());
            try {
                run(s);
            } catch (SQLException e) {
                throw new SQLException(
                        s.node() + "/" + s.database() + ": " + s.summary() + " failed: " + message(e),
                        e.getSQLState(),
                        e);
            }
        }
    }

    private void run(Step s) throws SQLException, InterruptedException {
        switch (s.kind()) {
            case SQL -> {
                try (Connection c = servers.connect(s.node(), s.database());
                        Statement st = c.createStatement()) {
                    for (String sql : s.sql()) reachingPublisher(st, sql);
                }
            }
            case CREATE_SLOT -> createSlot(s.node(), s.database(), s.object());
            case AWAIT_COPY -> awaitCopied(s.node(), s.database(), s.object());
            case DROP_SUBSCRIPTION -> dropSubscription(s.node(), s.database(), s.object());
            case DROP_SLOT -> dropSlot(s.node(), s.database(), s.object());
        }
    }

    /**
     * Runs {@code sql}; a statement that connects to the publisher (CREATE SUBSCRIPTION, a refresh) is
     * tried again for up to 15 s when that connection fails: a member of a provider cluster may be
     * restarting (to take a copy of a new permanent slot) just as libpq reaches it.
     */
    static void reachingPublisher(Statement st, String sql) throws SQLException, InterruptedException {
        long until = System.nanoTime() + 15_000_000_000L;
        while (true) {
            try {
                st.execute(sql);
                return;
            } catch (SQLException e) {
                boolean publisher = String.valueOf(e.getMessage()).contains("could not connect to the publisher");
                if (!publisher || System.nanoTime() > until) throw e;
                LOG.debug("retrying after: {}", message(e));
                Thread.sleep(500);
            }
        }
    }

    /** Creates a set's slot (pgoutput) on {@code node}; on a pgha cluster, also keeps it as a permanent slot. */
    void createSlot(String node, String database, String slot) throws SQLException {
        try (Connection c = servers.connect(node, database);
                PreparedStatement ps = c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            ps.setString(1, slot);
            ps.execute();
        }
        keep(node, slot, database, true);
    }

    /** On a pgha cluster, keeps (or stops keeping) {@code slot} as a permanent slot; nothing on a plain server. */
    private void keep(String node, String slot, String database, boolean keep) throws SQLException {
        try {
            servers.keepSlot(node, slot, database, keep);
        } catch (SQLException e) {
            throw e;
        } catch (Exception e) {
            throw new SQLException(
                    "node " + node + ": cannot " + (keep ? "keep" : "stop keeping") + " slot " + slot
                            + " in its cluster's config: " + message(e),
                    e);
        }
    }

    /**
     * Drops a subscription and, through it, its slot on the provider. When the provider cannot be
     * reached, the subscription is detached from its slot and dropped, and the slot is left for the
     * next apply to drop (it is reported).
     */
    public void dropSubscription(String node, String database, String sub) throws SQLException, InterruptedException {
        String provider = null;
        try (Connection c = servers.connect(node, database)) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT obj_description(oid, 'pg_subscription') FROM pg_subscription WHERE subname = ?")) {
                ps.setString(1, sub);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) return;
                    String comment = rs.getString(1);
                    int at = comment == null ? -1 : comment.indexOf(" provider ");
                    if (at >= 0)
                        provider = comment.substring(at + " provider ".length()).trim();
                }
            }
            if (provider != null && doc != null && doc.nodes().containsKey(provider))
                keep(provider, sub, database, false);
            // detached from its slot first, DROP SUBSCRIPTION only stops the worker (at once) and never
            // waits on the provider; the slot is dropped there below, once its walsender has gone
            try (Statement st = c.createStatement()) {
                st.execute("ALTER SUBSCRIPTION " + Sql.ident(sub) + " DISABLE");
                st.execute("ALTER SUBSCRIPTION " + Sql.ident(sub) + " SET (slot_name = NONE)");
                st.execute("DROP SUBSCRIPTION " + Sql.ident(sub));
            }
        }
        // the slot may still be there: never leave it to keep WAL, nor for a later subscription to
        // start from an old position
        if (provider == null) return;
        try {
            dropSlot(provider, database, sub);
        } catch (SQLException | RuntimeException e) {
            progress.accept("  slot " + sub + " on " + provider + " is left (" + message(e)
                    + "); the next pgha sets apply drops it");
        }
    }

    /** Drops a set slot (and stops keeping it on a cluster), waiting up to 10 s for its last reader to go. */
    void dropSlot(String node, String database, String slot) throws SQLException, InterruptedException {
        if (doc == null || doc.nodes().containsKey(node)) keep(node, slot, database, false);
        long until = System.nanoTime() + 10_000_000_000L;
        try (Connection c = servers.connect(node, database)) {
            while (true) {
                Integer pid = null;
                boolean exists = false;
                try (PreparedStatement ps =
                        c.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
                    ps.setString(1, slot);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            exists = true;
                            pid = (Integer) rs.getObject(1);
                        }
                    }
                }
                if (!exists) return;
                if (pid == null) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                        ps.setString(1, slot);
                        ps.execute();
                        return;
                    } catch (SQLException e) {
                        if (!"55006".equals(e.getSQLState()) && !"42704".equals(e.getSQLState())) throw e;
                    }
                }
                if (System.nanoTime() > until)
                    throw new SQLException(
                            "slot " + slot + " on " + node + " is still in use by process " + pid
                                    + "; stop its subscriber and run pgha sets apply again",
                            "55006");
                Thread.sleep(50);
            }
        }
    }

    /** Waits until {@code node}'s subscription {@code sub} has copied every table, showing progress. */
    public void awaitCopied(String node, String database, String sub) throws SQLException, InterruptedException {
        awaitCopied(node, database, sub, copyTimeoutMs);
    }

    private long copyTimeoutMs = 3_600_000;

    /** How long {@link #awaitCopied} waits before it gives up and says why (default: an hour). */
    public SetOperations copyTimeout(long ms) {
        copyTimeoutMs = ms;
        return this;
    }

    /**
     * {@link #awaitCopied(String, String, String)} for at most {@code timeoutMs}; on timeout, the
     * error holds the tables' states and the subscriber's last logged replication error.
     */
    public void awaitCopied(String node, String database, String sub, long timeoutMs)
            throws SQLException, InterruptedException {
        long until = System.nanoTime() + timeoutMs * 1_000_000L;
        String last = "";
        while (true) {
            Map<String, Character> states = new LinkedHashMap<>();
            Map<String, Long> copying = new LinkedHashMap<>();
            try (Connection c = servers.connect(node, database)) {
                try (PreparedStatement ps =
                        c.prepareStatement("SELECT n.nspname || '.' || cl.relname, r.srsubstate FROM pg_subscription s"
                                + " JOIN pg_subscription_rel r ON r.srsubid = s.oid JOIN pg_class cl ON cl.oid = r.srrelid"
                                + " JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE s.subname = ? ORDER BY 1")) {
                    ps.setString(1, sub);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next())
                            states.put(rs.getString(1), rs.getString(2).charAt(0));
                    }
                }
                try (Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT p.relid::regclass::text, p.tuples_processed"
                                + " FROM pg_stat_progress_copy p WHERE p.datname = current_database()"
                                + " AND p.command = 'COPY FROM'")) {
                    while (rs.next()) copying.put(rs.getString(1), rs.getLong(2));
                }
            }
            long ready = states.values().stream()
                    .filter(ch -> ch == 'r' || ch == 's')
                    .count();
            StringBuilder line = new StringBuilder("  ")
                    .append(node)
                    .append(": ")
                    .append(ready)
                    .append('/')
                    .append(states.size())
                    .append(" tables copied");
            copying.forEach((t, rows) -> line.append("; copying ")
                    .append(t)
                    .append(": ")
                    .append(rows)
                    .append(" rows"));
            if (!line.toString().equals(last)) {
                progress.accept(line.toString());
                last = line.toString();
            }
            if (ready == states.size()) return;
            if (System.nanoTime() > until) {
                String why;
                try (Connection c = servers.connect(node, database);
                        PreparedStatement ps =
                                c.prepareStatement("SELECT oid FROM pg_subscription WHERE subname = ?")) {
                    ps.setString(1, sub);
                    try (ResultSet rs = ps.executeQuery()) {
                        why = rs.next()
                                ? SetStatus.lastError(c, rs.getLong(1), setOf(sub, node), node)
                                : "the subscription is gone";
                    }
                }
                throw new SQLException(
                        node + " has not copied every table of " + sub + " within " + timeoutMs / 1000 + " s (" + states
                                + "): " + why,
                        "57014");
            }
            Thread.sleep(200);
        }
    }

    /** The node whose subscription (or slot) {@code sub} is: pghaset_SET_NODE, where node names may hold '_'. */
    private String subscriberOf(String sub) {
        String node = sub.substring(sub.lastIndexOf('_') + 1);
        if (doc != null) for (String n : doc.nodes().keySet()) if (sub.endsWith("_" + n)) node = n;
        return node;
    }

    /**
     * Waits until the slot {@code sub} on {@code provider} has confirmed {@code target}: the
     * subscriber has applied and flushed everything the provider had written at that position. On
     * timeout the error carries the subscriber's last logged replication error.
     *
     * <p>A subscription commits what it applies asynchronously and reports its flushed position only
     * when its provider sends something (or after its one-second nap), so an idle provider would make
     * the wait last up to a second after everything has been applied. Every 100 ms the wait nudges
     * both: a transaction on the subscriber that writes a logical message (ignored by pgoutput) and
     * so commits synchronously flushes what it applied; then one on the provider wakes its
     * walsender, whose keepalive makes the subscriber report. (An xid alone is no use: a
     * transaction that wrote no WAL before its commit record commits asynchronously.)
     */
    public void awaitConfirmed(String provider, String database, String sub, Lsn target, long timeoutMs)
            throws SQLException, InterruptedException {
        long until = System.nanoTime() + timeoutMs * 1_000_000L;
        String node = subscriberOf(sub);
        Lsn at = null;
        Connection subscriber = null;
        boolean nudging = true;
        try (Connection c = servers.connect(provider, database);
                PreparedStatement ps = c.prepareStatement(
                        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, sub);
            long nextNudge = 0;
            while (System.nanoTime() <= until) {
                at = null;
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getString(1) != null) at = Lsn.parse(rs.getString(1));
                }
                if (at != null && at.compareTo(target) >= 0) return;
                if (nudging && System.nanoTime() >= nextNudge) {
                    try {
                        if (subscriber == null) subscriber = servers.connect(node, database);
                        try (Statement st = subscriber.createStatement()) {
                            st.execute("SELECT pg_logical_emit_message(true, 'pgha', 'flush')");
                        }
                        try (Statement st = c.createStatement()) {
                            st.execute("SELECT pg_logical_emit_message(true, 'pgha', 'confirm')");
                        }
                    } catch (SQLException | RuntimeException e) {
                        nudging = false; // only a shortcut: the wait goes on without it
                    }
                    nextNudge = System.nanoTime() + 100_000_000L;
                }
                Thread.sleep(20);
            }
        } finally {
            if (subscriber != null) subscriber.close();
        }
        String why = "";
        try (Connection c = servers.connect(node, database);
                PreparedStatement ps = c.prepareStatement("SELECT oid FROM pg_subscription WHERE subname = ?")) {
            ps.setString(1, sub);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) why = "; " + node + ": " + SetStatus.lastError(c, rs.getLong(1), setOf(sub, node), node);
            }
        } catch (SQLException | RuntimeException e) {
            why = "; " + node + " cannot be reached: " + message(e);
        }
        throw new SQLException(
                "the subscriber of slot " + sub + " on " + provider + " has not confirmed " + target + " within "
                        + timeoutMs + " ms (it is at " + at + ")" + why,
                "57014");
    }

    /**
     * Empties {@code node}'s copy of the set's tables (for a resync) in one transaction that also
     * puts the write protection on them, so that nothing is written there before the copy.
     */
    public void truncate(ReplicationSet s, String node) throws SQLException {
        Set<String> schemas = new LinkedHashSet<>(s.schemas());
        s.tables().forEach(t -> schemas.add(t.schema()));
        try (Connection c = servers.connect(node, s.database())) {
            Catalog cat = Catalog.read(node, c, schemas);
            List<String> names = new ArrayList<>();
            for (String t : SetPlanner.expand(s, cat, new ArrayList<>()).keySet())
                if (cat.tables().containsKey(t)) names.add(t);
            if (names.isEmpty()) return;
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                // the protection comes off for the TRUNCATE and is back before anyone else can write
                if (s.protect()) st.execute(SetPlanner.DENY_FUNCTION);
                for (String t : names)
                    st.execute("DROP TRIGGER IF EXISTS " + Sql.ident(Names.DENY_TRIGGER) + " ON " + Sql.table(t));
                List<String> quoted = new ArrayList<>();
                names.forEach(t -> quoted.add(Sql.table(t)));
                st.execute("TRUNCATE " + String.join(", ", quoted));
                if (s.protect()) for (String t : names) st.execute(SetPlanner.denyTrigger(t, s.name()));
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** The WAL write position of {@code node}'s primary. */
    public Lsn currentLsn(String node, String database) throws SQLException {
        try (Connection c = servers.connect(node, database);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        }
    }

    /** The set a subscription belongs to, from its name ({@code pghaset_SET_NODE}). */
    static String setOf(String sub, String node) {
        return sub.substring(Names.PREFIX.length(), Math.max(Names.PREFIX.length(), sub.length() - node.length() - 1));
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null) return e.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
