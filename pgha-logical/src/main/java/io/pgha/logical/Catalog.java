package io.pgha.logical;

import io.pgha.core.model.Lsn;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one server has, in one database, that a set cares about: pgha's publications and
 * subscriptions there, pgha's slots on the server, and the tables of the schemas the set names.
 *
 * @param inRecovery the server is a standby (a set's node is always reached at its primary)
 * @param currentLsn the server's WAL write position (null in recovery)
 * @param ownedSequences sequence name to the table that owns it (serial and identity columns)
 */
public record Catalog(
        String node,
        String database,
        int versionNum,
        String walLevel,
        boolean inRecovery,
        Lsn currentLsn,
        Map<String, Publication> publications,
        Map<String, Subscription> subscriptions,
        Map<String, Slot> slots,
        Map<String, Table> tables,
        Map<String, String> ownedSequences) {

    /** A publication: its explicit tables and schemas, every table it publishes, and pgha's comment. */
    public record Publication(
            String name, Set<String> tables, Set<String> schemas, Set<String> published, String comment) {}

    /**
     * A subscription.
     *
     * @param relations each subscribed table with its state (i init, d copying, f finished copy, s
     *     synchronized, r ready)
     * @param workerPid the apply worker's process, or 0 when none runs
     */
    public record Subscription(
            String name,
            String conninfo,
            boolean enabled,
            String slot,
            List<String> publications,
            String comment,
            Map<String, Character> relations,
            int workerPid,
            Lsn latestEndLsn) {
        public boolean ready() {
            return relations.values().stream().allMatch(c -> c == 'r' || c == 's');
        }
    }

    /** A replication slot. */
    public record Slot(String name, String plugin, String database, boolean active, Lsn confirmedFlush, Lsn restart) {}

    /**
     * A table: columns in order with their types as format_type writes them, and its replica identity.
     *
     * @param identity relreplident: d (primary key), f (full), i (index), n (nothing)
     */
    public record Table(
            String name,
            List<String> columns,
            List<String> types,
            char identity,
            boolean primaryKey,
            boolean identityIndex,
            boolean denyTrigger) {
        /** Whether updates and deletes can be replicated: a primary key, a replica identity index, or FULL. */
        public boolean replicable() {
            return identity == 'f' || (identity == 'd' && primaryKey) || (identity == 'i' && identityIndex);
        }

        public String type(String column) {
            int i = columns.indexOf(column);
            return i < 0 ? null : types.get(i);
        }
    }

    /** Reads what {@code c} (connected to the set's database) has, for tables in {@code schemas}. */
    public static Catalog read(String node, Connection c, Collection<String> schemas) throws SQLException {
        String database;
        int version;
        String walLevel;
        boolean recovery;
        Lsn lsn = null;
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_database(), current_setting('server_version_num')::int,"
                        + " current_setting('wal_level'), pg_is_in_recovery(),"
                        + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END")) {
            rs.next();
            database = rs.getString(1);
            version = rs.getInt(2);
            walLevel = rs.getString(3);
            recovery = rs.getBoolean(4);
            if (rs.getString(5) != null) lsn = Lsn.parse(rs.getString(5));
        }
        Map<String, Publication> pubs = new LinkedHashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT p.pubname, obj_description(p.oid, 'pg_publication'),"
                        + " ARRAY(SELECT n.nspname || '.' || cl.relname FROM pg_publication_rel r"
                        + "   JOIN pg_class cl ON cl.oid = r.prrelid JOIN pg_namespace n ON n.oid = cl.relnamespace"
                        + "   WHERE r.prpubid = p.oid ORDER BY 1),"
                        + " ARRAY(SELECT n.nspname FROM pg_publication_namespace pn"
                        + "   JOIN pg_namespace n ON n.oid = pn.pnnspid WHERE pn.pnpubid = p.oid ORDER BY 1),"
                        + " ARRAY(SELECT t.schemaname || '.' || t.tablename FROM pg_publication_tables t"
                        + "   WHERE t.pubname = p.pubname ORDER BY 1)"
                        + " FROM pg_publication p WHERE p.pubname LIKE 'pghaset\\_%' ORDER BY 1")) {
            while (rs.next()) {
                pubs.put(
                        rs.getString(1),
                        new Publication(
                                rs.getString(1),
                                set(rs.getArray(3)),
                                set(rs.getArray(4)),
                                set(rs.getArray(5)),
                                rs.getString(2)));
            }
        }
        Map<String, Subscription> subs = new LinkedHashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT s.subname, s.subconninfo, s.subenabled, s.subslotname,"
                        + " s.subpublications, obj_description(s.oid, 'pg_subscription'),"
                        + " ARRAY(SELECT n.nspname || '.' || cl.relname || ':' || r.srsubstate::text"
                        + "   FROM pg_subscription_rel r JOIN pg_class cl ON cl.oid = r.srrelid"
                        + "   JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE r.srsubid = s.oid ORDER BY 1),"
                        + " (SELECT coalesce(max(w.pid), 0) FROM pg_stat_subscription w"
                        + "   WHERE w.subid = s.oid AND w.relid IS NULL),"
                        + " (SELECT max(w.latest_end_lsn)::text FROM pg_stat_subscription w"
                        + "   WHERE w.subid = s.oid AND w.relid IS NULL)"
                        + " FROM pg_subscription s"
                        + " WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                        + " AND s.subname LIKE 'pghaset\\_%' ORDER BY 1")) {
            while (rs.next()) {
                Map<String, Character> rels = new LinkedHashMap<>();
                for (String r : set(rs.getArray(7))) {
                    int colon = r.lastIndexOf(':');
                    rels.put(r.substring(0, colon), r.charAt(colon + 1));
                }
                subs.put(
                        rs.getString(1),
                        new Subscription(
                                rs.getString(1),
                                rs.getString(2),
                                rs.getBoolean(3),
                                rs.getString(4),
                                List.copyOf(set(rs.getArray(5))),
                                rs.getString(6),
                                rels,
                                rs.getInt(8),
                                rs.getString(9) == null ? null : Lsn.parse(rs.getString(9))));
            }
        }
        Map<String, Slot> slots = slots(c);
        Map<String, Table> tables = new LinkedHashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname || '.' || cl.relname, cl.relreplident,"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary),"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisreplident),"
                + " EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = cl.oid AND t.tgname = '"
                + Names.DENY_TRIGGER + "'),"
                + " ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = cl.oid AND a.attnum > 0"
                + "   AND NOT a.attisdropped ORDER BY a.attnum),"
                + " ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
                + "   WHERE a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)"
                + " FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace"
                + " WHERE cl.relkind IN ('r', 'p') AND n.nspname = ANY (?) ORDER BY 1")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.put(
                            rs.getString(1),
                            new Table(
                                    rs.getString(1),
                                    List.copyOf(set(rs.getArray(6))),
                                    List.copyOf(list(rs.getArray(7))),
                                    rs.getString(2).charAt(0),
                                    rs.getBoolean(3),
                                    rs.getBoolean(4),
                                    rs.getBoolean(5)));
                }
            }
        }
        Map<String, String> owned = new LinkedHashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT sn.nspname || '.' || s.relname, tn.nspname || '.' || t.relname"
                        + " FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
                        + " JOIN pg_namespace sn ON sn.oid = s.relnamespace"
                        + " JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace"
                        + " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
                        + " AND d.deptype IN ('a', 'i') ORDER BY 1")) {
            while (rs.next()) owned.put(rs.getString(1), rs.getString(2));
        }
        return new Catalog(node, database, version, walLevel, recovery, lsn, pubs, subs, slots, tables, owned);
    }

    /** pgha's set slots on the server {@code c} is connected to. */
    public static Map<String, Slot> slots(Connection c) throws SQLException {
        Map<String, Slot> slots = new LinkedHashMap<>();
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT slot_name, plugin, database, active,"
                        + " confirmed_flush_lsn::text, restart_lsn::text FROM pg_replication_slots"
                        + " WHERE slot_name LIKE 'pghaset\\_%' AND NOT temporary ORDER BY 1")) {
            while (rs.next()) {
                slots.put(
                        rs.getString(1),
                        new Slot(
                                rs.getString(1),
                                rs.getString(2),
                                rs.getString(3),
                                rs.getBoolean(4),
                                rs.getString(5) == null ? Lsn.ZERO : Lsn.parse(rs.getString(5)),
                                rs.getString(6) == null ? Lsn.ZERO : Lsn.parse(rs.getString(6))));
            }
        }
        return slots;
    }

    private static Set<String> set(Array a) throws SQLException {
        return new LinkedHashSet<>(list(a));
    }

    private static List<String> list(Array a) throws SQLException {
        if (a == null) return List.of();
        Object[] values = (Object[]) a.getArray();
        List<String> out = new ArrayList<>();
        for (Object v : values) out.add(String.valueOf(v));
        return out;
    }

    /** For tests: a catalog with only these parts. */
    static Catalog of(
            String node,
            String database,
            Collection<Publication> pubs,
            Collection<Subscription> subs,
            Collection<Slot> slots,
            Collection<Table> tables) {
        Map<String, Publication> p = new LinkedHashMap<>();
        pubs.forEach(x -> p.put(x.name(), x));
        Map<String, Subscription> s = new LinkedHashMap<>();
        subs.forEach(x -> s.put(x.name(), x));
        Map<String, Slot> sl = new LinkedHashMap<>();
        slots.forEach(x -> sl.put(x.name(), x));
        Map<String, Table> t = new LinkedHashMap<>();
        tables.forEach(x -> t.put(x.name(), x));
        return new Catalog(node, database, 150000, "logical", false, Lsn.ZERO, p, s, sl, t, Map.of());
    }

    static List<String> sorted(Collection<String> c) {
        String[] a = c.toArray(String[]::new);
        Arrays.sort(a);
        return List.of(a);
    }
}
