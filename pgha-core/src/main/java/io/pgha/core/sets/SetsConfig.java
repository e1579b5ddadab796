package io.pgha.core.sets;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code replication_sets} document of the dynamic config: the nodes sets live on, the sets,
 * and the journal of the move or failover in progress for each set.
 *
 * @param nodes by name, in the order they were written
 * @param sets by name, in the order they were written
 * @param sequenceSyncMs how often sequence values are copied from each set's origin to its
 *     subscribers (0: only at moves, failovers and {@code pgha sets sync-sequences})
 * @param journal the move or failover in progress, by set name: each step is recorded before and
 *     after it runs, so that an interrupted one can be resumed or rolled back
 */
public record SetsConfig(
        Map<String, SetNode> nodes,
        Map<String, ReplicationSet> sets,
        long sequenceSyncMs,
        Map<String, Journal> journal) {
    public static final long DEFAULT_SEQUENCE_SYNC_MS = 10_000;
    public static final SetsConfig NONE = new SetsConfig(Map.of(), Map.of(), DEFAULT_SEQUENCE_SYNC_MS, Map.of());

    public SetsConfig {
        nodes = nodes == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        sets = sets == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(sets));
        journal = journal == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(journal));
    }

    public boolean empty() {
        return nodes.isEmpty() && sets.isEmpty() && journal.isEmpty() && sequenceSyncMs == DEFAULT_SEQUENCE_SYNC_MS;
    }

    public Optional<ReplicationSet> set(String name) {
        return Optional.ofNullable(sets.get(name));
    }

    /** The set named {@code name}; an error lists the sets there are. */
    public ReplicationSet requireSet(String name) {
        ReplicationSet s = sets.get(name);
        if (s == null)
            throw new IllegalArgumentException("no replication set named '" + name + "' (sets: "
                    + (sets.isEmpty() ? "none" : String.join(", ", sets.keySet())) + ")");
        return s;
    }

    public SetsConfig withSet(ReplicationSet s) {
        Map<String, ReplicationSet> m = new LinkedHashMap<>(sets);
        m.put(s.name(), s);
        return new SetsConfig(nodes, m, sequenceSyncMs, journal);
    }

    /** With {@code j} recorded for its set, or the set's entry removed when {@code j} is null. */
    public SetsConfig withJournal(String set, Journal j) {
        Map<String, Journal> m = new LinkedHashMap<>(journal);
        if (j == null) m.remove(set);
        else m.put(set, j);
        return new SetsConfig(nodes, sets, sequenceSyncMs, m);
    }

    /**
     * A server a set lives on: a pgha cluster in the same DCS, reached through its current primary
     * (so that it survives the cluster's own failovers), or a plain PostgreSQL server.
     *
     * @param cluster a pgha cluster's name (exclusive with {@code dsn})
     * @param dsn a libpq connection string without dbname (one host, or several with
     *     target_session_attrs=read-write)
     * @param user the role pgha and the subscriptions connect as (a superuser, or a role with
     *     replication and the set's tables)
     * @param password its password, or null (libpq then uses ~/.pgpass on the subscriber)
     */
    public record SetNode(String name, String cluster, String dsn, String user, String password) {
        public boolean isCluster() {
            return cluster != null;
        }
    }

    /** One table of a set: a whole table, or some of its columns and rows (PostgreSQL 15). */
    public record TableSpec(String schema, String table, List<String> columns, String where) {
        public TableSpec {
            columns = columns == null ? List.of() : List.copyOf(columns);
        }

        /** {@code schema.table}, as written in a set. */
        public String qualified() {
            return schema + "." + table;
        }
    }

    /**
     * One subscriber of a set.
     *
     * @param provider the node it replicates from: the set's origin (null) or another subscriber
     *     (cascading)
     */
    public record Subscriber(String node, String provider) {}

    /**
     * A set of tables and sequences replicated from one origin.
     *
     * @param database the database the set lives in, the same on every node
     * @param tables named tables, in order
     * @param schemas every table in these schemas, now and later
     * @param sequences sequences copied by value (PostgreSQL 15 does not replicate them)
     * @param ownedSequences also copy the sequences owned by the set's tables (serial, identity)
     * @param protect subscribers refuse ordinary writes to the set's tables (as Slony-I did)
     */
    public record ReplicationSet(
            String name,
            String database,
            String origin,
            List<TableSpec> tables,
            List<String> schemas,
            List<String> sequences,
            boolean ownedSequences,
            Map<String, Subscriber> subscribers,
            boolean protect) {
        public ReplicationSet {
            tables = tables == null ? List.of() : List.copyOf(tables);
            schemas = schemas == null ? List.of() : List.copyOf(schemas);
            sequences = sequences == null ? List.of() : List.copyOf(sequences);
            subscribers =
                    subscribers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(subscribers));
        }

        /** The node {@code node} replicates from: its provider, or the origin. */
        public String providerOf(String node) {
            Subscriber s = subscribers.get(node);
            return s == null || s.provider() == null ? origin : s.provider();
        }

        /** Every node of the set: the origin first, then the subscribers in order. */
        public List<String> nodes() {
            List<String> out = new java.util.ArrayList<>();
            out.add(origin);
            out.addAll(subscribers.keySet());
            return out;
        }

        public ReplicationSet withOrigin(String newOrigin, Map<String, Subscriber> newSubscribers) {
            return new ReplicationSet(
                    name, database, newOrigin, tables, schemas, sequences, ownedSequences, newSubscribers, protect);
        }

        public ReplicationSet withTables(List<TableSpec> t) {
            return new ReplicationSet(
                    name, database, origin, t, schemas, sequences, ownedSequences, subscribers, protect);
        }

        public ReplicationSet withSubscribers(Map<String, Subscriber> s) {
            return new ReplicationSet(name, database, origin, tables, schemas, sequences, ownedSequences, s, protect);
        }
    }

    /**
     * The move or failover in progress for a set.
     *
     * @param kind move or failover
     * @param from the origin when it began
     * @param to the new origin
     * @param step the last step begun (see docs/sets.md for the steps)
     * @param done whether {@code step} has finished
     * @param startedAt when it began (epoch ms)
     * @param data what later steps need: the positions recorded by earlier ones
     */
    public record Journal(
            String kind, String from, String to, String step, boolean done, long startedAt, Map<String, String> data) {
        public Journal {
            data = data == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(data));
        }

        public Journal at(String nextStep, boolean isDone, Map<String, String> more) {
            Map<String, String> d = new LinkedHashMap<>(data);
            if (more != null) d.putAll(more);
            return new Journal(kind, from, to, nextStep, isDone, startedAt, d);
        }
    }
}
