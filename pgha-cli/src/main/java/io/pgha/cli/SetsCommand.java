package io.pgha.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.agent.ClusterControl;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.config.ConfigException;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.config.SetsSettings;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import io.pgha.core.sets.SetsConfig.Subscriber;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsFactory;
import io.pgha.dcs.Json;
import io.pgha.logical.DcsServers;
import io.pgha.logical.Names;
import io.pgha.logical.Plan;
import io.pgha.logical.SchemaCopy;
import io.pgha.logical.SequenceSync;
import io.pgha.logical.SetFailover;
import io.pgha.logical.SetMove;
import io.pgha.logical.SetOperations;
import io.pgha.logical.SetScript;
import io.pgha.logical.SetServers;
import io.pgha.logical.SetStatus;
import io.pgha.logical.SetVerify;
import io.pgha.logical.Step;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgha sets}: replication sets on logical replication (see docs/sets.md). */
@Command(
        mixinStandardHelpOptions = true,
        name = "sets",
        description = {
            "Replication sets: chosen tables and sequences replicated from an origin to subscribers by"
                    + " PostgreSQL's logical replication, as Slony-I did (see docs/sets.md).",
            "The replication_sets document is kept in this cluster's DCS."
        },
        subcommands = {
            SetsCommand.Apply.class,
            SetsCommand.Subscribe.class,
            SetsCommand.Unsubscribe.class,
            SetsCommand.Status.class,
            SetsCommand.Verify.class,
            SetsCommand.Move.class,
            SetsCommand.ExecuteScript.class,
            SetsCommand.Failover.class,
            SetsCommand.Resync.class,
            SetsCommand.Skip.class,
            SetsCommand.SyncSequences.class
        })
final class SetsCommand {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The cluster whose DCS keeps the document, and the servers of the sets. */
    static final class Context implements AutoCloseable {
        final ClientConfig cfg;
        final Dcs dcs;
        final SetsConfig doc;
        final SetServers servers;

        Context(ClusterOptions cluster, SetsConfig override) throws Exception {
            cfg = cluster.client();
            dcs = cluster.connect(cfg);
            doc = override != null ? override : dcs.read().config().sets();
            servers = new DcsServers(doc, name -> {
                try {
                    return DcsFactory.connectedObserver(
                            cfg.dcs(),
                            name,
                            cfg.timing().ttlMs(),
                            Math.max(5000, cfg.timing().ttlMs() * 2));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            });
        }

        SetOperations ops(SetsConfig d) {
            return new SetOperations(d, servers, line -> System.out.println(line));
        }

        ReplicationSet set(String name) {
            return doc.requireSet(name);
        }

        /** Stores {@code d} as the document, validated as a whole. */
        void store(SetsConfig d) throws Exception {
            Map<String, Object> change = new LinkedHashMap<>();
            change.put(SetsSettings.SETS, SetsSettings.toMap(d, true).get(SetsSettings.SETS));
            new ClusterControl(dcs, System::currentTimeMillis).updateConfig(change);
        }

        /** A pgha cluster's last published WAL position (its leader's record), or null when not known. */
        Lsn lastKnown(String node) {
            SetsConfig.SetNode n = doc.nodes().get(node);
            if (n == null || !n.isCluster()) return null;
            try (Dcs other = DcsFactory.connectedObserver(
                    cfg.dcs(),
                    n.cluster(),
                    cfg.timing().ttlMs(),
                    Math.max(5000, cfg.timing().ttlMs() * 2))) {
                io.pgha.core.model.ClusterState c = other.read();
                Lsn best = null;
                for (io.pgha.core.model.Member m : c.members().values())
                    if (m.walPosition() != null
                            && (best == null || m.walPosition().compareTo(best) > 0)) best = m.walPosition();
                return best;
            } catch (Exception e) {
                return null;
            }
        }

        /** Records a move's or failover's steps, and the set with its new origin, in this cluster's DCS. */
        SetMove.Store store() {
            return new SetMove.Store() {
                @Override
                public void journal(String set, SetsConfig.Journal j) throws Exception {
                    dcs.updateConfig(c -> c.withSets(c.sets().withJournal(set, j)));
                }

                @Override
                public void finish(ReplicationSet s, SetsConfig.Journal j) throws Exception {
                    dcs.updateConfig(c -> c.withSets(c.sets().withSet(s).withJournal(s.name(), j)));
                }
            };
        }

        @Override
        public void close() {
            servers.close();
            dcs.close();
        }
    }

    /** The document in {@code file}: the replication_sets mapping itself, or a file with that key. */
    static Object readDocument(Path file) {
        Object doc;
        try {
            doc = YAML.readValue(Files.readString(file), Object.class);
        } catch (Exception e) {
            throw new ConfigException(
                    file + ": " + e.getMessage().lines().findFirst().orElse("cannot be read"));
        }
        if (doc instanceof Map<?, ?> m && m.containsKey(SetsSettings.SETS)) doc = m.get(SetsSettings.SETS);
        return doc;
    }

    /** {@code doc} checked as pgha edit-config would check it. */
    static SetsConfig validate(Object doc, SetsConfig current) {
        Map<String, Object> change = new LinkedHashMap<>();
        change.put(SetsSettings.SETS, doc);
        return DynamicSettings.apply(DynamicConfig.DEFAULT.withSets(current), change)
                .sets();
    }

    static void print(Plan plan) {
        if (!plan.problems().isEmpty()) {
            System.err.println("Cannot apply: fix these first (nothing was changed):");
            plan.problems().forEach(p -> System.err.println("  - " + p));
            return;
        }
        if (plan.steps().isEmpty()) {
            System.out.println("Nothing to change: the servers match the document.");
            return;
        }
        System.out.println(
                "Plan: " + plan.steps().size() + " change" + (plan.steps().size() == 1 ? "" : "s"));
        for (Step s : plan.steps()) System.out.println("  " + s);
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "apply",
            description = {
                "Make the servers match the replication_sets document: publications, slots, subscriptions"
                        + " and write protection. Shows the plan first; a second run changes nothing.",
                "With -f FILE, the document in FILE is validated, stored in the DCS and applied."
            })
    static final class Apply implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Option(
                names = {"-f", "--file"},
                paramLabel = "FILE",
                description = "a YAML file with the document (replication_sets: ...)")
        Path file;

        @Option(names = "--dry-run", description = "show the plan and change nothing")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            SetsConfig proposed = null;
            if (file != null) {
                try (Context probe = new Context(cluster, null)) {
                    proposed = validate(readDocument(file), probe.doc);
                }
            }
            try (Context ctx = new Context(cluster, proposed)) {
                SetOperations ops = ctx.ops(ctx.doc);
                Plan plan = ops.plan();
                print(plan);
                if (!plan.problems().isEmpty()) return 1;
                if (dryRun) return 0;
                if (proposed != null) ctx.store(proposed);
                if (plan.steps().isEmpty()) return 0;
                ops.apply(plan);
                System.out.println("Applied " + plan.steps().size() + " change"
                        + (plan.steps().size() == 1 ? "" : "s") + ".");
                return 0;
            }
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "subscribe",
            description = {
                "Subscribe a node to a set: check its tables and columns, optionally copy the schema, copy the"
                        + " data with progress by table, and wait until it has caught up with the provider's"
                        + " position at the time of subscribing."
            })
    static final class Subscribe implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "SET", description = "the set")
        String set;

        @Option(names = "--node", required = true, paramLabel = "NODE", description = "the subscriber")
        String node;

        @Option(
                names = "--provider",
                paramLabel = "NODE",
                description = "replicate from this subscriber instead of the origin (cascading)")
        String provider;

        @Option(
                names = "--copy-schema",
                description = "create the set's missing tables on the subscriber first (pg_dump --schema-only)")
        boolean copySchema;

        @Option(names = "--no-wait", description = "return once the subscription exists, without waiting for the copy")
        boolean noWait;

        @Option(
                names = "--timeout",
                paramLabel = "SECONDS",
                defaultValue = "3600",
                description = "how long to wait for the copy and the catch-up (default: ${DEFAULT-VALUE})")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            return subscribe(cluster, set, node, provider, copySchema, noWait, timeoutSeconds, false);
        }
    }

    /**
     * Adds {@code node} to {@code set} (from {@code provider}, or the origin) and subscribes it:
     * checks, optional schema copy, the data copy with progress, and the wait until it has caught up
     * with the provider's position at the start. With {@code truncate}, the node's copy of the set's
     * tables is emptied first (a resync).
     */
    static int subscribe(
            ClusterOptions cluster,
            String set,
            String node,
            String provider,
            boolean copySchema,
            boolean noWait,
            long timeoutSeconds,
            boolean truncate)
            throws Exception {
        SetsConfig next;
        ReplicationSet s;
        try (Context probe = new Context(cluster, null)) {
            s = probe.set(set);
            if (probe.doc.journal().containsKey(set))
                throw new IllegalStateException("set " + set + " has a "
                        + probe.doc.journal().get(set).kind() + " in progress; finish it first");
            if (!probe.doc.nodes().containsKey(node))
                throw new IllegalArgumentException("'" + node + "' is not a node of replication_sets (known: "
                        + String.join(", ", probe.doc.nodes().keySet()) + ")");
            if (node.equals(s.origin())) throw new IllegalArgumentException(node + " is the origin of set " + set);
            Map<String, Subscriber> subs = new LinkedHashMap<>(s.subscribers());
            Subscriber had = subs.get(node);
            String wanted = provider == null || provider.equals(s.origin()) ? null : provider;
            if (had != null && !truncate && !java.util.Objects.equals(had.provider(), wanted))
                throw new IllegalArgumentException(node + " already subscribes to " + set + " from "
                        + s.providerOf(node) + "; pgha sets unsubscribe it first to change its provider");
            subs.put(node, new Subscriber(node, wanted));
            Object doc = SetsSettings.toMap(probe.doc.withSet(s.withSubscribers(subs)), true)
                    .get(SetsSettings.SETS);
            next = validate(doc, probe.doc);
            s = next.sets().get(set);
        }
        try (Context ctx = new Context(cluster, next)) {
            SetOperations ops = ctx.ops(next);
            String from = s.providerOf(node);
            if (truncate) {
                System.out.println("emptying " + node + "'s copy of set " + set);
                ops.dropSubscription(node, s.database(), Names.subscription(set, node));
                ops.truncate(s, node);
            }
            if (copySchema) {
                java.nio.file.Path bin = io.pgha.postgres.Binaries.detect()
                        .orElseThrow(() -> new IllegalStateException(
                                "--copy-schema needs pg_dump and psql: no PostgreSQL binaries found"));
                SchemaCopy.copy(bin, ctx.servers, s, from, node, System.out::println);
            }
            Lsn at = ops.currentLsn(from, s.database());
            Plan plan = ops.plan();
            print(plan);
            if (!plan.problems().isEmpty()) return 1;
            ctx.store(next);
            ops.apply(plan);
            if (noWait) {
                System.out.println(
                        node + " subscribes to " + set + " from " + from + "; pgha sets status shows the copy.");
                return 0;
            }
            ops.awaitCopied(node, s.database(), Names.subscription(set, node), timeoutSeconds * 1000);
            ops.awaitConfirmed(from, s.database(), Names.subscription(set, node), at, timeoutSeconds * 1000);
            System.out.println(node + " has caught up with set " + set + " (" + from + " at " + at + ").");
            return 0;
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "resync",
            description = "Copy a set to a node again: its subscription is dropped, its copy of the set's tables"
                    + " emptied, and it subscribes with a full copy (after a conflict it cannot get past, or to"
                    + " bring back a lost origin as a subscriber).")
    static final class Resync implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "SET", description = "the set")
        String set;

        @Option(names = "--node", required = true, paramLabel = "NODE", description = "the node to copy to")
        String node;

        @Option(names = "--provider", paramLabel = "NODE", description = "replicate from this subscriber (cascading)")
        String provider;

        @Option(
                names = "--timeout",
                paramLabel = "SECONDS",
                defaultValue = "3600",
                description = "how long to wait for the copy and the catch-up (default: ${DEFAULT-VALUE})")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            return subscribe(cluster, set, node, provider, false, false, timeoutSeconds, true);
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "failover",
            description = {
                "Make a subscriber the origin of a set whose origin is lost: the one that applied the most (or"
                        + " --to). Subscribers that applied as much follow it; one that applied less is left out"
                        + " with the command that copies it again. Reports what may have been lost.",
                "A physical failover inside a pgha cluster is not a set failover: subscriptions follow it by"
                        + " themselves."
            })
    static final class Failover implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "SET", description = "the set")
        String set;

        @Option(names = "--to", paramLabel = "NODE", description = "the new origin (default: the most advanced)")
        String to;

        @Option(names = "--force", description = "fail over even though the origin answers")
        boolean force;

        @Override
        public Integer call() throws Exception {
            try (Context ctx = new Context(cluster, null)) {
                ReplicationSet s = ctx.set(set);
                Lsn last = ctx.lastKnown(s.origin());
                SetFailover.Outcome o = SetFailover.failover(
                        ctx.doc, set, to, ctx.servers, ctx.store(), last, force, System.out::println);
                System.out.println("Set " + set + " fails over from " + o.from() + " to " + o.to() + ", which applied"
                        + " the origin's WAL up to " + o.applied().get(o.to()) + ".");
                if (o.lostBytes() == null)
                    System.out.println("The origin's last position is unknown: what it committed after "
                            + o.applied().get(o.to()) + " may be lost.");
                else
                    System.out.println("The origin was last seen at " + o.originLastKnown() + ": at most "
                            + o.lostBytes() + " bytes of its WAL after "
                            + o.applied().get(o.to())
                            + " may be lost.");
                if (!o.repointed().isEmpty())
                    System.out.println("Following " + o.to() + ": " + String.join(", ", o.repointed()) + ".");
                for (String r : o.resync())
                    System.out.println(r + " applied less than " + o.to() + " and cannot follow it without losing"
                            + " rows: copy it again with pgha sets resync " + set + " --node " + r);
                System.out.println(o.from() + " is no longer in the set; when it is back, it still accepts writes to"
                        + " its tables: resync it as a subscriber (pgha sets resync " + set + " --node " + o.from()
                        + ") before anyone writes there.");
                return 0;
            }
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "unsubscribe",
            description = "Remove a node's subscription to a set and its slot on the provider (no slot is left"
                    + " behind to keep WAL forever). The node's tables and data stay.")
    static final class Unsubscribe implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "SET", description = "the set")
        String set;

        @Option(names = "--node", required = true, paramLabel = "NODE", description = "the subscriber")
        String node;

        @Override
        public Integer call() throws Exception {
            SetsConfig next;
            try (Context probe = new Context(cluster, null)) {
                ReplicationSet s = probe.set(set);
                if (!s.subscribers().containsKey(node))
                    throw new IllegalArgumentException("'" + node + "' does not subscribe to set " + set
                            + " (subscribers: "
                            + (s.subscribers().isEmpty()
                                    ? "none"
                                    : String.join(", ", s.subscribers().keySet())) + ")");
                List<String> below = new ArrayList<>();
                for (Subscriber sub : s.subscribers().values()) if (node.equals(sub.provider())) below.add(sub.node());
                if (!below.isEmpty())
                    throw new IllegalArgumentException(
                            String.join(", ", below) + " cascade from " + node + "; unsubscribe them first");
                Map<String, Subscriber> subs = new LinkedHashMap<>(s.subscribers());
                subs.remove(node);
                next = validate(
                        SetsSettings.toMap(probe.doc.withSet(s.withSubscribers(subs)), true)
                                .get(SetsSettings.SETS),
                        probe.doc);
            }
            try (Context ctx = new Context(cluster, next)) {
                SetOperations ops = ctx.ops(next);
                Plan plan = ops.plan();
                print(plan);
                if (!plan.problems().isEmpty()) return 1;
                ctx.store(next);
                ops.apply(plan);
                System.out.println(node + " no longer subscribes to " + set + ".");
                return 0;
            }
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "status",
            description = "Show each subscriber of each set: state (copying, catching up, streaming, broken and"
                    + " why), lag in bytes and seconds, the WAL its slot keeps, and its last error.")
    static final class Status implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Mixin
        FormatOption output;

        @Parameters(arity = "0..1", paramLabel = "SET", description = "only this set")
        String set;

        @Override
        public Integer call() throws Exception {
            try (Context ctx = new Context(cluster, null)) {
                if (set != null) ctx.set(set);
                List<SetStatus> rows = SetStatus.collect(ctx.doc, ctx.servers, set);
                if (output.json()) {
                    List<Object> out = new ArrayList<>();
                    for (SetStatus r : rows) out.add(r.toMap());
                    System.out.println(Json.pretty(out));
                    return 0;
                }
                if (ctx.doc.sets().isEmpty()) {
                    System.out.println("No replication sets (pgha sets apply -f FILE defines them; see docs/sets.md).");
                    return 0;
                }
                Table t = new Table("Set", "Subscriber", "Provider", "State", "Tables", "Lag", "Lag (s)", "Slot keeps");
                for (SetStatus r : rows) {
                    t.add(
                            r.set(),
                            r.node(),
                            r.provider(),
                            r.state(),
                            r.tablesReady() + "/" + r.tables(),
                            r.lagBytes() == null ? "" : bytes(r.lagBytes()),
                            r.lagSeconds() == null ? "" : String.format("%.1f", r.lagSeconds()),
                            r.retainedBytes() == null ? "" : bytes(r.retainedBytes()));
                }
                System.out.print(t.render());
                for (SetStatus r : rows) {
                    if (r.reason() != null) System.out.println(r.set() + " on " + r.node() + ": " + r.reason());
                    if (r.lastError() != null) System.out.println(r.set() + " on " + r.node() + ": " + r.lastError());
                }
                return rows.stream().anyMatch(r -> r.state().equals("broken")) ? 2 : 0;
            }
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "verify",
            description = {
                "Compare every table of a set on the origin and each subscriber: row counts and an MD5 of each"
                        + " row in primary-key order, streamed in batches. Names the tables that differ.",
                "Writes to the set's tables on the origin wait while the subscribers catch up to one consistent"
                        + " point (the time is shown); the comparison itself runs on snapshots while writes go on."
            })
    static final class Verify implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Mixin
        FormatOption output;

        @Parameters(paramLabel = "SET", description = "the set")
        String set;

        @Option(
                names = "--timeout",
                paramLabel = "SECONDS",
                defaultValue = "60",
                description = "how long the subscribers may take to reach the consistent point (default:"
                        + " ${DEFAULT-VALUE})")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            try (Context ctx = new Context(cluster, null)) {
                ReplicationSet s = ctx.set(set);
                SetVerify.Result r = SetVerify.verify(
                        s, ctx.servers, output.json() ? line -> {} : System.out::println, timeoutSeconds * 1000);
                List<String> differ = new ArrayList<>();
                for (SetVerify.TableResult t : r.tables()) if (!t.matches()) differ.add(t.table() + " on " + t.node());
                if (output.json()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("set", set);
                    m.put("matches", r.matches());
                    m.put("writes_blocked_ms", r.blockedMs());
                    List<Object> tables = new ArrayList<>();
                    for (SetVerify.TableResult t : r.tables()) {
                        Map<String, Object> tm = new LinkedHashMap<>();
                        tm.put("table", t.table());
                        tm.put("node", t.node());
                        tm.put("origin_rows", t.originRows());
                        tm.put("rows", t.rows());
                        tm.put("differing", t.differing());
                        tm.put("first_differing_key", t.firstKey());
                        tm.put("matches", t.matches());
                        tables.add(tm);
                    }
                    m.put("tables", tables);
                    System.out.println(Json.pretty(m));
                } else if (r.matches()) {
                    System.out.println("Set " + set + ": every table matches on every subscriber.");
                } else {
                    System.out.println("Set " + set + ": these tables differ: " + String.join(", ", differ));
                }
                return r.matches() ? 0 : 1;
            }
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "sync-sequences",
            description = "Copy the sequences of a set (or of every set) from the origin to the subscribers now;"
                    + " a sequence never goes backwards on a subscriber. The agents also do this every"
                    + " replication_sets.sequence_sync_interval.")
    static final class SyncSequences implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(arity = "0..1", paramLabel = "SET", description = "only this set")
        String set;

        @Override
        public Integer call() throws Exception {
            try (Context ctx = new Context(cluster, null)) {
                if (set != null) ctx.set(set);
                for (ReplicationSet s : ctx.doc.sets().values()) {
                    if (set != null && !set.equals(s.name())) continue;
                    List<String> report = SequenceSync.sync(
                            s,
                            ctx.servers,
                            s.origin(),
                            new ArrayList<>(s.subscribers().keySet()));
                    if (report.isEmpty()) System.out.println(s.name() + ": every sequence is up to date");
                    report.forEach(line -> System.out.println(s.name() + ": " + line));
                }
                return 0;
            }
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "move",
            description = {
                "Make a subscriber the set's origin without losing a row (Slony-I's MOVE SET): the origin refuses"
                        + " writes (lock), the new origin catches up (catch-up), the sequences are copied"
                        + " (sequences), the new origin publishes and gets slots for its future subscribers"
                        + " (prepare), the new origin accepts writes (open), then the old origin and the other"
                        + " subscribers subscribe from it without a copy (reverse). Prints how long writes were"
                        + " refused, and each step's time.",
                "The move is recorded in the DCS: a move that was interrupted is finished with --resume or rolled"
                        + " back with --abort."
            })
    static final class Move implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "SET", description = "the set")
        String set;

        @Option(names = "--to", paramLabel = "NODE", description = "the new origin (a subscriber of the origin)")
        String to;

        @Option(names = "--resume", description = "finish the move in progress")
        boolean resume;

        @Option(names = "--abort", description = "roll back the move in progress")
        boolean abort;

        @Option(
                names = "--timeout",
                paramLabel = "SECONDS",
                defaultValue = "60",
                description = "how long the subscribers may take to catch up (default: ${DEFAULT-VALUE})")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            if (resume && abort) throw new IllegalArgumentException("give --resume or --abort, not both");
            if (to == null && !resume && !abort)
                throw new IllegalArgumentException("give --to NODE (or --resume, --abort)");
            try (Context ctx = new Context(cluster, null)) {
                ctx.set(set);
                SetMove move =
                        new SetMove(ctx.doc, ctx.servers, ctx.store(), System.out::println, timeoutSeconds * 1000);
                SetMove.Outcome o = abort ? move.abort(set) : move.move(set, to, resume);
                if (o.from().equals(o.to()))
                    System.out.println("Move rolled back: " + o.from() + " is the origin of set " + set + " again.");
                else
                    System.out.println("Set " + set + " moved from " + o.from() + " to " + o.to()
                            + "; writes were refused" + " for " + o.blockedMs() + " ms (" + o.steps() + ").");
                return 0;
            }
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "execute-script",
            description = {
                "Run a DDL script on the set's origin and every subscriber so that replication never breaks"
                        + " (Slony-I's EXECUTE SCRIPT). It runs everywhere in one transaction per node, and the"
                        + " transactions commit only once it has run on every node; a failure rolls back every"
                        + " node and names the node and the statement.",
                "--mode add (new columns or tables): subscribers commit first; remove (dropped columns or"
                        + " tables): the origin first; at-once: writes to the set wait while the subscribers catch"
                        + " up, then every node commits at that one point.",
                "Keep data changes out of scripts: they belong on the origin, which replicates them."
            })
    static final class ExecuteScript implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(index = "0", paramLabel = "SET", description = "the set")
        String set;

        @Parameters(index = "1", paramLabel = "FILE", description = "the SQL script")
        Path file;

        @Option(
                names = "--mode",
                required = true,
                paramLabel = "MODE",
                description = "add, remove or at-once (see above)")
        String mode;

        @Option(
                names = "--add-table",
                paramLabel = "TABLE",
                description = "put this table (schema.name), which the script creates, into the set (repeatable)")
        List<String> addTables = new ArrayList<>();

        @Option(
                names = "--timeout",
                paramLabel = "SECONDS",
                defaultValue = "60",
                description = "at-once: how long the subscribers may take to catch up (default: ${DEFAULT-VALUE})")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            SetScript.Mode m = SetScript.Mode.parse(mode);
            String script = Files.readString(file);
            SetsConfig next;
            try (Context probe = new Context(cluster, null)) {
                ReplicationSet s = probe.set(set);
                if (probe.doc.journal().containsKey(set))
                    throw new IllegalStateException("set " + set + " has a "
                            + probe.doc.journal().get(set).kind() + " in progress; finish it first (pgha sets move "
                            + set + " --resume or --abort)");
                next = probe.doc;
                if (!addTables.isEmpty()) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> doc = (Map<String, Object>)
                            SetsSettings.toMap(probe.doc, true).get(SetsSettings.SETS);
                    @SuppressWarnings("unchecked")
                    Map<String, Object> sm = (Map<String, Object>) ((Map<String, Object>) doc.get("sets")).get(set);
                    @SuppressWarnings("unchecked")
                    List<Object> tables = new ArrayList<>((List<Object>) sm.getOrDefault("tables", List.of()));
                    tables.addAll(addTables);
                    sm.put("tables", tables);
                    next = validate(doc, probe.doc);
                }
                try (Context ctx = new Context(cluster, null)) {
                    SetScript.Outcome o =
                            SetScript.run(s, ctx.servers, script, m, System.out::println, timeoutSeconds * 1000);
                    System.out.println("The script is committed on " + String.join(", ", o.committed())
                            + (m == SetScript.Mode.AT_ONCE ? "; writes to the set waited " + o.blockedMs() + " ms" : "")
                            + ".");
                } catch (SetScript.ScriptFailed e) {
                    System.err.println("error: " + e.getMessage());
                    return 1;
                }
            }
            if (!addTables.isEmpty()) {
                try (Context ctx = new Context(cluster, next)) {
                    SetOperations ops = ctx.ops(next);
                    Plan plan = ops.plan();
                    print(plan);
                    if (!plan.problems().isEmpty()) return 1;
                    ctx.store(next);
                    ops.apply(plan);
                    ReplicationSet s = next.sets().get(set);
                    for (String sub : s.subscribers().keySet())
                        ops.awaitCopied(sub, s.database(), io.pgha.logical.Names.subscription(set, sub));
                    System.out.println("Set " + set + " now holds " + String.join(", ", addTables) + ".");
                }
            }
            return 0;
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "skip",
            description = "Skip the one remote transaction a subscriber cannot apply (a conflict), as pgha sets status"
                    + " names it: its changes are lost on that subscriber, so fix the rows by hand if they matter"
                    + " (or resync it). Enables the subscription again if it was disabled.")
    static final class Skip implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "SET", description = "the set")
        String set;

        @Option(names = "--node", required = true, paramLabel = "NODE", description = "the subscriber")
        String node;

        @Option(
                names = "--lsn",
                required = true,
                paramLabel = "LSN",
                description = "where the failing transaction finished (from pgha sets status)")
        String lsn;

        @Override
        public Integer call() throws Exception {
            Lsn at;
            try {
                at = Lsn.parse(lsn);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--lsn: '" + lsn + "' is not a WAL position (like 0/5A40120)");
            }
            try (Context ctx = new Context(cluster, null)) {
                ReplicationSet s = ctx.set(set);
                if (!s.subscribers().containsKey(node))
                    throw new IllegalArgumentException("'" + node + "' does not subscribe to set " + set);
                String sub = Names.subscription(set, node);
                try (java.sql.Connection c = ctx.servers.connect(node, s.database());
                        java.sql.Statement st = c.createStatement()) {
                    st.execute("ALTER SUBSCRIPTION \"" + sub + "\" SKIP (lsn = '" + at + "')");
                    st.execute("ALTER SUBSCRIPTION \"" + sub + "\" ENABLE");
                }
                System.out.println(node + " skips the transaction of set " + set + " that finished at " + at + ".");
                return 0;
            }
        }
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format("%.1f kB", b / 1024.0);
        if (b < 1024L * 1024 * 1024) return String.format("%.1f MB", b / 1048576.0);
        return String.format("%.1f GB", b / 1073741824.0);
    }
}
