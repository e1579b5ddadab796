package io.pgha.logical;

import io.pgha.core.model.Lsn;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.Journal;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import io.pgha.core.sets.SetsConfig.Subscriber;
import io.pgha.core.sets.SetsConfig.TableSpec;
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

/**
 * {@code pgha sets failover}: the origin is lost, and a subscriber takes its place. The subscriber
 * that applied the most of the origin's WAL (or the one named) becomes the origin. Another direct
 * subscriber that applied exactly as much is re-pointed to it with a slot made before the new
 * origin accepts writes, so that it loses and repeats nothing; one that applied less cannot be
 * re-pointed safely (it would miss what the new origin has and it lacks) and is left out of the
 * set, with the command that copies it again. The report says how much of the origin's WAL may be
 * lost: its last known position against the new origin's.
 */
public final class SetFailover {
    private SetFailover() {}

    /**
     * @param applied each direct subscriber's applied position in the origin's WAL (null: unknown)
     * @param resync subscribers left out, to be copied again (pgha sets resync)
     * @param lostBytes the origin's last known position minus the new origin's (null: unknown)
     */
    public record Outcome(
            String from,
            String to,
            Map<String, Lsn> applied,
            List<String> repointed,
            List<String> resync,
            Lsn originLastKnown,
            Long lostBytes) {}

    /** A subscriber's applied position in its provider's WAL (the replication origin's progress). */
    static Lsn applied(SetServers servers, String node, String db, String sub) throws SQLException {
        try (Connection c = servers.connect(node, db);
                PreparedStatement ps =
                        c.prepareStatement("SELECT pg_replication_origin_progress('pg_' || s.oid, true)::text"
                                + " FROM pg_subscription s WHERE s.subname = ?")) {
            ps.setString(1, sub);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || rs.getString(1) == null) return Lsn.ZERO;
                return Lsn.parse(rs.getString(1));
            }
        }
    }

    public static Outcome failover(
            SetsConfig doc,
            String name,
            String to,
            SetServers servers,
            SetMove.Store store,
            Lsn originLastKnown,
            boolean force,
            Consumer<String> progress)
            throws Exception {
        ReplicationSet s = doc.requireSet(name);
        if (doc.journal().containsKey(name))
            throw new IllegalStateException(
                    "set " + name + " has a " + doc.journal().get(name).kind() + " in progress; finish it first");
        String from = s.origin();
        String db = s.database();
        boolean originAnswers;
        try (Connection c = servers.connect(from, db)) {
            originAnswers = true;
        } catch (SQLException | RuntimeException unreachable) {
            originAnswers = false;
            progress.accept("origin " + from + " cannot be reached: " + SetOperations.message(unreachable));
        }
        if (originAnswers && !force)
            throw new IllegalStateException("the origin " + from + " answers: use pgha sets move " + name
                    + " --to NODE, which loses nothing (or --force if " + from + " must be abandoned anyway)");
        List<String> direct = SetMove.directSubscribers(s);
        Map<String, Lsn> applied = new LinkedHashMap<>();
        for (String n : direct) {
            try {
                applied.put(n, applied(servers, n, db, Names.subscription(name, n)));
            } catch (SQLException | RuntimeException e) {
                progress.accept("  " + n + " cannot be reached: " + SetOperations.message(e));
                applied.put(n, null);
            }
        }
        applied.forEach((n, lsn) -> progress.accept("  " + n + " applied the origin's WAL up to " + lsn));
        if (to == null) {
            for (Map.Entry<String, Lsn> e : applied.entrySet())
                if (e.getValue() != null && (to == null || e.getValue().compareTo(applied.get(to)) > 0))
                    to = e.getKey();
            if (to == null) throw new IllegalStateException("no subscriber of the origin can be reached");
        } else if (!applied.containsKey(to)) {
            throw new IllegalArgumentException(to + " does not subscribe to set " + name + " from its origin " + from
                    + " (direct subscribers: " + String.join(", ", direct) + ")");
        } else if (applied.get(to) == null) {
            throw new IllegalStateException(to + " cannot be reached");
        }
        Lsn best = applied.get(to);
        store.journal(
                name,
                new Journal(
                        "failover",
                        from,
                        to,
                        "promote",
                        false,
                        System.currentTimeMillis(),
                        Map.of("applied", best.toString())));
        progress.accept("promoting " + to + " (applied up to " + best + ")");
        // the new set: the origin is gone; subscribers that applied as much follow the new origin
        List<String> repointed = new ArrayList<>();
        List<String> resync = new ArrayList<>();
        Map<String, Subscriber> subs = new LinkedHashMap<>();
        for (Subscriber sub : s.subscribers().values()) {
            if (sub.node().equals(to)) continue;
            if (sub.provider() == null) {
                Lsn a = applied.get(sub.node());
                if (a != null && a.equals(best)) {
                    repointed.add(sub.node());
                    subs.put(sub.node(), new Subscriber(sub.node(), null));
                } else {
                    resync.add(sub.node());
                }
            } else {
                subs.put(sub.node(), new Subscriber(sub.node(), sub.provider().equals(to) ? null : sub.provider()));
            }
        }
        // those cascading from a subscriber that is left out go with it
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Subscriber sub : new ArrayList<>(subs.values())) {
                if (sub.provider() != null && !subs.containsKey(sub.provider())) {
                    subs.remove(sub.node());
                    resync.add(sub.node());
                    changed = true;
                }
            }
        }
        ReplicationSet after = s.withOrigin(to, subs);
        Set<String> schemas = new LinkedHashSet<>(s.schemas());
        s.tables().forEach(t -> schemas.add(t.schema()));
        Catalog n;
        try (Connection c = servers.connect(to, db)) {
            n = Catalog.read(to, c, schemas);
        }
        Map<String, TableSpec> tables = SetPlanner.expand(after, n, new ArrayList<>());
        SetOperations ops = new SetOperations(doc, servers, progress);
        // the new origin stops subscribing to the lost one
        ops.dropSubscription(to, db, Names.subscription(name, to));
        Step pub = SetPlanner.publication(after, n, tables);
        if (pub != null) ops.apply(new Plan(List.of(pub), List.of()));
        for (String f : repointed) {
            String slot = Names.subscription(name, f);
            // a slot of that name on the new origin is stale (f streamed from the lost origin)
            if (n.slots().containsKey(slot)) ops.dropSlot(to, db, slot);
            ops.createSlot(to, db, slot);
        }
        String conn = servers.conninfo(to) + " dbname=" + db;
        for (String f : repointed) {
            String sub = Names.subscription(name, f);
            ops.dropSubscription(f, db, sub);
            ops.apply(new Plan(List.of(SetPlanner.subscribe(name, f, to, db, conn, false)), List.of()));
        }
        for (String f : resync) {
            if (s.subscribers().get(f).provider() == null) {
                try {
                    ops.dropSubscription(f, db, Names.subscription(name, f));
                } catch (SQLException | RuntimeException e) {
                    progress.accept("  " + f + ": " + SetOperations.message(e));
                }
            }
        }
        // the sequences on the new origin: never below what its tables already hold
        try (Connection c = servers.connect(to, db);
                Statement st = c.createStatement()) {
            for (String line : ownedSequenceFloor(c, n, tables.keySet())) progress.accept("  " + line);
        }
        SequenceSync.sync(after, servers, to, new ArrayList<>(repointed));
        store.finish(after, new Journal("failover", from, to, "open", false, System.currentTimeMillis(), Map.of()));
        new SetMove(doc, servers, store, progress, 0).deny(to, db, name, tables.keySet(), false);
        if (originAnswers) {
            progress.accept("the old origin " + from + " answers: it refuses writes to the set from now on");
            try {
                new SetMove(doc, servers, store, progress, 0).deny(from, db, name, tables.keySet(), true);
            } catch (SQLException | RuntimeException e) {
                progress.accept("  could not protect " + from + ": " + SetOperations.message(e));
            }
        }
        store.journal(name, null);
        Long lost = originLastKnown == null ? null : Math.max(0, originLastKnown.minus(best));
        return new Outcome(from, to, applied, repointed, resync, originLastKnown, lost);
    }

    /** Raises each sequence a set table owns to at least the largest value in its column. */
    static List<String> ownedSequenceFloor(Connection c, Catalog n, Set<String> tables) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT sn.nspname || '.' || s.relname, tn.nspname || '.' || t.relname,"
                        + " a.attname, q.increment_by FROM pg_depend d"
                        + " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                        + " JOIN pg_namespace sn ON sn.oid = s.relnamespace"
                        + " JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace"
                        + " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
                        + " JOIN pg_sequences q ON q.schemaname = sn.nspname AND q.sequencename = s.relname"
                        + " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
                        + " AND d.deptype IN ('a', 'i')")) {
            List<String[]> owned = new ArrayList<>();
            while (rs.next())
                if (tables.contains(rs.getString(2)) && rs.getLong(4) > 0)
                    owned.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
            for (String[] o : owned) {
                try (Statement u = c.createStatement();
                        ResultSet r = u.executeQuery("SELECT setval(" + Sql.literal(Sql.table(o[0])) + "::regclass,"
                                + " greatest((SELECT last_value FROM " + Sql.table(o[0]) + "),"
                                + " (SELECT coalesce(max(" + Sql.ident(o[2]) + "), 1) FROM " + Sql.table(o[1])
                                + ")))")) {
                    r.next();
                    out.add(o[0] + " starts after " + r.getLong(1));
                }
            }
        }
        return out;
    }
}
