package io.pgha.logical;

import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import io.pgha.core.sets.SetsConfig.TableSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What to change so that the servers match the {@code replication_sets} document: a pure function of
 * the document, what each server has ({@link Catalog}) and how subscribers reach each node. The
 * rules:
 *
 * <ol>
 *   <li>The origin and every node another cascades from have the set's publication (not the other
 *       subscribers: a row filter on a column outside the replica identity would stop their updates).
 *       Its comment carries a hash of the set's tables, columns and row filters, so a second run
 *       changes nothing.
 *   <li>Every subscriber has a subscription to its provider's publication, through a slot pgha
 *       creates on the provider first (on a pgha cluster, a permanent slot the agents copy to the
 *       standbys). A subscriber cascades from another only once that one has copied every table.
 *   <li>With {@code protect}, each subscriber's tables of the set refuse ordinary writes (a statement
 *       trigger; logical replication's apply does not fire it); the origin's never do.
 *   <li>What pgha made for a set or subscriber the document no longer names is removed: the
 *       subscription first, then its slot, then the publication.
 *   <li>Nothing runs while a problem remains: an unreachable node, a table without a primary key or
 *       replica identity, a subscriber missing a table or column or with a column of another type.
 * </ol>
 */
public final class SetPlanner {
    private SetPlanner() {}

    /**
     * @param catalogs node → database → what the node has there (a node or database missing: not reachable)
     * @param conninfo node → the connection string (without dbname) subscribers use to reach it
     * @param clusters the nodes that are pgha clusters (their set slots are kept as permanent slots)
     */
    public static Plan plan(SetsConfig doc, Map<String, Map<String, Catalog>> catalogs, Map<String, String> conninfo) {
        List<Step> steps = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        // (node, database, name) of everything the document wants
        Set<String> wantedPubs = new HashSet<>();
        Set<String> wantedSubs = new HashSet<>();
        Set<String> wantedSlots = new HashSet<>();
        Set<String> wantedDeny = new HashSet<>();
        List<Step> pubSteps = new ArrayList<>();
        List<Step> subSteps = new ArrayList<>();
        List<Step> triggerSteps = new ArrayList<>();
        for (ReplicationSet s : doc.sets().values()) {
            String db = s.database();
            SetsConfig.Journal journal = doc.journal().get(s.name());
            if (journal != null) {
                problems.add("set " + s.name() + ": a " + journal.kind() + " from " + journal.from() + " to "
                        + journal.to() + " is in progress (step " + journal.step() + "): pgha sets " + journal.kind()
                        + " " + s.name() + " --resume or --abort");
                continue;
            }
            Catalog origin = catalog(catalogs, s.origin(), db);
            if (origin == null) {
                problems.add(
                        "set " + s.name() + ": its origin " + s.origin() + " cannot be reached (database " + db + ")");
                continue;
            }
            if (!origin.walLevel().equals("logical"))
                problems.add("set " + s.name() + ": origin " + s.origin() + " has wal_level " + origin.walLevel()
                        + "; logical replication needs wal_level = logical (set it and restart)");
            Map<String, TableSpec> tables = expand(s, origin, problems);
            for (String n : s.nodes()) {
                if (catalog(catalogs, n, db) == null && !n.equals(s.origin()))
                    problems.add("set " + s.name() + ": node " + n + " cannot be reached (database " + db + ")");
            }
            Set<String> providers = new LinkedHashSet<>();
            providers.add(s.origin());
            for (String n : s.subscribers().keySet()) providers.add(s.providerOf(n));
            for (String n : providers) {
                Catalog c = catalog(catalogs, n, db);
                if (c == null) continue;
                wantedPubs.add(key(n, db, Names.publication(s.name())));
                Step p = publication(s, c, tables);
                if (p != null) pubSteps.add(p);
            }
            // subscribers, providers first
            Set<String> ready = new HashSet<>();
            Set<String> created = new HashSet<>();
            ready.add(s.origin());
            for (String n : providersFirst(s)) {
                String provider = s.providerOf(n);
                String sub = Names.subscription(s.name(), n);
                wantedSubs.add(key(n, db, sub));
                wantedSlots.add(provider + "|" + sub);
                Catalog c = catalog(catalogs, n, db);
                Catalog pc = catalog(catalogs, provider, db);
                if (c == null || pc == null) continue;
                checkColumns(s, n, c, origin, tables, problems);
                if (!pc.walLevel().equals("logical"))
                    problems.add("set " + s.name() + ": provider " + provider + " has wal_level " + pc.walLevel()
                            + "; a node that provides for another needs wal_level = logical");
                if (!conninfo.containsKey(provider)) {
                    problems.add("set " + s.name() + ": how " + n + " reaches its provider " + provider
                            + " is not known now (a cluster without members in the DCS?)");
                    continue;
                }
                Catalog.Slot slot = pc.slots().get(sub);
                if (slot != null && !c.subscriptions().containsKey(sub)) {
                    // a slot without its subscription is stale (an unsubscribe or a resync that stopped
                    // half-way): a new subscription starts from a new one, not from an old position
                    subSteps.add(new Step(
                            Step.Kind.DROP_SLOT,
                            s.name(),
                            provider,
                            db,
                            "drop the stale slot " + sub + " on " + provider,
                            List.of(),
                            sub));
                    slot = null;
                }
                if (slot == null) {
                    subSteps.add(new Step(
                            Step.Kind.CREATE_SLOT,
                            s.name(),
                            provider,
                            db,
                            "create slot " + sub + " for subscriber " + n,
                            List.of(),
                            sub));
                } else if (!"pgoutput".equals(slot.plugin()) || !db.equals(slot.database())) {
                    problems.add("set " + s.name() + ": slot " + sub + " on " + provider + " is for " + slot.plugin()
                            + " in database " + slot.database() + "; drop it (pgha sets unsubscribe)");
                }
                String wantConn = conninfo.get(provider) + " dbname=" + db;
                String comment = Names.providerComment(s.name(), provider);
                Catalog.Subscription have = c.subscriptions().get(sub);
                if (have == null) {
                    if (!ready.contains(provider)) {
                        subSteps.add(new Step(
                                Step.Kind.AWAIT_COPY,
                                s.name(),
                                provider,
                                db,
                                "wait until " + provider + " has copied every table (" + n + " cascades from it)",
                                List.of(),
                                Names.subscription(s.name(), provider)));
                        ready.add(provider);
                    }
                    subSteps.add(subscribe(s.name(), n, provider, db, wantConn, true));
                    created.add(n);
                    continue;
                }
                if (have.ready() && !created.contains(provider)) ready.add(n);
                String was = have.comment() == null ? "" : have.comment();
                if (!was.equals(comment)) {
                    String prefix = Names.providerComment(s.name(), "");
                    String from = was.startsWith(prefix) ? was.substring(prefix.length()) : "an unknown provider";
                    problems.add(
                            "set " + s.name() + ": " + n + " replicates from " + from + ", the document says "
                                    + provider
                                    + "; pgha sets move, or pgha sets unsubscribe then subscribe --provider, changes a provider");
                    continue;
                }
                if (!wantConn.equals(have.conninfo()))
                    subSteps.add(Step.sql(
                            s.name(),
                            n,
                            db,
                            "update how " + n + " reaches " + provider,
                            "ALTER SUBSCRIPTION " + Sql.ident(sub) + " CONNECTION " + Sql.literal(wantConn)));
                if (!have.enabled())
                    subSteps.add(Step.sql(
                            s.name(),
                            n,
                            db,
                            "enable " + sub + " on " + n,
                            "ALTER SUBSCRIPTION " + Sql.ident(sub) + " ENABLE"));
                if (!new TreeSet<>(have.relations().keySet()).equals(new TreeSet<>(tables.keySet())))
                    subSteps.add(Step.sql(
                            s.name(),
                            n,
                            db,
                            "refresh " + sub + " on " + n + " (tables added: "
                                    + String.join(
                                            ", ",
                                            minus(
                                                    tables.keySet(),
                                                    have.relations().keySet()))
                                    + "; removed: "
                                    + String.join(", ", minus(have.relations().keySet(), tables.keySet())) + ")",
                            "ALTER SUBSCRIPTION " + Sql.ident(sub) + " REFRESH PUBLICATION WITH (copy_data = true)"));
            }
            // write protection on the subscribers
            for (String n : s.nodes()) {
                Catalog c = catalog(catalogs, n, db);
                if (c == null) continue;
                boolean deny = s.protect() && !n.equals(s.origin());
                for (String t : tables.keySet()) {
                    Catalog.Table have = c.tables().get(t);
                    if (have == null) continue;
                    if (deny) {
                        wantedDeny.add(key(n, db, t));
                        if (!have.denyTrigger())
                            triggerSteps.add(Step.sql(
                                    s.name(),
                                    n,
                                    db,
                                    "refuse ordinary writes to " + t + " on subscriber " + n,
                                    DENY_FUNCTION,
                                    denyTrigger(t, s.name())));
                    }
                }
            }
        }
        // the protection before the subscriptions: nothing may be written to a subscriber's tables
        // while they are copied
        steps.addAll(pubSteps);
        steps.addAll(triggerSteps);
        steps.addAll(subSteps);
        // what the document no longer names
        List<Step> drops = new ArrayList<>();
        List<Step> slotDrops = new ArrayList<>();
        List<Step> pubDrops = new ArrayList<>();
        Set<String> seenSlots = new HashSet<>();
        catalogs.forEach((node, byDb) -> byDb.forEach((db, c) -> {
            for (Catalog.Subscription sub : c.subscriptions().values()) {
                if (!wantedSubs.contains(key(node, db, sub.name())))
                    drops.add(new Step(
                            Step.Kind.DROP_SUBSCRIPTION,
                            null,
                            node,
                            db,
                            "drop subscription " + sub.name() + " on " + node,
                            List.of(),
                            sub.name()));
            }
            for (Catalog.Slot slot : c.slots().values()) {
                if (!wantedSlots.contains(node + "|" + slot.name()) && seenSlots.add(node + "|" + slot.name()))
                    slotDrops.add(new Step(
                            Step.Kind.DROP_SLOT,
                            null,
                            node,
                            slot.database(),
                            "drop slot " + slot.name() + " on " + node,
                            List.of(),
                            slot.name()));
            }
            for (Catalog.Publication p : c.publications().values()) {
                if (!wantedPubs.contains(key(node, db, p.name())))
                    pubDrops.add(Step.sql(
                            null,
                            node,
                            db,
                            "drop publication " + p.name() + " on " + node,
                            "DROP PUBLICATION " + Sql.ident(p.name())));
            }
            for (Catalog.Table t : c.tables().values()) {
                if (t.denyTrigger() && !wantedDeny.contains(key(node, db, t.name())))
                    pubDrops.add(Step.sql(
                            null,
                            node,
                            db,
                            "accept writes to " + t.name() + " on " + node,
                            "DROP TRIGGER IF EXISTS " + Sql.ident(Names.DENY_TRIGGER) + " ON " + Sql.table(t.name())));
            }
        }));
        steps.addAll(drops);
        steps.addAll(slotDrops);
        steps.addAll(pubDrops);
        return new Plan(problems.isEmpty() ? steps : List.of(), problems);
    }

    /**
     * {@code node} subscribes to {@code set} from {@code provider} (reached by {@code conninfo},
     * dbname included) through the slot of the subscription's name, made there beforehand, with or
     * without the initial copy; the comment names the provider.
     */
    static Step subscribe(String set, String node, String provider, String database, String conninfo, boolean copy) {
        String sub = Names.subscription(set, node);
        return Step.sql(
                set,
                node,
                database,
                "subscribe " + node + " to set " + set + " from " + provider
                        + (copy ? " (copies every table)" : " (no copy)"),
                "CREATE SUBSCRIPTION " + Sql.ident(sub) + " CONNECTION " + Sql.literal(conninfo)
                        + " PUBLICATION " + Sql.ident(Names.publication(set))
                        + " WITH (create_slot = false, slot_name = " + Sql.literal(sub)
                        + ", copy_data = " + copy + ")",
                "COMMENT ON SUBSCRIPTION " + Sql.ident(sub) + " IS "
                        + Sql.literal(Names.providerComment(set, provider)));
    }

    /** The statement trigger that makes {@code table} refuse ordinary writes, naming {@code set}. */
    static String denyTrigger(String table, String set) {
        return "CREATE TRIGGER " + Sql.ident(Names.DENY_TRIGGER) + " BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "
                + Sql.table(table) + " FOR EACH STATEMENT EXECUTE FUNCTION pgha.set_deny(" + Sql.literal(set) + ")";
    }

    /** The function the write-protection triggers call (created or replaced with each trigger). */
    static final String DENY_FUNCTION = "CREATE SCHEMA IF NOT EXISTS pgha;"
            + " CREATE OR REPLACE FUNCTION pgha.set_deny() RETURNS trigger LANGUAGE plpgsql AS $pgha$"
            + " BEGIN RAISE EXCEPTION 'table %.% belongs to replication set %, which is written at its origin',"
            + " TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_ARGV[0] USING ERRCODE = 'read_only_sql_transaction',"
            + " HINT = 'write at the set''s origin (pgha sets status ' || TG_ARGV[0] || ' shows it)'; END $pgha$";

    /**
     * The set's tables, as the origin has them: those named, then those of the named schemas. A table
     * the origin lacks, or one without a primary key or replica identity, is a problem.
     */
    static Map<String, TableSpec> expand(ReplicationSet s, Catalog origin, List<String> problems) {
        Map<String, TableSpec> out = new LinkedHashMap<>();
        for (TableSpec t : s.tables()) {
            Catalog.Table have = origin.tables().get(t.qualified());
            if (have == null) {
                problems.add(
                        "set " + s.name() + ": table " + t.qualified() + " does not exist on origin " + s.origin());
                continue;
            }
            for (String col : t.columns()) {
                if (have.type(col) == null)
                    problems.add("set " + s.name() + ": table " + t.qualified() + " on origin " + s.origin()
                            + " has no column " + col);
            }
            out.put(t.qualified(), t);
        }
        for (String schema : s.schemas()) {
            for (Catalog.Table t : origin.tables().values()) {
                if (t.name().startsWith(schema + ".") && !out.containsKey(t.name()))
                    out.put(t.name(), new TableSpec(schema, t.name().substring(schema.length() + 1), List.of(), null));
            }
        }
        for (String t : out.keySet()) {
            Catalog.Table have = origin.tables().get(t);
            if (have != null && !have.replicable())
                problems.add("set " + s.name() + ": table " + t + " has no primary key or replica identity on origin "
                        + s.origin() + ", so its updates and deletes cannot be replicated: add a primary key, or ALTER"
                        + " TABLE " + t + " REPLICA IDENTITY FULL");
        }
        return out;
    }

    /** A subscriber needs every published table, with every published column of the same type. */
    static void checkColumns(
            ReplicationSet s,
            String node,
            Catalog c,
            Catalog origin,
            Map<String, TableSpec> tables,
            List<String> problems) {
        for (TableSpec t : tables.values()) {
            Catalog.Table src = origin.tables().get(t.qualified());
            if (src == null) continue;
            Catalog.Table dst = c.tables().get(t.qualified());
            if (dst == null) {
                problems.add("set " + s.name() + ": subscriber " + node + " has no table " + t.qualified()
                        + " (create it, or subscribe with --copy-schema)");
                continue;
            }
            if (!dst.replicable())
                problems.add("set " + s.name() + ": table " + t.qualified() + " has no primary key or replica identity"
                        + " on subscriber " + node + ", so updates and deletes cannot find their rows there");
            List<String> cols = t.columns().isEmpty() ? src.columns() : t.columns();
            for (String col : cols) {
                String want = src.type(col);
                if (want == null) continue; // the origin lacks it: reported once, for the origin
                String have = dst.type(col);
                if (have == null)
                    problems.add("set " + s.name() + ": subscriber " + node + " lacks column " + t.qualified() + "."
                            + col + " (" + want + ")");
                else if (!have.equals(want))
                    problems.add("set " + s.name() + ": column " + t.qualified() + "." + col + " is " + have + " on "
                            + node + " but " + want + " on origin " + s.origin());
            }
        }
    }

    /** The publication {@code s} needs on {@code c}'s node: null when it already has it. */
    static Step publication(ReplicationSet s, Catalog c, Map<String, TableSpec> tables) {
        String name = Names.publication(s.name());
        String spec = spec(s);
        String comment = "pgha set " + s.name() + " " + hash(spec);
        Catalog.Publication have = c.publications().get(name);
        Set<String> explicit = new TreeSet<>();
        for (TableSpec t : s.tables()) if (tables.containsKey(t.qualified())) explicit.add(t.qualified());
        if (have == null)
            return Step.sql(
                    s.name(),
                    c.node(),
                    c.database(),
                    "create publication " + name + " on " + c.node(),
                    "CREATE PUBLICATION " + Sql.ident(name) + " FOR " + spec,
                    "COMMENT ON PUBLICATION " + Sql.ident(name) + " IS " + Sql.literal(comment));
        if (comment.equals(have.comment())
                && new TreeSet<>(have.tables()).equals(explicit)
                && new TreeSet<>(have.schemas()).equals(new TreeSet<>(s.schemas()))) return null;
        return Step.sql(
                s.name(),
                c.node(),
                c.database(),
                "change the tables of publication " + name + " on " + c.node(),
                "ALTER PUBLICATION " + Sql.ident(name) + " SET " + spec,
                "COMMENT ON PUBLICATION " + Sql.ident(name) + " IS " + Sql.literal(comment));
    }

    /** The publication's objects: {@code TABLE a (x, y) WHERE (...), TABLES IN SCHEMA s}. */
    static String spec(ReplicationSet s) {
        List<String> parts = new ArrayList<>();
        for (TableSpec t : s.tables()) {
            StringBuilder b = new StringBuilder("TABLE ").append(Sql.table(t.qualified()));
            if (!t.columns().isEmpty())
                b.append(" (").append(Sql.idents(t.columns())).append(')');
            if (t.where() != null) b.append(" WHERE (").append(t.where()).append(')');
            parts.add(b.toString());
        }
        for (String schema : s.schemas()) parts.add("TABLES IN SCHEMA " + Sql.ident(schema));
        return String.join(", ", parts);
    }

    static String hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The subscribers of {@code s}, each after its provider. */
    static List<String> providersFirst(ReplicationSet s) {
        List<String> out = new ArrayList<>();
        Set<String> placed = new LinkedHashSet<>();
        placed.add(s.origin());
        while (out.size() < s.subscribers().size()) {
            boolean progress = false;
            for (String n : s.subscribers().keySet()) {
                if (!placed.contains(n) && placed.contains(s.providerOf(n))) {
                    placed.add(n);
                    out.add(n);
                    progress = true;
                }
            }
            if (!progress) break; // a loop: refused by the settings
        }
        return out;
    }

    private static Catalog catalog(Map<String, Map<String, Catalog>> catalogs, String node, String db) {
        Map<String, Catalog> byDb = catalogs.get(node);
        return byDb == null ? null : byDb.get(db);
    }

    private static String key(String node, String db, String name) {
        return node + "|" + db + "|" + name;
    }

    private static List<String> minus(Set<String> a, Set<String> b) {
        List<String> out = new ArrayList<>();
        for (String x : new TreeSet<>(a)) if (!b.contains(x)) out.add(x);
        return out.isEmpty() ? List.of("none") : out;
    }
}
