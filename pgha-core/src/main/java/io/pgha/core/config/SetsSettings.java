package io.pgha.core.config;

import io.pgha.core.net.Conninfo;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.Journal;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import io.pgha.core.sets.SetsConfig.SetNode;
import io.pgha.core.sets.SetsConfig.Subscriber;
import io.pgha.core.sets.SetsConfig.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code replication_sets} document of the dynamic config as people write it (see
 * docs/sets.md), parsed and checked as a whole: an error names the key, and nothing half-valid is
 * kept. {@code replication_sets_journal} is pgha's own record of moves and failovers in progress.
 */
public final class SetsSettings {
    public static final String SETS = "replication_sets";
    public static final String JOURNAL = "replication_sets_journal";

    /** Node and set names: they become parts of slot and subscription names (63 bytes at most). */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,23}");

    private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,62}");
    private static final Set<String> DSN_FORBIDDEN = Set.of("dbname", "password", "replication");

    private SetsSettings() {}

    /** {@code replication_sets:} parsed onto {@code journal}. */
    public static SetsConfig parse(String key, Object v, Map<String, Journal> journal) {
        if (v == null) return new SetsConfig(Map.of(), Map.of(), SetsConfig.DEFAULT_SEQUENCE_SYNC_MS, journal);
        if (!(v instanceof Map<?, ?> m))
            throw new ConfigException(key + ": expected a mapping with nodes, sets and sequence_sync_interval");
        Section s = new Section(key, m);
        long every = s.millis("sequence_sync_interval", SetsConfig.DEFAULT_SEQUENCE_SYNC_MS);
        if (every != 0 && (every < 1000 || every > 86_400_000L))
            throw new ConfigException(s.key("sequence_sync_interval") + ": " + every
                    + "ms is out of range (0 to turn it off, or 1s to 24h)");
        Map<String, SetNode> nodes = new LinkedHashMap<>();
        Section ns = s.section("nodes");
        for (String name : ns.keys()) {
            String k = ns.key(name);
            checkName(k, name, "node");
            nodes.put(name, node(k, name, ns.section(name)));
        }
        Map<String, ReplicationSet> sets = new LinkedHashMap<>();
        Section ss = s.section("sets");
        Map<String, String> tableOwner = new HashMap<>();
        for (String name : ss.keys()) {
            String k = ss.key(name);
            checkName(k, name, "set");
            sets.put(name, set(k, name, ss.section(name), nodes, tableOwner));
        }
        s.rejectUnknown();
        return new SetsConfig(nodes, sets, every, journal);
    }

    private static void checkName(String key, String name, String what) {
        if (!NAME.matcher(name).matches())
            throw new ConfigException(key + ": a " + what
                    + " name must be 1-24 lowercase letters, digits or '_', starting with a letter (it becomes part"
                    + " of slot and subscription names)");
    }

    private static SetNode node(String key, String name, Section s) {
        String cluster = s.string("cluster", null);
        String dsn = s.string("dsn", null);
        if ((cluster == null) == (dsn == null))
            throw new ConfigException(
                    key + ": give exactly one of cluster (a pgha cluster in this DCS) and dsn (a PostgreSQL server)");
        if (cluster != null && !cluster.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}"))
            throw new ConfigException(s.key("cluster") + ": '" + cluster + "' is not a cluster name");
        if (dsn != null) {
            Map<String, String> kv;
            try {
                kv = Conninfo.parse(dsn);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(s.key("dsn") + ": " + e.getMessage());
            }
            if (!kv.containsKey("host"))
                throw new ConfigException(s.key("dsn") + ": names no host (host=NAME port=N, or several hosts"
                        + " with target_session_attrs=read-write)");
            for (String k : kv.keySet()) {
                if (DSN_FORBIDDEN.contains(k))
                    throw new ConfigException(s.key("dsn") + ": may not set " + k + " ("
                            + (k.equals("dbname")
                                    ? "each set names its database"
                                    : k.equals("password")
                                            ? "use the node's password key, which is never shown"
                                            : "pgha sets it")
                            + ")");
            }
        }
        String user = s.string("user", "postgres");
        if (!IDENT.matcher(user).matches())
            throw new ConfigException(s.key("user") + ": '" + user + "' is not a role name");
        String password = s.string("password", null);
        s.rejectUnknown();
        return new SetNode(name, cluster, dsn, user, password);
    }

    private static ReplicationSet set(
            String key, String name, Section s, Map<String, SetNode> nodes, Map<String, String> tableOwner) {
        String database = s.string("database", "postgres");
        if (!IDENT.matcher(database).matches())
            throw new ConfigException(s.key("database") + ": '" + database + "' is not a database name");
        String origin = s.requiredString("origin");
        if (!nodes.containsKey(origin))
            throw new ConfigException(s.key("origin") + ": '" + origin + "' is not a node (known: "
                    + String.join(", ", nodes.keySet()) + ")");
        List<String> schemas = new ArrayList<>();
        for (String sc : s.strings("schemas", List.of())) {
            if (!IDENT.matcher(sc).matches())
                throw new ConfigException(s.key("schemas") + ": '" + sc + "' is not a schema name");
            if (schemas.contains(sc)) throw new ConfigException(s.key("schemas") + ": names " + sc + " twice");
            schemas.add(sc);
        }
        List<TableSpec> tables = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Object rawTables = s.raw("tables");
        if (rawTables != null && !(rawTables instanceof List<?>))
            throw new ConfigException(s.key("tables") + ": expected a list of tables");
        int i = 0;
        for (Object o : rawTables == null ? List.of() : (List<?>) rawTables) {
            String tk = s.key("tables") + "[" + i++ + "]";
            TableSpec t = table(tk, o);
            if (!seen.add(t.qualified()))
                throw new ConfigException(tk + ": names " + t.qualified() + " twice; a set names each table once");
            if (schemas.contains(t.schema()))
                throw new ConfigException(tk + ": " + t.qualified() + " is already in the set through schemas: "
                        + t.schema() + "; a set names each table once");
            String other = tableOwner.putIfAbsent(t.qualified(), name);
            if (other != null)
                throw new ConfigException(
                        tk + ": " + t.qualified() + " is already in set " + other + "; a table belongs to one set");
            tables.add(t);
        }
        for (String sc : schemas) {
            String other = tableOwner.putIfAbsent(sc + ".*", name);
            if (other != null)
                throw new ConfigException(s.key("schemas") + ": schema " + sc + " is already in set " + other);
        }
        if (tables.isEmpty() && schemas.isEmpty())
            throw new ConfigException(key + ": names no tables (give tables, schemas or both)");
        List<String> sequences = new ArrayList<>();
        for (String q : s.strings("sequences", List.of())) {
            String[] p = qualified(s.key("sequences"), q);
            String full = p[0] + "." + p[1];
            if (sequences.contains(full)) throw new ConfigException(s.key("sequences") + ": names " + full + " twice");
            sequences.add(full);
        }
        boolean owned = s.bool("owned_sequences", true);
        boolean protect = s.bool("protect", true);
        Map<String, Subscriber> subs = new LinkedHashMap<>();
        Section subSection = s.section("subscribers");
        for (String n : subSection.keys()) {
            String sk = subSection.key(n);
            if (!nodes.containsKey(n))
                throw new ConfigException(
                        sk + ": '" + n + "' is not a node (known: " + String.join(", ", nodes.keySet()) + ")");
            if (n.equals(origin)) throw new ConfigException(sk + ": " + n + " is the set's origin");
            Object raw = subSection.raw(n);
            String provider = null;
            if (raw instanceof Map<?, ?> sm) {
                Section sub = new Section(sk, sm);
                provider = sub.string("provider", null);
                sub.rejectUnknown();
            } else if (raw != null && !String.valueOf(raw).isBlank()) {
                throw new ConfigException(sk + ": expected a mapping ({} or {provider: NODE})");
            }
            if (provider != null && provider.equals(origin)) provider = null;
            subs.put(n, new Subscriber(n, provider));
        }
        for (Subscriber sub : subs.values()) {
            if (sub.provider() == null) continue;
            String sk = subSection.key(sub.node()) + ".provider";
            if (!subs.containsKey(sub.provider()))
                throw new ConfigException(
                        sk + ": '" + sub.provider() + "' is neither the origin nor a subscriber of this set");
            // the chain of providers must reach the origin
            Set<String> chain = new HashSet<>();
            String at = sub.node();
            while (at != null) {
                if (!chain.add(at))
                    throw new ConfigException(sk + ": the providers form a loop (" + String.join(" -> ", chain) + ")");
                at = subs.get(at) == null ? null : subs.get(at).provider();
            }
        }
        s.rejectUnknown();
        return new ReplicationSet(name, database, origin, tables, schemas, sequences, owned, subs, protect);
    }

    private static TableSpec table(String key, Object o) {
        if (o instanceof Map<?, ?> m) {
            Section t = new Section(key, m);
            String[] p = qualified(t.key("table"), t.requiredString("table"));
            List<String> cols = new ArrayList<>();
            for (String c : t.strings("columns", List.of())) {
                if (!IDENT.matcher(c).matches())
                    throw new ConfigException(t.key("columns") + ": '" + c + "' is not a column name");
                if (cols.contains(c)) throw new ConfigException(t.key("columns") + ": names " + c + " twice");
                cols.add(c);
            }
            String where = t.string("where", null);
            if (where != null && where.contains(";"))
                throw new ConfigException(t.key("where") + ": a row filter is one expression, without ';'");
            t.rejectUnknown();
            return new TableSpec(p[0], p[1], cols, where);
        }
        if (o == null || o instanceof List<?>)
            throw new ConfigException(key + ": expected a table name or {table, columns, where}");
        String[] p = qualified(key, String.valueOf(o).trim());
        return new TableSpec(p[0], p[1], List.of(), null);
    }

    /** {@code schema.name} or {@code name} (in public), as stored in the catalogs. */
    private static String[] qualified(String key, String q) {
        String[] p = q.split("\\.", -1);
        if (p.length == 1) p = new String[] {"public", p[0]};
        if (p.length != 2
                || !IDENT.matcher(p[0]).matches()
                || !IDENT.matcher(p[1]).matches())
            throw new ConfigException(key + ": '" + q + "' is not a name (schema.name or name, as in the catalogs)");
        return p;
    }

    /** {@code replication_sets_journal:} (pgha's own record; see {@link Journal}). */
    public static Map<String, Journal> journal(String key, Object v) {
        if (v == null) return Map.of();
        if (!(v instanceof Map<?, ?> m)) throw new ConfigException(key + ": expected a mapping of set names");
        Map<String, Journal> out = new LinkedHashMap<>();
        m.forEach((k, jv) -> {
            String name = String.valueOf(k);
            if (!(jv instanceof Map<?, ?> jm)) throw new ConfigException(key + "." + name + ": expected a mapping");
            Section s = new Section(key + "." + name, jm);
            String kind = s.requiredString("kind");
            if (!kind.equals("move") && !kind.equals("failover"))
                throw new ConfigException(s.key("kind") + ": '" + kind + "' is not one of move, failover");
            Journal j = new Journal(
                    kind,
                    s.requiredString("from"),
                    s.requiredString("to"),
                    s.requiredString("step"),
                    s.bool("done", false),
                    s.integer("started_at", 0),
                    s.stringMap("data"));
            s.rejectUnknown();
            out.put(name, j);
        });
        return out;
    }

    /** The document as people write it; with {@code showSecrets} false, passwords are {@code ******}. */
    public static Map<String, Object> toMap(SetsConfig c, boolean showSecrets) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (c.sets().isEmpty() && c.nodes().isEmpty() && c.sequenceSyncMs() == SetsConfig.DEFAULT_SEQUENCE_SYNC_MS) {
            out.put(SETS, null);
        } else {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("sequence_sync_interval", c.sequenceSyncMs() + "ms");
            Map<String, Object> nodes = new LinkedHashMap<>();
            for (SetNode n : c.nodes().values()) {
                Map<String, Object> m = new LinkedHashMap<>();
                if (n.cluster() != null) m.put("cluster", n.cluster());
                if (n.dsn() != null) m.put("dsn", n.dsn());
                m.put("user", n.user());
                if (n.password() != null) m.put("password", showSecrets ? n.password() : "******");
                nodes.put(n.name(), m);
            }
            doc.put("nodes", nodes);
            Map<String, Object> sets = new LinkedHashMap<>();
            for (ReplicationSet s : c.sets().values()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("database", s.database());
                m.put("origin", s.origin());
                List<Object> tables = new ArrayList<>();
                for (TableSpec t : s.tables()) {
                    if (t.columns().isEmpty() && t.where() == null) {
                        tables.add(t.qualified());
                    } else {
                        Map<String, Object> tm = new LinkedHashMap<>();
                        tm.put("table", t.qualified());
                        if (!t.columns().isEmpty()) tm.put("columns", t.columns());
                        if (t.where() != null) tm.put("where", t.where());
                        tables.add(tm);
                    }
                }
                if (!tables.isEmpty()) m.put("tables", tables);
                if (!s.schemas().isEmpty()) m.put("schemas", s.schemas());
                if (!s.sequences().isEmpty()) m.put("sequences", s.sequences());
                m.put("owned_sequences", s.ownedSequences());
                m.put("protect", s.protect());
                Map<String, Object> subs = new LinkedHashMap<>();
                for (Subscriber sub : s.subscribers().values()) {
                    Map<String, Object> sm = new LinkedHashMap<>();
                    if (sub.provider() != null) sm.put("provider", sub.provider());
                    subs.put(sub.node(), sm);
                }
                m.put("subscribers", subs);
                sets.put(s.name(), m);
            }
            doc.put("sets", sets);
            out.put(SETS, doc);
        }
        Map<String, Object> journal = new LinkedHashMap<>();
        c.journal().forEach((set, j) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", j.kind());
            m.put("from", j.from());
            m.put("to", j.to());
            m.put("step", j.step());
            m.put("done", j.done());
            m.put("started_at", j.startedAt());
            m.put("data", new LinkedHashMap<>(j.data()));
            journal.put(set, m);
        });
        out.put(JOURNAL, journal.isEmpty() ? null : journal);
        return out;
    }
}
