package io.pgha.logical;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.Lsn;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@code pgha sets apply} plans, from the document and what each server has: built from
 * catalogs written by hand, and checked against a small model of PostgreSQL that runs the plan's
 * statements, so that "a second run changes nothing" is checked on what the first run wrote.
 */
class SetPlannerTest {
    static final String DB = "app";
    static final List<String> NODES = List.of("main", "reports", "archive", "backup");
    static final Map<String, String> CONNINFO = Map.of(
            "main", "host=main.example port=5432 user=postgres connect_timeout=10",
            "reports", "host=reports.example port=5432 user=repl password='s3 cret' connect_timeout=10",
            "archive", "host=archive.example port=5432 user=postgres connect_timeout=10",
            "backup", "host=backup.example port=5432 user=postgres connect_timeout=10");

    static final TableSpec ORDERS = new TableSpec("public", "orders", List.of(), null);
    static final TableSpec CUSTOMERS =
            new TableSpec("public", "customers", List.of("id", "name", "country"), "country <> 'test'");
    static final TableSpec INVOICES = new TableSpec("public", "invoices", List.of(), null);
    /** The tables of {@link #shop}: the two it names, then those of schema catalog on the origin. */
    static final List<String> SHOP_TABLES = List.of("public.orders", "public.customers", "catalog.items");

    static final String SHOP_SPEC = "TABLE \"public\".\"orders\", TABLE \"public\".\"customers\" (\"id\", \"name\","
            + " \"country\") WHERE (country <> 'test'), TABLES IN SCHEMA \"catalog\"";

    // --- the document ---

    /** {@code "archive<reports"}: archive cascades from reports; {@code "reports"}: from the origin. */
    static Map<String, Subscriber> subscribers(String... specs) {
        Map<String, Subscriber> out = new LinkedHashMap<>();
        for (String s : specs) {
            int lt = s.indexOf('<');
            String node = lt < 0 ? s : s.substring(0, lt);
            out.put(node, new Subscriber(node, lt < 0 ? null : s.substring(lt + 1)));
        }
        return out;
    }

    /** Set shop: origin main, orders, some columns and rows of customers, schema catalog. */
    static ReplicationSet shop(String... subs) {
        return shop(true, subs);
    }

    static ReplicationSet shop(boolean protect, String... subs) {
        return new ReplicationSet(
                "shop",
                DB,
                "main",
                List.of(ORDERS, CUSTOMERS),
                List.of("catalog"),
                List.of(),
                true,
                subscribers(subs),
                protect);
    }

    static SetsConfig doc(ReplicationSet... sets) {
        Map<String, SetNode> nodes = new LinkedHashMap<>();
        for (String n : NODES) nodes.put(n, new SetNode(n, null, "host=" + n + ".example port=5432", "postgres", null));
        Map<String, ReplicationSet> m = new LinkedHashMap<>();
        for (ReplicationSet s : sets) m.put(s.name(), s);
        return new SetsConfig(nodes, m, SetsConfig.DEFAULT_SEQUENCE_SYNC_MS, Map.of());
    }

    // --- what the servers have ---

    static Catalog.Table table(String name, List<String> columns, List<String> types) {
        return new Catalog.Table(name, columns, types, 'd', true, false, false);
    }

    /** The tables every node has (the same schema everywhere unless a test changes it). */
    static List<Catalog.Table> standardTables() {
        return List.of(
                table(
                        "public.orders",
                        List.of("id", "total", "created"),
                        List.of("bigint", "numeric(10,2)", "timestamp with time zone")),
                table(
                        "public.customers",
                        List.of("id", "name", "country", "email"),
                        List.of("bigint", "text", "text", "text")),
                table("public.invoices", List.of("id", "amount"), List.of("bigint", "numeric")),
                table("catalog.items", List.of("id", "label"), List.of("integer", "text")));
    }

    static Catalog.Table with(Catalog.Table t, boolean deny) {
        return new Catalog.Table(
                t.name(), t.columns(), t.types(), t.identity(), t.primaryKey(), t.identityIndex(), deny);
    }

    static Catalog.Subscription sub(
            String name,
            String conninfo,
            boolean enabled,
            String comment,
            Map<String, Character> relations,
            String publication) {
        return new Catalog.Subscription(
                name, conninfo, enabled, name, List.of(publication), comment, relations, 4242, null);
    }

    /** {@code x} with another connection string, state, comment or relations. */
    static Catalog.Subscription sub(
            Catalog.Subscription x,
            String conninfo,
            boolean enabled,
            String comment,
            Map<String, Character> relations) {
        return sub(
                x.name(),
                conninfo,
                enabled,
                comment,
                relations,
                x.publications().get(0));
    }

    /** The servers of {@link #NODES} in database {@link #DB}, and a model of what statements do to them. */
    static final class World {
        final Map<String, Map<String, Catalog.Publication>> pubs = new LinkedHashMap<>();
        final Map<String, Map<String, Catalog.Subscription>> subs = new LinkedHashMap<>();
        final Map<String, Map<String, Catalog.Slot>> slots = new LinkedHashMap<>();
        final Map<String, Map<String, Catalog.Table>> tables = new LinkedHashMap<>();
        final Set<String> unreachable = new HashSet<>();

        /** Every node with the standard tables and nothing of pgha's. */
        static World bare() {
            World w = new World();
            for (String n : NODES) {
                w.pubs.put(n, new LinkedHashMap<>());
                w.subs.put(n, new LinkedHashMap<>());
                w.slots.put(n, new LinkedHashMap<>());
                Map<String, Catalog.Table> t = new LinkedHashMap<>();
                for (Catalog.Table x : standardTables()) t.put(x.name(), x);
                w.tables.put(n, t);
            }
            return w;
        }

        /** What the servers have once {@code doc} has been applied (written by hand, not by the planner). */
        static World synced(SetsConfig doc) {
            World w = bare();
            for (ReplicationSet s : doc.sets().values()) {
                Set<String> providers = new LinkedHashSet<>();
                providers.add(s.origin());
                for (String n : s.subscribers().keySet()) providers.add(s.providerOf(n));
                for (String p : providers) w.publish(p, s);
                for (String n : s.subscribers().keySet()) {
                    String name = Names.subscription(s.name(), n);
                    w.slot(s.providerOf(n), name);
                    Map<String, Character> rels = new LinkedHashMap<>();
                    for (String t : w.setTables(s)) rels.put(t, 'r');
                    w.subs.get(n)
                            .put(
                                    name,
                                    new Catalog.Subscription(
                                            name,
                                            CONNINFO.get(s.providerOf(n)) + " dbname=" + DB,
                                            true,
                                            name,
                                            List.of(Names.publication(s.name())),
                                            "pgha set " + s.name() + " provider " + s.providerOf(n),
                                            rels,
                                            4242,
                                            null));
                    if (s.protect()) for (String t : w.setTables(s)) w.deny(n, t, true);
                }
            }
            return w;
        }

        /** The set's tables: those it names, then those of its schemas on the origin. */
        List<String> setTables(ReplicationSet s) {
            List<String> out = new ArrayList<>();
            for (TableSpec t : s.tables()) out.add(t.qualified());
            for (String t : tables.get(s.origin()).keySet())
                if (s.schemas().contains(t.substring(0, t.indexOf('.'))) && !out.contains(t)) out.add(t);
            return out;
        }

        Set<String> published(String node, Set<String> explicit, Set<String> schemas) {
            Set<String> out = new LinkedHashSet<>(explicit);
            for (String t : tables.get(node).keySet()) if (schemas.contains(t.substring(0, t.indexOf('.')))) out.add(t);
            return out;
        }

        void publish(String node, ReplicationSet s) {
            String name = Names.publication(s.name());
            Set<String> explicit = new LinkedHashSet<>();
            s.tables().forEach(t -> explicit.add(t.qualified()));
            Set<String> schemas = new LinkedHashSet<>(s.schemas());
            pubs.get(node)
                    .put(
                            name,
                            new Catalog.Publication(
                                    name,
                                    explicit,
                                    schemas,
                                    published(node, explicit, schemas),
                                    "pgha set " + s.name() + " " + SetPlanner.hash(SetPlanner.spec(s))));
        }

        void slot(String node, String name) {
            slots.get(node).put(name, new Catalog.Slot(name, "pgoutput", DB, true, Lsn.ZERO, Lsn.ZERO));
        }

        void deny(String node, String table, boolean on) {
            tables.get(node).put(table, with(tables.get(node).get(table), on));
        }

        World change(String node, String subscription, UnaryOperator<Catalog.Subscription> f) {
            subs.get(node).put(subscription, f.apply(subs.get(node).get(subscription)));
            return this;
        }

        World table(String node, Catalog.Table t) {
            tables.get(node).put(t.name(), t);
            return this;
        }

        Map<String, Map<String, Catalog>> catalogs() {
            Map<String, Map<String, Catalog>> out = new LinkedHashMap<>();
            for (String n : NODES) {
                out.put(
                        n,
                        unreachable.contains(n)
                                ? Map.of()
                                : Map.of(
                                        DB,
                                        Catalog.of(
                                                n,
                                                DB,
                                                pubs.get(n).values(),
                                                subs.get(n).values(),
                                                slots.get(n).values(),
                                                tables.get(n).values())));
            }
            return out;
        }

        Plan plan(SetsConfig doc) {
            return SetPlanner.plan(doc, catalogs(), CONNINFO);
        }

        // --- a model of what the steps do on PostgreSQL; a step PostgreSQL would refuse fails the test ---

        private static final Pattern CREATE_PUB = Pattern.compile("CREATE PUBLICATION \"(\\w+)\" FOR (.*)");
        private static final Pattern ALTER_PUB = Pattern.compile("ALTER PUBLICATION \"(\\w+)\" SET (.*)");
        private static final Pattern COMMENT_PUB = Pattern.compile("COMMENT ON PUBLICATION \"(\\w+)\" IS '(.*)'");
        private static final Pattern DROP_PUB = Pattern.compile("DROP PUBLICATION \"(\\w+)\"");
        private static final Pattern SPEC_TABLE = Pattern.compile("TABLE \"(\\w+)\"\\.\"(\\w+)\"");
        private static final Pattern SPEC_SCHEMA = Pattern.compile("TABLES IN SCHEMA \"(\\w+)\"");
        private static final Pattern CREATE_SUB = Pattern.compile("CREATE SUBSCRIPTION \"(\\w+)\" CONNECTION '(.*)'"
                + " PUBLICATION \"(\\w+)\" WITH \\(create_slot = false, slot_name = '(\\w+)', copy_data = true\\)");
        private static final Pattern COMMENT_SUB = Pattern.compile("COMMENT ON SUBSCRIPTION \"(\\w+)\" IS '(.*)'");
        private static final Pattern SUB_CONNECTION =
                Pattern.compile("ALTER SUBSCRIPTION \"(\\w+)\" CONNECTION '(.*)'");
        private static final Pattern SUB_ENABLE = Pattern.compile("ALTER SUBSCRIPTION \"(\\w+)\" ENABLE");
        private static final Pattern SUB_REFRESH =
                Pattern.compile("ALTER SUBSCRIPTION \"(\\w+)\" REFRESH PUBLICATION WITH \\(copy_data = true\\)");
        private static final Pattern CREATE_TRIGGER = Pattern.compile("CREATE TRIGGER \"pghaset_deny\" BEFORE INSERT OR"
                + " UPDATE OR DELETE OR TRUNCATE ON \"(\\w+)\"\\.\"(\\w+)\" FOR EACH STATEMENT EXECUTE FUNCTION"
                + " pgha\\.set_deny\\('(\\w+)'\\)");
        private static final Pattern DROP_TRIGGER =
                Pattern.compile("DROP TRIGGER IF EXISTS \"pghaset_deny\" ON \"(\\w+)\"\\.\"(\\w+)\"");

        private static String unquote(String literal) {
            return literal.replace("''", "'");
        }

        World apply(SetsConfig doc, Plan p) {
            assertThat(p.problems()).isEmpty();
            for (Step s : p.steps()) {
                assertThat(s.database()).as("%s", s).isEqualTo(DB);
                switch (s.kind()) {
                    case CREATE_SLOT -> {
                        assertThat(slots.get(s.node())).as("%s", s).doesNotContainKey(s.object());
                        // a slot decodes with the catalog as of its creation: the publication comes first
                        assertThat(pubs.get(s.node())).as("%s", s).containsKey(Names.publication(s.set()));
                        slot(s.node(), s.object());
                    }
                    case AWAIT_COPY ->
                        assertThat(subs.get(s.node())).as("%s", s).containsKey(s.object());
                    case DROP_SUBSCRIPTION -> {
                        Catalog.Subscription gone = subs.get(s.node()).remove(s.object());
                        assertThat(gone).as("%s", s).isNotNull();
                        // DROP SUBSCRIPTION drops its slot on the provider
                        String provider =
                                gone.comment().substring(gone.comment().lastIndexOf(' ') + 1);
                        slots.get(provider).remove(gone.slot());
                    }
                    case DROP_SLOT -> slots.get(s.node()).remove(s.object());
                    case SQL -> {
                        for (String sql : s.sql()) run(doc, s, sql);
                    }
                }
            }
            return this;
        }

        private void run(SetsConfig doc, Step step, String sql) {
            String node = step.node();
            Matcher m;
            if (sql.equals(SetPlanner.DENY_FUNCTION)) return;
            if ((m = CREATE_PUB.matcher(sql)).matches()) {
                assertThat(pubs.get(node)).as(sql).doesNotContainKey(m.group(1));
                pubs.get(node).put(m.group(1), publication(node, m.group(1), m.group(2), null));
            } else if ((m = ALTER_PUB.matcher(sql)).matches()) {
                Catalog.Publication had = pubs.get(node).get(m.group(1));
                assertThat(had).as(sql).isNotNull();
                pubs.get(node).put(m.group(1), publication(node, m.group(1), m.group(2), had.comment()));
            } else if ((m = COMMENT_PUB.matcher(sql)).matches()) {
                Catalog.Publication p = pubs.get(node).get(m.group(1));
                pubs.get(node)
                        .put(
                                p.name(),
                                new Catalog.Publication(
                                        p.name(), p.tables(), p.schemas(), p.published(), unquote(m.group(2))));
            } else if ((m = DROP_PUB.matcher(sql)).matches()) {
                assertThat(pubs.get(node).remove(m.group(1))).as(sql).isNotNull();
            } else if ((m = CREATE_SUB.matcher(sql)).matches()) {
                assertThat(subs.get(node)).as(sql).doesNotContainKey(m.group(1));
                String conn = unquote(m.group(2));
                String provider = provider(conn);
                assertThat(slots.get(provider)).as(sql).containsKey(m.group(4));
                Catalog.Publication pub = pubs.get(provider).get(m.group(3));
                assertThat(pub).as(sql).isNotNull();
                Map<String, Character> rels = new LinkedHashMap<>();
                for (String t : pub.published()) {
                    Catalog.Table have = tables.get(node).get(t);
                    assertThat(have).as(sql + ": " + t).isNotNull();
                    // nothing may be written to a protected subscriber's tables while they are copied
                    if (doc.sets().get(step.set()).protect())
                        assertThat(have.denyTrigger()).as(sql + ": " + t).isTrue();
                    rels.put(t, 'r');
                }
                subs.get(node).put(m.group(1), sub(m.group(1), conn, true, null, rels, m.group(3)));
            } else if ((m = COMMENT_SUB.matcher(sql)).matches()) {
                String comment = unquote(m.group(2));
                change(node, m.group(1), x -> sub(x, x.conninfo(), x.enabled(), comment, x.relations()));
            } else if ((m = SUB_CONNECTION.matcher(sql)).matches()) {
                String conn = unquote(m.group(2));
                provider(conn);
                change(node, m.group(1), x -> sub(x, conn, x.enabled(), x.comment(), x.relations()));
            } else if ((m = SUB_ENABLE.matcher(sql)).matches()) {
                change(node, m.group(1), x -> sub(x, x.conninfo(), true, x.comment(), x.relations()));
            } else if ((m = SUB_REFRESH.matcher(sql)).matches()) {
                Catalog.Subscription x = subs.get(node).get(m.group(1));
                Map<String, Character> rels = new LinkedHashMap<>();
                for (String t : pubs.get(provider(x.conninfo()))
                        .get(x.publications().get(0))
                        .published()) {
                    assertThat(tables.get(node)).as(sql).containsKey(t);
                    rels.put(t, x.relations().getOrDefault(t, 'r'));
                }
                subs.get(node).put(x.name(), sub(x, x.conninfo(), x.enabled(), x.comment(), rels));
            } else if ((m = CREATE_TRIGGER.matcher(sql)).matches()) {
                String t = m.group(1) + "." + m.group(2);
                assertThat(tables.get(node)).as(sql).containsKey(t);
                // CREATE TRIGGER fails when the trigger exists
                assertThat(tables.get(node).get(t).denyTrigger()).as(sql).isFalse();
                assertThat(m.group(3)).isEqualTo(step.set());
                deny(node, t, true);
            } else if ((m = DROP_TRIGGER.matcher(sql)).matches()) {
                deny(node, m.group(1) + "." + m.group(2), false);
            } else {
                throw new AssertionError("a statement the model does not know: " + sql);
            }
        }

        private Catalog.Publication publication(String node, String name, String spec, String comment) {
            Set<String> explicit = new LinkedHashSet<>();
            Set<String> schemas = new LinkedHashSet<>();
            Matcher t = SPEC_TABLE.matcher(spec);
            while (t.find()) {
                String q = t.group(1) + "." + t.group(2);
                assertThat(tables.get(node)).as("%s on %s", spec, node).containsKey(q);
                explicit.add(q);
            }
            Matcher s = SPEC_SCHEMA.matcher(spec);
            while (s.find()) schemas.add(s.group(1));
            return new Catalog.Publication(name, explicit, schemas, published(node, explicit, schemas), comment);
        }

        /** The node a subscription's connection string reaches. */
        private static String provider(String conninfo) {
            assertThat(conninfo).endsWith(" dbname=" + DB);
            String base = conninfo.substring(0, conninfo.length() - (" dbname=" + DB).length());
            for (Map.Entry<String, String> e : CONNINFO.entrySet())
                if (e.getValue().equals(base)) return e.getKey();
            throw new AssertionError("no node is reached by " + conninfo);
        }
    }

    // --- how steps are shown in the assertions ---

    static String label(Step s) {
        if (s.kind() != Step.Kind.SQL) return s.kind() + " " + s.node() + " " + s.object();
        String first = s.sql().get(0).startsWith("CREATE SCHEMA IF NOT EXISTS pgha;")
                ? s.sql().get(1)
                : s.sql().get(0);
        return s.node() + ": " + first;
    }

    static List<String> labels(Plan p) {
        return p.steps().stream().map(SetPlannerTest::label).toList();
    }

    static String createPublication(String node) {
        return node + ": CREATE PUBLICATION \"pghaset_shop\" FOR " + SHOP_SPEC;
    }

    static String deny(String node, String table) {
        String[] p = table.split("\\.");
        return node + ": CREATE TRIGGER \"pghaset_deny\" BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON \"" + p[0]
                + "\".\"" + p[1] + "\" FOR EACH STATEMENT EXECUTE FUNCTION pgha.set_deny('shop')";
    }

    static String allow(String node, String table) {
        String[] p = table.split("\\.");
        return node + ": DROP TRIGGER IF EXISTS \"pghaset_deny\" ON \"" + p[0] + "\".\"" + p[1] + "\"";
    }

    static String createSlot(String provider, String subscriber) {
        return "CREATE_SLOT " + provider + " pghaset_shop_" + subscriber;
    }

    static String subscribe(String node, String provider) {
        String sub = "pghaset_shop_" + node;
        return node + ": CREATE SUBSCRIPTION \"" + sub + "\" CONNECTION '"
                + CONNINFO.get(provider).replace("'", "''") + " dbname=app' PUBLICATION \"pghaset_shop\" WITH"
                + " (create_slot = false, slot_name = '" + sub + "', copy_data = true)";
    }

    static String awaitCopy(String provider) {
        return "AWAIT_COPY " + provider + " pghaset_shop_" + provider;
    }

    static String refresh(String node) {
        return node + ": ALTER SUBSCRIPTION \"pghaset_shop_" + node + "\" REFRESH PUBLICATION WITH (copy_data = true)";
    }

    static List<String> denyAll(String node) {
        return SHOP_TABLES.stream().map(t -> deny(node, t)).toList();
    }

    static List<String> allowAll(String node) {
        return SHOP_TABLES.stream().map(t -> allow(node, t)).toList();
    }

    @SafeVarargs
    static List<String> concat(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) out.addAll(p);
        return out;
    }

    // --- a second run changes nothing ---

    static Stream<Arguments> documents() {
        ReplicationSet shopNoSchema = new ReplicationSet(
                "shop",
                DB,
                "main",
                List.of(ORDERS, CUSTOMERS),
                List.of(),
                List.of(),
                true,
                subscribers("reports"),
                true);
        ReplicationSet stock = new ReplicationSet(
                "stock",
                DB,
                "reports",
                List.of(INVOICES),
                List.of("catalog"),
                List.of(),
                true,
                subscribers("main", "archive<main"),
                true);
        return Stream.of(
                Arguments.of("no subscriber yet", doc(shop())),
                Arguments.of("one subscriber", doc(shop("reports"))),
                Arguments.of("a cascade", doc(shop("reports", "archive<reports"))),
                Arguments.of("a deeper cascade", doc(shop("reports", "archive<reports", "backup<archive"))),
                Arguments.of("two from one provider", doc(shop("reports", "archive<reports", "backup<reports"))),
                Arguments.of("without write protection", doc(shop(false, "reports", "archive<reports"))),
                Arguments.of("two sets the other way round on the same nodes", doc(shopNoSchema, stock)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("documents")
    void whenTheServersMatchTheDocumentThePlanIsEmpty(String what, SetsConfig doc) {
        Plan p = World.synced(doc).plan(doc);
        assertThat(p.problems()).as(what).isEmpty();
        assertThat(labels(p)).as(what).isEmpty();
        assertThat(p.empty()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("documents")
    void fromNothingOneRunReachesTheDocumentAndASecondChangesNothing(String what, SetsConfig doc) {
        World w = World.bare();
        Plan first = w.plan(doc);
        assertThat(first.steps()).as(what).isNotEmpty();
        Plan second = w.apply(doc, first).plan(doc);
        assertThat(second.problems()).as(what).isEmpty();
        assertThat(labels(second)).as(what).isEmpty();
        // what the plan made is what the other tests take for "the servers match the document"
        assertThat(w.catalogs()).as(what).isEqualTo(World.synced(doc).catalogs());
    }

    static Stream<Arguments> changes() {
        return Stream.of(
                Arguments.of("a subscriber added", doc(shop("reports")), doc(shop("reports", "archive"))),
                Arguments.of(
                        "a cascaded subscriber added", doc(shop("reports")), doc(shop("reports", "archive<reports"))),
                Arguments.of("a subscriber removed", doc(shop("reports", "archive")), doc(shop("reports"))),
                Arguments.of(
                        "the end of a cascade removed", doc(shop("reports", "archive<reports")), doc(shop("reports"))),
                Arguments.of("the set removed", doc(shop("reports", "archive<reports")), doc()),
                Arguments.of(
                        "write protection turned off",
                        doc(shop("reports", "archive<reports")),
                        doc(shop(false, "reports", "archive<reports"))),
                Arguments.of(
                        "write protection turned on",
                        doc(shop(false, "reports", "archive<reports")),
                        doc(shop("reports", "archive<reports"))),
                Arguments.of(
                        "a table added",
                        doc(shop("reports", "archive<reports")),
                        doc(shop("reports", "archive<reports").withTables(List.of(ORDERS, CUSTOMERS, INVOICES)))),
                Arguments.of(
                        "a table removed",
                        doc(shop("reports", "archive<reports")),
                        doc(shop("reports", "archive<reports").withTables(List.of(CUSTOMERS)))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void aChangedDocumentIsReachedInOneRun(String what, SetsConfig before, SetsConfig after) {
        World w = World.synced(before);
        Plan first = w.plan(after);
        assertThat(first.problems()).as(what).isEmpty();
        assertThat(first.steps()).as(what).isNotEmpty();
        w.apply(after, first);
        assertThat(labels(w.plan(after))).as(what).isEmpty();
        assertThat(w.catalogs()).as(what).isEqualTo(World.synced(after).catalogs());
    }

    // --- what is created ---

    @Test
    void aSlotLeftWithoutItsSubscriptionIsDroppedAndMadeAgainNeverReused() {
        World w = World.bare();
        SetsConfig d = doc(shop("reports"));
        w.publish("main", d.sets().get("shop"));
        w.slot("main", "pghaset_shop_reports");
        Plan p = w.plan(d);
        assertThat(p.problems()).isEmpty();
        List<String> l = labels(p);
        assertThat(l)
                .containsSubsequence(
                        "DROP_SLOT main pghaset_shop_reports",
                        createSlot("main", "reports"),
                        subscribe("reports", "main"));
    }

    @Test
    void aProviderNobodyKnowsHowToReachIsAProblemNotAnEmptyConnectionString() {
        Map<String, String> conninfo = new LinkedHashMap<>(CONNINFO);
        conninfo.remove("main");
        World w = World.bare();
        Plan p = SetPlanner.plan(doc(shop("reports")), w.catalogs(), conninfo);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems()).anyMatch(x -> x.contains("how reports reaches its provider main is not known now"));
    }

    @Test
    void aColumnTheOriginLacksIsReportedOnceForTheOrigin() {
        SetsConfig d = doc(shop("reports"));
        ReplicationSet s = d.sets().get("shop");
        List<TableSpec> tables = new ArrayList<>(s.tables());
        tables.add(new TableSpec("public", "invoices", List.of("id", "phone"), null));
        Plan p = World.bare().plan(d.withSet(s.withTables(tables)));
        assertThat(p.problems()).anyMatch(x -> x.contains("has no column phone"));
        assertThat(p.problems()).noneMatch(x -> x.contains("lacks column public.invoices.phone"));
    }

    @Test
    void fromNothingACascadeIsBuiltPublicationsThenProtectionThenSubscriptionsProvidersFirst() {
        Plan p = World.bare().plan(doc(shop("reports", "archive<reports")));
        assertThat(p.problems()).isEmpty();
        assertThat(labels(p))
                .containsExactlyElementsOf(concat(
                        List.of(createPublication("main"), createPublication("reports")),
                        denyAll("reports"),
                        denyAll("archive"),
                        List.of(
                                createSlot("main", "reports"),
                                subscribe("reports", "main"),
                                createSlot("reports", "archive"),
                                awaitCopy("reports"),
                                subscribe("archive", "reports"))));
    }

    @Test
    void aMissingPublicationIsCreatedWithTheSetsTablesColumnsRowsAndSchemas() {
        SetsConfig doc = doc(shop("reports"));
        World w = World.synced(doc);
        String comment = w.pubs.get("main").get("pghaset_shop").comment();
        w.pubs.get("main").clear();
        Plan p = w.plan(doc);
        assertThat(p.problems()).isEmpty();
        assertThat(p.steps()).hasSize(1);
        Step s = p.steps().get(0);
        assertThat(s.kind()).isEqualTo(Step.Kind.SQL);
        assertThat(s.node()).isEqualTo("main");
        assertThat(s.database()).isEqualTo(DB);
        assertThat(s.set()).isEqualTo("shop");
        assertThat(s.sql())
                .containsExactly(
                        "CREATE PUBLICATION \"pghaset_shop\" FOR " + SHOP_SPEC,
                        "COMMENT ON PUBLICATION \"pghaset_shop\" IS '" + comment + "'");
        assertThat(comment).matches("pgha set shop [0-9a-f]{16}");
    }

    @Test
    void thePublicationSpec() {
        assertThat(SetPlanner.spec(shop())).isEqualTo(SHOP_SPEC);
        ReplicationSet quoted =
                shop().withTables(List.of(new TableSpec("public", "orders", List.of("id", "Total"), "note <> 'x''y'")));
        assertThat(SetPlanner.spec(quoted))
                .isEqualTo("TABLE \"public\".\"orders\" (\"id\", \"Total\") WHERE (note <> 'x''y'),"
                        + " TABLES IN SCHEMA \"catalog\"");
    }

    @Test
    void theCommentHashFollowsTheSpec() {
        assertThat(SetPlanner.hash(SHOP_SPEC)).matches("[0-9a-f]{16}");
        assertThat(SetPlanner.hash(SHOP_SPEC)).isNotEqualTo(SetPlanner.hash(SHOP_SPEC.replace("'test'", "'demo'")));
    }

    static Stream<Arguments> publicationChanges() {
        return Stream.of(
                Arguments.of(
                        "a table added",
                        List.of(ORDERS, CUSTOMERS, INVOICES),
                        List.of(
                                "main: ALTER PUBLICATION \"pghaset_shop\" SET "
                                        + SHOP_SPEC.replace(
                                                ", TABLES IN SCHEMA",
                                                ", TABLE \"public\".\"invoices\", TABLES IN SCHEMA"),
                                deny("reports", "public.invoices"),
                                refresh("reports")),
                        "tables added: public.invoices; removed: none"),
                Arguments.of(
                        "a table removed",
                        List.of(CUSTOMERS),
                        List.of(
                                "main: ALTER PUBLICATION \"pghaset_shop\" SET "
                                        + SHOP_SPEC.replace("TABLE \"public\".\"orders\", ", ""),
                                refresh("reports"),
                                allow("reports", "public.orders")),
                        "tables added: none; removed: public.orders"),
                Arguments.of(
                        "another row filter",
                        List.of(ORDERS, new TableSpec("public", "customers", CUSTOMERS.columns(), "country <> 'xx'")),
                        List.of("main: ALTER PUBLICATION \"pghaset_shop\" SET " + SHOP_SPEC.replace("'test'", "'xx'")),
                        null),
                Arguments.of(
                        "another column list",
                        List.of(
                                ORDERS,
                                new TableSpec("public", "customers", List.of("id", "country"), CUSTOMERS.where())),
                        List.of("main: ALTER PUBLICATION \"pghaset_shop\" SET " + SHOP_SPEC.replace("\"name\", ", "")),
                        null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("publicationChanges")
    void aChangedTableListAltersThePublicationAndRefreshesTheSubscribers(
            String what, List<TableSpec> tables, List<String> expected, String refreshSummary) {
        World w = World.synced(doc(shop("reports")));
        SetsConfig doc = doc(shop("reports").withTables(tables));
        Plan p = w.plan(doc);
        assertThat(p.problems()).as(what).isEmpty();
        assertThat(labels(p)).as(what).containsExactlyElementsOf(expected);
        Step alter = p.steps().get(0);
        assertThat(alter.sql().get(1))
                .isEqualTo("COMMENT ON PUBLICATION \"pghaset_shop\" IS 'pgha set shop "
                        + SetPlanner.hash(SetPlanner.spec(doc.sets().get("shop"))) + "'");
        if (refreshSummary != null)
            assertThat(p.steps().stream()
                            .filter(s -> label(s).equals(refresh("reports")))
                            .findFirst()
                            .orElseThrow()
                            .summary())
                    .contains(refreshSummary);
    }

    @Test
    void aChangedTableListAltersThePublicationOfEveryProvider() {
        World w = World.synced(doc(shop("reports", "archive<reports")));
        Plan p = w.plan(doc(shop("reports", "archive<reports").withTables(List.of(CUSTOMERS))));
        assertThat(labels(p))
                .filteredOn(l -> l.contains("ALTER PUBLICATION"))
                .extracting(l -> l.substring(0, l.indexOf(':')))
                .containsExactly("main", "reports");
        assertThat(labels(p)).contains(refresh("reports"), refresh("archive"));
    }

    @Test
    void aNewSubscriberIsProtectedThenGetsItsSlotOnItsProviderThenItsSubscription() {
        Plan p = World.synced(doc(shop("reports"))).plan(doc(shop("reports", "archive")));
        assertThat(p.problems()).isEmpty();
        assertThat(labels(p))
                .containsExactlyElementsOf(concat(
                        denyAll("archive"), List.of(createSlot("main", "archive"), subscribe("archive", "main"))));
        Step create = p.steps().get(4);
        assertThat(create.node()).isEqualTo("archive");
        assertThat(create.set()).isEqualTo("shop");
        assertThat(create.sql())
                .containsExactly(
                        "CREATE SUBSCRIPTION \"pghaset_shop_archive\" CONNECTION 'host=main.example port=5432"
                                + " user=postgres connect_timeout=10 dbname=app' PUBLICATION \"pghaset_shop\" WITH"
                                + " (create_slot = false, slot_name = 'pghaset_shop_archive', copy_data = true)",
                        "COMMENT ON SUBSCRIPTION \"pghaset_shop_archive\" IS 'pgha set shop provider main'");
        Step slot = p.steps().get(3);
        assertThat(slot.kind()).isEqualTo(Step.Kind.CREATE_SLOT);
        assertThat(slot.node()).isEqualTo("main");
        assertThat(slot.database()).isEqualTo(DB);
        assertThat(slot.object()).isEqualTo("pghaset_shop_archive");
        assertThat(slot.sql()).isEmpty();
        Step trigger = p.steps().get(0);
        assertThat(trigger.sql()).hasSize(2);
        assertThat(trigger.sql().get(0))
                .startsWith("CREATE SCHEMA IF NOT EXISTS pgha;")
                .contains("CREATE OR REPLACE FUNCTION pgha.set_deny()")
                .contains("read_only_sql_transaction");
    }

    @Test
    void aSubscriptionsConnectionStringIsQuotedAsALiteral() {
        Plan p = World.synced(doc(shop("reports"))).plan(doc(shop("reports", "archive<reports")));
        String create = p.steps().stream()
                .filter(s -> s.kind() == Step.Kind.SQL
                        && "archive".equals(s.node())
                        && s.sql().get(0).startsWith("CREATE SUBSCRIPTION"))
                .findFirst()
                .orElseThrow()
                .sql()
                .get(0);
        assertThat(create)
                .contains("CONNECTION 'host=reports.example port=5432 user=repl password=''s3 cret''"
                        + " connect_timeout=10 dbname=app'");
    }

    @Test
    void withoutProtectionNoTriggerIsMade() {
        Plan p = World.synced(doc(shop(false, "reports"))).plan(doc(shop(false, "reports", "archive")));
        assertThat(labels(p)).containsExactly(createSlot("main", "archive"), subscribe("archive", "main"));
    }

    @Test
    void theOriginIsNeverProtected() {
        Plan p = World.bare().plan(doc(shop("reports")));
        assertThat(labels(p)).noneMatch(l -> l.startsWith("main: CREATE TRIGGER"));
    }

    static Stream<Arguments> providerStates() {
        return Stream.of(
                Arguments.of("the provider has copied every table", 'r', false),
                Arguments.of("the provider's copy is synchronized", 's', false),
                Arguments.of("the provider is copying a table", 'd', true),
                Arguments.of("the provider has not begun a table", 'i', true),
                Arguments.of("the provider has finished a copy but not caught up", 'f', true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providerStates")
    void aCascadedSubscriberWaitsUntilItsProviderHasCopiedEveryTable(String what, char state, boolean waits) {
        World w = World.synced(doc(shop("reports")));
        w.change("reports", "pghaset_shop_reports", x -> {
            Map<String, Character> rels = new LinkedHashMap<>(x.relations());
            rels.put("public.customers", state);
            return sub(x, x.conninfo(), x.enabled(), x.comment(), rels);
        });
        Plan p = w.plan(doc(shop("reports", "archive<reports")));
        assertThat(p.problems()).as(what).isEmpty();
        List<String> expected = new ArrayList<>();
        expected.add(createPublication("reports"));
        expected.addAll(denyAll("archive"));
        expected.add(createSlot("reports", "archive"));
        if (waits) expected.add(awaitCopy("reports"));
        expected.add(subscribe("archive", "reports"));
        assertThat(labels(p)).as(what).containsExactlyElementsOf(expected);
    }

    @Test
    void aProviderSubscribedInTheSameRunIsWaitedForOnceAfterItsSubscription() {
        Plan p = World.bare().plan(doc(shop("reports", "archive<reports", "backup<reports")));
        List<String> l = labels(p);
        assertThat(l).containsOnlyOnce(awaitCopy("reports"));
        assertThat(l.indexOf(awaitCopy("reports")))
                .isGreaterThan(l.indexOf(subscribe("reports", "main")))
                .isLessThan(l.indexOf(subscribe("archive", "reports")))
                .isLessThan(l.indexOf(subscribe("backup", "reports")));
        assertThat(l.indexOf(createSlot("reports", "archive"))).isGreaterThan(l.indexOf(createPublication("reports")));
    }

    @Test
    void everyProtectionStepComesBeforeEverySubscriptionStep() {
        Plan p = World.bare().plan(doc(shop("reports", "archive<reports", "backup")));
        List<Step> steps = p.steps();
        int lastTrigger = -1;
        int firstSubscription = Integer.MAX_VALUE;
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (label(s).contains("CREATE TRIGGER")) lastTrigger = i;
            if (s.kind() != Step.Kind.SQL || label(s).contains("CREATE SUBSCRIPTION"))
                firstSubscription = Math.min(firstSubscription, i);
        }
        assertThat(lastTrigger).isEqualTo(3 * 3 + 1);
        assertThat(lastTrigger).isLessThan(firstSubscription);
    }

    // --- what is kept up to date ---

    @Test
    void aChangedConnectionStringIsAltered() {
        Map<String, String> moved = new HashMap<>(CONNINFO);
        moved.put("main", "host=main2.example port=5433 user=postgres connect_timeout=10");
        SetsConfig doc = doc(shop("reports", "archive<reports"));
        Plan p = SetPlanner.plan(doc, World.synced(doc).catalogs(), moved);
        assertThat(p.problems()).isEmpty();
        assertThat(labels(p))
                .containsExactly("reports: ALTER SUBSCRIPTION \"pghaset_shop_reports\" CONNECTION"
                        + " 'host=main2.example port=5433 user=postgres connect_timeout=10 dbname=app'");
    }

    @Test
    void differentRelationsAreRefreshed() {
        // a new table in schema catalog on every node: the publication has it already (TABLES IN
        // SCHEMA), the subscription does not until it is refreshed
        World w = World.synced(doc(shop("reports")));
        for (String n : NODES) w.table(n, table("catalog.prices", List.of("id", "price"), List.of("integer", "money")));
        Plan p = w.plan(doc(shop("reports")));
        assertThat(p.problems()).isEmpty();
        assertThat(labels(p)).containsExactly(deny("reports", "catalog.prices"), refresh("reports"));
        assertThat(p.steps().get(1).summary()).contains("tables added: catalog.prices; removed: none");
    }

    @Test
    void aRelationTheSubscriptionNoLongerNeedsIsRefreshedToo() {
        World w = World.synced(doc(shop("reports")));
        w.change("reports", "pghaset_shop_reports", x -> {
            Map<String, Character> rels = new LinkedHashMap<>(x.relations());
            rels.put("public.invoices", 'r');
            return sub(x, x.conninfo(), x.enabled(), x.comment(), rels);
        });
        Plan p = w.plan(doc(shop("reports")));
        assertThat(labels(p)).containsExactly(refresh("reports"));
        assertThat(p.steps().get(0).summary()).contains("tables added: none; removed: public.invoices");
    }

    @Test
    void aDisabledSubscriptionIsEnabled() {
        World w = World.synced(doc(shop("reports")));
        w.change("reports", "pghaset_shop_reports", x -> sub(x, x.conninfo(), false, x.comment(), x.relations()));
        assertThat(labels(w.plan(doc(shop("reports")))))
                .containsExactly("reports: ALTER SUBSCRIPTION \"pghaset_shop_reports\" ENABLE");
    }

    @Test
    void aMissingSlotOfAnExistingSubscriptionIsMadeAgain() {
        World w = World.synced(doc(shop("reports")));
        w.slots.get("main").clear();
        assertThat(labels(w.plan(doc(shop("reports"))))).containsExactly(createSlot("main", "reports"));
    }

    // --- what is removed ---

    @Test
    void aRemovedSubscriberLosesItsSubscriptionThenItsSlotThenItsProtection() {
        Plan p = World.synced(doc(shop("reports", "archive<reports"))).plan(doc(shop("reports")));
        assertThat(p.problems()).isEmpty();
        assertThat(labels(p))
                .containsExactlyElementsOf(concat(
                        List.of(
                                "DROP_SUBSCRIPTION archive pghaset_shop_archive",
                                "DROP_SLOT reports pghaset_shop_archive",
                                "reports: DROP PUBLICATION \"pghaset_shop\""),
                        allowAll("archive")));
        Step drop = p.steps().get(0);
        assertThat(drop.database()).isEqualTo(DB);
        assertThat(drop.sql()).isEmpty();
    }

    @Test
    void aRemovedSetIsTakenDownSubscriptionsFirstThenSlotsThenPublicationsAndTriggers() {
        Plan p = World.synced(doc(shop("reports", "archive<reports", "backup"))).plan(doc());
        assertThat(p.problems()).isEmpty();
        List<String> l = labels(p);
        assertThat(l)
                .containsExactlyInAnyOrderElementsOf(concat(
                        List.of(
                                "DROP_SUBSCRIPTION reports pghaset_shop_reports",
                                "DROP_SUBSCRIPTION archive pghaset_shop_archive",
                                "DROP_SUBSCRIPTION backup pghaset_shop_backup",
                                "DROP_SLOT main pghaset_shop_reports",
                                "DROP_SLOT main pghaset_shop_backup",
                                "DROP_SLOT reports pghaset_shop_archive",
                                "main: DROP PUBLICATION \"pghaset_shop\"",
                                "reports: DROP PUBLICATION \"pghaset_shop\""),
                        allowAll("reports"),
                        allowAll("archive"),
                        allowAll("backup")));
        assertThat(p.steps().stream().map(Step::kind).toList())
                .containsExactly(
                        Step.Kind.DROP_SUBSCRIPTION,
                        Step.Kind.DROP_SUBSCRIPTION,
                        Step.Kind.DROP_SUBSCRIPTION,
                        Step.Kind.DROP_SLOT,
                        Step.Kind.DROP_SLOT,
                        Step.Kind.DROP_SLOT,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL,
                        Step.Kind.SQL);
    }

    @Test
    void aStaleSlotNamedLikeASetsIsDropped() {
        World w = World.synced(doc(shop("reports")));
        w.slot("main", "pghaset_old_reports");
        assertThat(labels(w.plan(doc(shop("reports"))))).containsExactly("DROP_SLOT main pghaset_old_reports");
    }

    @Test
    void anOriginLeftProtectedAcceptsWritesAgain() {
        SetsConfig doc = doc(shop("reports"));
        World w = World.synced(doc);
        for (String t : SHOP_TABLES) w.deny("main", t, true);
        assertThat(labels(w.plan(doc))).containsExactlyElementsOf(allowAll("main"));
    }

    // --- nothing runs while a problem remains ---

    @Test
    void aSetBeingMovedIsLeftAlone() {
        SetsConfig doc = doc(shop("reports"));
        World w = World.synced(doc);
        // the move's lock step has protected the origin
        for (String t : SHOP_TABLES) w.deny("main", t, true);
        assertThat(w.plan(doc).steps()).isNotEmpty();
        SetsConfig moving = doc.withJournal(
                "shop", new Journal("move", "main", "reports", "catch-up", false, 1L, Map.of("lock_lsn", "0/5A3F2C8")));
        Plan p = w.plan(moving);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems())
                .containsExactly("set shop: a move from main to reports is in progress (step catch-up): pgha sets move"
                        + " shop --resume or --abort");
    }

    @Test
    void aFailoverInProgressIsNamedToo() {
        SetsConfig doc = doc(shop("reports"))
                .withJournal("shop", new Journal("failover", "main", "reports", "reverse", true, 1L, Map.of()));
        Plan p = World.bare().plan(doc);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems())
                .singleElement(InstanceOfAssertFactories.STRING)
                .contains("a failover from main to reports is in progress");
    }

    static Stream<Arguments> identities() {
        return Stream.of(
                Arguments.of("a primary key", 'd', true, false, true),
                Arguments.of("no primary key", 'd', false, false, false),
                Arguments.of("replica identity full", 'f', false, false, true),
                Arguments.of("replica identity using an index", 'i', false, true, true),
                Arguments.of("replica identity index without its index", 'i', false, false, false),
                Arguments.of("replica identity nothing", 'n', true, false, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("identities")
    void aTableWithoutPrimaryKeyOrReplicaIdentityOnTheOriginStopsEverything(
            String what, char identity, boolean pk, boolean index, boolean replicable) {
        World w = World.bare();
        Catalog.Table t = w.tables.get("main").get("public.orders");
        w.table("main", new Catalog.Table(t.name(), t.columns(), t.types(), identity, pk, index, false));
        Plan p = w.plan(doc(shop("reports")));
        if (replicable) {
            assertThat(p.problems()).as(what).isEmpty();
            assertThat(p.steps()).as(what).isNotEmpty();
        } else {
            assertThat(p.steps()).as(what).isEmpty();
            assertThat(p.problems())
                    .as(what)
                    .containsExactly("set shop: table public.orders has no primary key or replica identity on origin"
                            + " main, so its updates and deletes cannot be replicated: add a primary key, or ALTER"
                            + " TABLE public.orders REPLICA IDENTITY FULL");
        }
    }

    @Test
    void aTableOfASchemaWithoutKeyIsNamedToo() {
        World w = World.bare();
        w.table("main", new Catalog.Table("catalog.log", List.of("at"), List.of("text"), 'd', false, false, false));
        Plan p = w.plan(doc(shop("reports")));
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems()).anyMatch(x -> x.contains("table catalog.log has no primary key or replica identity"));
    }

    @Test
    void aTableWithoutKeyOnASubscriberIsAProblem() {
        World w = World.bare();
        Catalog.Table t = w.tables.get("reports").get("public.orders");
        w.table("reports", new Catalog.Table(t.name(), t.columns(), t.types(), 'd', false, false, false));
        Plan p = w.plan(doc(shop("reports")));
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems())
                .containsExactly("set shop: table public.orders has no primary key or replica identity on subscriber"
                        + " reports, so updates and deletes cannot find their rows there");
    }

    @Test
    void aTableMissingOnTheOriginIsAProblem() {
        World w = World.bare();
        w.tables.get("main").remove("public.orders");
        Plan p = w.plan(doc(shop("reports")));
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems()).contains("set shop: table public.orders does not exist on origin main");
    }

    @Test
    void aColumnListNamingAColumnTheOriginLacksIsAProblem() {
        World w = World.bare();
        Plan p = w.plan(doc(shop("reports")
                .withTables(List.of(ORDERS, new TableSpec("public", "customers", List.of("id", "phone"), null)))));
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems()).contains("set shop: table public.customers on origin main has no column phone");
    }

    static Stream<Arguments> subscriberSchemas() {
        return Stream.of(
                Arguments.of(
                        "a published column missing",
                        table("public.customers", List.of("id", "country", "email"), List.of("bigint", "text", "text")),
                        "set shop: subscriber reports lacks column public.customers.name (text)"),
                Arguments.of(
                        "a column of another type",
                        table(
                                "public.orders",
                                List.of("id", "total", "created"),
                                List.of("bigint", "integer", "timestamp with time zone")),
                        "set shop: column public.orders.total is integer on reports but numeric(10,2) on origin main"),
                Arguments.of(
                        "a column of a schema's table missing",
                        table("catalog.items", List.of("id"), List.of("integer")),
                        "set shop: subscriber reports lacks column catalog.items.label (text)"),
                Arguments.of(
                        "an unpublished column missing",
                        table("public.customers", List.of("id", "name", "country"), List.of("bigint", "text", "text")),
                        null),
                Arguments.of(
                        "an unpublished column of another type",
                        table(
                                "public.customers",
                                List.of("id", "name", "country", "email"),
                                List.of("bigint", "text", "text", "character varying(200)")),
                        null),
                Arguments.of(
                        "a column of its own, and the columns in another order",
                        table(
                                "public.orders",
                                List.of("created", "note", "total", "id"),
                                List.of("timestamp with time zone", "text", "numeric(10,2)", "bigint")),
                        null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subscriberSchemas")
    void aSubscriberNeedsEveryPublishedColumnWithItsType(String what, Catalog.Table onReports, String problem) {
        World w = World.bare();
        w.table("reports", onReports);
        Plan p = w.plan(doc(shop("reports")));
        if (problem == null) {
            assertThat(p.problems()).as(what).isEmpty();
            assertThat(p.steps()).as(what).isNotEmpty();
        } else {
            assertThat(p.problems()).as(what).containsExactly(problem);
            assertThat(p.steps()).as(what).isEmpty();
        }
    }

    @Test
    void aSubscriberWithoutATableIsToldToCreateIt() {
        World w = World.bare();
        w.tables.get("archive").remove("catalog.items");
        Plan p = w.plan(doc(shop("reports", "archive<reports")));
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems())
                .containsExactly("set shop: subscriber archive has no table catalog.items (create it, or subscribe with"
                        + " --copy-schema)");
    }

    @Test
    void anUnreachableSubscriberStopsEverything() {
        SetsConfig doc = doc(shop("reports", "archive"));
        World w = World.synced(doc(shop("reports")));
        w.unreachable.add("archive");
        Plan p = w.plan(doc);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems()).containsExactly("set shop: node archive cannot be reached (database app)");
    }

    @Test
    void anUnreachableNodeIsAProblemEvenWhenNothingElseIsToDo() {
        SetsConfig doc = doc(shop("reports"));
        World w = World.synced(doc);
        w.unreachable.add("reports");
        Plan p = w.plan(doc);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems()).containsExactly("set shop: node reports cannot be reached (database app)");
    }

    @Test
    void anUnreachableOriginStopsEverything() {
        World w = World.bare();
        w.unreachable.add("main");
        Plan p = w.plan(doc(shop("reports")));
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems()).containsExactly("set shop: its origin main cannot be reached (database app)");
    }

    @Test
    void aSubscriberInAnotherDatabaseOnlyIsUnreachable() {
        World w = World.bare();
        Map<String, Map<String, Catalog>> catalogs = w.catalogs();
        Catalog reports = catalogs.get("reports").get(DB);
        catalogs.put("reports", Map.of("postgres", reports));
        Plan p = SetPlanner.plan(doc(shop("reports")), catalogs, CONNINFO);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems()).containsExactly("set shop: node reports cannot be reached (database app)");
    }

    static Stream<Arguments> foreignComments() {
        return Stream.of(
                Arguments.of(
                        "pgha set shop provider archive", "reports replicates from archive, the document says main"),
                Arguments.of(null, "reports replicates from an unknown provider, the document says main"),
                Arguments.of("made by hand", "reports replicates from an unknown provider, the document says main"),
                Arguments.of(
                        "pgha set stock provider main",
                        "reports replicates from an unknown provider, the document says main"));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("foreignComments")
    void aSubscriptionFromAnotherProviderIsAProblem(String comment, String problem) {
        SetsConfig doc = doc(shop("reports"));
        World w = World.synced(doc);
        w.pubs.get("main").clear(); // so that there would be something to do
        w.change("reports", "pghaset_shop_reports", x -> sub(x, x.conninfo(), true, comment, x.relations()));
        Plan p = w.plan(doc);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems())
                .singleElement(InstanceOfAssertFactories.STRING)
                .startsWith("set shop: " + problem + ";");
    }

    @Test
    void aSlotOfAnotherKindOrDatabaseIsAProblem() {
        SetsConfig doc = doc(shop("reports"));
        World w = World.synced(doc);
        w.slots
                .get("main")
                .put(
                        "pghaset_shop_reports",
                        new Catalog.Slot(
                                "pghaset_shop_reports", "test_decoding", "postgres", false, Lsn.ZERO, Lsn.ZERO));
        Plan p = w.plan(doc);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems())
                .containsExactly(
                        "set shop: slot pghaset_shop_reports on main is for test_decoding in database postgres;"
                                + " drop it (pgha sets unsubscribe)");
    }

    @Test
    void anOriginWithoutLogicalWalIsAProblem() {
        World w = World.bare();
        Map<String, Map<String, Catalog>> catalogs = w.catalogs();
        Catalog c = catalogs.get("main").get(DB);
        catalogs.put(
                "main",
                Map.of(
                        DB,
                        new Catalog(
                                c.node(),
                                c.database(),
                                c.versionNum(),
                                "replica",
                                c.inRecovery(),
                                c.currentLsn(),
                                c.publications(),
                                c.subscriptions(),
                                c.slots(),
                                c.tables(),
                                c.ownedSequences())));
        Plan p = SetPlanner.plan(doc(shop("reports")), catalogs, CONNINFO);
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems())
                .contains("set shop: origin main has wal_level replica; logical replication needs wal_level = logical"
                        + " (set it and restart)");
    }

    @Test
    void everyProblemIsListedAtOnce() {
        World w = World.bare();
        w.unreachable.add("archive");
        w.table("reports", table("public.customers", List.of("id", "country"), List.of("bigint", "text")));
        Plan p = w.plan(doc(shop("reports", "archive")));
        assertThat(p.steps()).isEmpty();
        assertThat(p.problems())
                .containsExactlyInAnyOrder(
                        "set shop: node archive cannot be reached (database app)",
                        "set shop: subscriber reports lacks column public.customers.name (text)");
    }

    @Test
    void providersFirstOrdersACascade() {
        ReplicationSet s = shop("backup<archive", "archive<reports", "reports", "audit");
        assertThat(SetPlanner.providersFirst(s)).containsExactly("reports", "audit", "archive", "backup");
    }
}
