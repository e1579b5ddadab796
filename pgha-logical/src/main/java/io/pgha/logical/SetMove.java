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
 * {@code pgha sets move}: Slony-I's MOVE SET on logical replication. The origin's tables refuse
 * writes ({@code lock}); the new origin and every other direct subscriber confirm the origin's
 * position at that moment ({@code catch-up}); the sequences are copied ({@code sequences}); the new
 * origin publishes and gets a slot for each of its future direct subscribers while nobody can write,
 * so that each starts exactly where the new origin's data is ({@code prepare}); the new origin
 * accepts writes ({@code open}, the end of the write-blocked window); then it stops subscribing, and
 * the old origin and the other subscribers subscribe from it through those slots, without an initial
 * copy ({@code reverse}). The move is recorded in the DCS (the lock before it runs, the open step
 * with the set's new origin before its tables accept writes, the reverse step), so a move
 * interrupted at any point is resumed ({@code --resume}) or rolled back ({@code --abort}); at no
 * point do both nodes accept writes.
 */
public final class SetMove {
    public static final List<String> STEPS = List.of("lock", "catch-up", "sequences", "prepare", "open", "reverse");

    /** Test hook: the system property naming the step after which a move stops as if pgha had been killed. */
    static final String CRASH_AFTER = "pgha.test.sets.crash-after";

    /** Test hook: the system property with a pause (ms) after each subscriber the reverse step moves. */
    static final String REVERSE_PAUSE_MS = "pgha.test.sets.reverse-pause-ms";

    /** Where the move records its journal and, at the end, the set with its new origin. */
    public interface Store {
        void journal(String set, Journal j) throws Exception;

        /** Stores {@code set} (with its new origin) and {@code j} in one write. */
        void finish(ReplicationSet set, Journal j) throws Exception;
    }

    /**
     * @param blockedMs how long the set's tables refused writes (from lock to open)
     * @param stepMs how long each step run by this call took, in order
     */
    public record Outcome(String from, String to, Lsn lockLsn, long blockedMs, Map<String, Long> stepMs) {
        /** "lock 12 ms, catch-up 80 ms, ...": the steps this call ran. */
        public String steps() {
            List<String> out = new ArrayList<>();
            stepMs.forEach((step, ms) -> out.add(step + " " + ms + " ms"));
            return String.join(", ", out);
        }
    }

    private final SetsConfig doc;
    private final SetServers servers;
    private final Store store;
    private final Consumer<String> progress;
    private final SetOperations ops;
    private final long timeoutMs;

    public SetMove(SetsConfig doc, SetServers servers, Store store, Consumer<String> progress, long timeoutMs) {
        this.doc = doc;
        this.servers = new ReusedConnections(servers);
        this.store = store;
        this.progress = progress;
        this.ops = new SetOperations(doc, this.servers, progress);
        this.timeoutMs = timeoutMs;
    }

    private ReplicationSet set(String name) {
        return doc.requireSet(name);
    }

    /** Starts a move of {@code set} to {@code to}, or resumes the one recorded (when {@code to} is null or the same). */
    public Outcome move(String name, String to, boolean resume) throws Exception {
        try {
            return start(name, to, resume);
        } finally {
            servers.close();
        }
    }

    private Outcome start(String name, String to, boolean resume) throws Exception {
        ReplicationSet s = set(name);
        Journal j = doc.journal().get(name);
        if (j != null && !j.kind().equals("move"))
            throw new IllegalStateException(
                    "set " + name + " has a " + j.kind() + " in progress (step " + j.step() + "); finish it first");
        if (j != null && !resume)
            throw new IllegalStateException("set " + name + " is being moved from " + j.from() + " to " + j.to()
                    + " (stopped at step " + j.step() + (j.done() ? ", done" : "")
                    + "): pgha sets move " + name + " --resume or --abort");
        if (j == null && resume) throw new IllegalStateException("set " + name + " has no move to resume");
        if (j != null && to != null && !to.equals(j.to()))
            throw new IllegalStateException("the move in progress is to " + j.to() + ", not " + to);
        if (j == null) {
            if (to == null) throw new IllegalArgumentException("give the new origin: --to NODE");
            if (to.equals(s.origin())) throw new IllegalArgumentException(to + " is already the origin of set " + name);
            Subscriber sub = s.subscribers().get(to);
            if (sub == null)
                throw new IllegalArgumentException(to + " does not subscribe to set " + name + " (subscribers: "
                        + (s.subscribers().isEmpty()
                                ? "none"
                                : String.join(", ", s.subscribers().keySet())) + ")");
            if (sub.provider() != null)
                throw new IllegalArgumentException(to + " cascades from " + sub.provider()
                        + "; a set moves to a subscriber of its origin (move it to " + sub.provider() + " first)");
            checkReady(s, to);
            j = new Journal("move", s.origin(), to, STEPS.get(0), false, System.currentTimeMillis(), Map.of());
            store.journal(name, j);
        }
        return run(s, j);
    }

    /** Waits up to 30 s for {@code node} to stream the set (a subscription made a moment ago starts its worker). */
    private void checkReady(ReplicationSet s, String node) throws SQLException, InterruptedException {
        long until = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try (Connection c = servers.connect(node, s.database())) {
                Catalog cat = Catalog.read(node, c, List.of());
                Catalog.Subscription sub = cat.subscriptions().get(Names.subscription(s.name(), node));
                if (sub != null && sub.ready() && sub.workerPid() != 0) return;
                if (sub == null || !sub.enabled() || System.nanoTime() > until)
                    throw new IllegalStateException(node + " is not streaming set " + s.name() + " (pgha sets status "
                            + s.name() + " shows why); a set moves only to a subscriber that is");
            }
            Thread.sleep(200);
        }
    }

    private boolean pending(Journal j, String step) {
        int at = STEPS.indexOf(j.step());
        int want = STEPS.indexOf(step);
        return want > at || (want == at && !j.done());
    }

    private Journal record(String set, Journal j, String step, boolean done, Map<String, String> data)
            throws Exception {
        Journal next = j.at(step, done, data);
        store.journal(set, next);
        if (done) reached(step);
        return next;
    }

    /** The end of {@code step}: where the test hook stops a move as if pgha had been killed. */
    private static void reached(String step) {
        if (step.equals(System.getProperty(CRASH_AFTER)))
            throw new IllegalStateException("test: stopped after step " + step);
    }

    private Outcome run(ReplicationSet current, Journal j) throws Exception {
        String name = current.name();
        String from = j.from();
        String to = j.to();
        String db = current.database();
        // the set as it was before the move (the document changes only at open)
        ReplicationSet before = current.origin().equals(from) ? current : reversed(current, to, from);
        ReplicationSet after = reversed(before, from, to);
        Map<String, TableSpec> tables;
        try (Connection c = servers.connect(from, db)) {
            tables = SetPlanner.expand(before, Catalog.read(from, c, schemas(before)), new ArrayList<>());
        }
        // every node this move talks to, connected before the set refuses writes
        for (String n : before.subscribers().keySet()) servers.connect(n, db).close();
        Map<String, Long> stepMs = new LinkedHashMap<>();
        long t = System.nanoTime();
        Map<String, String> locked = j.data();
        if (pending(j, "lock")) {
            // recorded before it runs, not after: a lock that ran but was not recorded is simply
            // taken again by --resume (at a later position), and lifted by --abort all the same
            j = record(name, j, "lock", false, null);
            progress.accept("[1/6] refusing writes to set " + name + " on " + from);
            // writes wait from the moment the protection asks for its lock (writers queue behind it),
            // so the window is counted from there, not from its commit
            long locking = System.currentTimeMillis();
            Lsn lsn = deny(from, db, name, tables.keySet(), true);
            locked = Map.of("lock_lsn", lsn.toString(), "locked_at", String.valueOf(locking));
            reached("lock");
            progress.accept("      writes refused from " + lsn);
            t = lap(stepMs, "lock", t);
        }
        Lsn lockLsn = Lsn.parse(locked.get("lock_lsn"));
        // catch-up, sequences and prepare can simply run again, and --abort undoes them the same way
        // whether they ran or not: like the end of the lock, they are not recorded, which keeps DCS
        // writes (and their fsyncs) out of the write-blocked window but one, the open step's, which
        // also records the lock's position
        if (pending(j, "catch-up")) {
            for (String f : directSubscribers(before)) {
                progress.accept("[2/6] waiting for " + f + " to apply everything up to " + lockLsn);
                ops.awaitConfirmed(from, db, Names.subscription(name, f), lockLsn, timeoutMs);
            }
            reached("catch-up");
            t = lap(stepMs, "catch-up", t);
        }
        if (pending(j, "sequences")) {
            progress.accept("[3/6] copying the sequences from " + from);
            for (String line : SequenceSync.sync(before, servers, from, directSubscribers(before)))
                progress.accept("      " + line);
            reached("sequences");
            t = lap(stepMs, "sequences", t);
        }
        if (pending(j, "prepare")) {
            progress.accept("[4/6] " + to + " publishes set " + name + "; slots on it for "
                    + String.join(", ", directSubscribers(after)));
            prepare(after, to, tables);
            reached("prepare");
            t = lap(stepMs, "prepare", t);
        }
        if (pending(j, "open")) {
            Journal opening = j.at("open", false, locked);
            store.finish(after, opening);
            j = opening;
            progress.accept("[5/6] " + to + " accepts writes to set " + name);
            deny(to, db, name, tables.keySet(), false);
            t = lap(stepMs, "open", t);
            j = record(name, j, "open", true, Map.of("opened_at", String.valueOf(System.currentTimeMillis())));
        }
        if (pending(j, "reverse")) {
            j = record(name, j, "reverse", false, null);
            progress.accept("[6/6] " + to + " stops subscribing; " + String.join(", ", directSubscribers(after))
                    + " subscribe from it without a copy");
            repoint(after, from, to);
            j = record(name, j, "reverse", true, null);
            lap(stepMs, "reverse", t);
        }
        long now = System.currentTimeMillis();
        long lockedAt = Long.parseLong(j.data().getOrDefault("locked_at", String.valueOf(now)));
        long blocked = Long.parseLong(j.data().getOrDefault("opened_at", String.valueOf(now))) - lockedAt;
        store.journal(name, null);
        return new Outcome(from, to, lockLsn, blocked, stepMs);
    }

    /** Records how long {@code step} took since {@code since} (nanoTime); returns now. */
    private static long lap(Map<String, Long> stepMs, String step, long since) {
        long now = System.nanoTime();
        stepMs.put(step, (now - since) / 1_000_000);
        return now;
    }

    /**
     * Rolls back the move in progress: before the direction is reversed, the old origin accepts writes
     * again; after, the move is finished and made again in the other direction.
     */
    public Outcome abort(String name) throws Exception {
        try {
            return rollBack(name);
        } finally {
            servers.close();
        }
    }

    private Outcome rollBack(String name) throws Exception {
        ReplicationSet s = set(name);
        Journal j = doc.journal().get(name);
        if (j == null || !j.kind().equals("move"))
            throw new IllegalStateException("set " + name + " has no move to abort");
        int at = STEPS.indexOf(j.step());
        if (at < STEPS.indexOf("open")) {
            progress.accept("rolling back: " + j.from() + " accepts writes to set " + name + " again");
            // the slots prepared on the new origin for its future subscribers would keep WAL there
            ReplicationSet after = reversed(s, j.from(), j.to());
            String comment = Names.providerComment(name, j.to());
            for (String f : directSubscribers(after)) {
                String slot = Names.subscription(name, f);
                if (!comment.equals(subscriptionComment(f, s.database(), slot)))
                    ops.dropSlot(j.to(), s.database(), slot);
            }
            Set<String> tables;
            try (Connection c = servers.connect(j.from(), s.database())) {
                tables = SetPlanner.expand(s, Catalog.read(j.from(), c, schemas(s)), new ArrayList<>())
                        .keySet();
            }
            deny(j.from(), s.database(), name, tables, false);
            store.journal(name, null);
            return new Outcome(j.from(), j.from(), Lsn.ZERO, 0, Map.of());
        }
        progress.accept("the move to " + j.to() + " is past opening: finishing it, then moving back to " + j.from());
        run(s, j);
        SetsConfig moved = doc.withSet(
                        reversed(s.origin().equals(j.from()) ? s : reversed(s, j.to(), j.from()), j.from(), j.to()))
                .withJournal(name, null);
        return new SetMove(moved, servers, store, progress, timeoutMs).move(name, j.from(), false);
    }

    /** The subscribers that replicate from the set's origin. */
    static List<String> directSubscribers(ReplicationSet s) {
        List<String> out = new ArrayList<>();
        for (Subscriber sub : s.subscribers().values()) if (sub.provider() == null) out.add(sub.node());
        return out;
    }

    /**
     * {@code s} with {@code to} as origin: {@code from} and {@code from}'s other direct subscribers
     * subscribe from {@code to}; those cascading from {@code to} now replicate from the origin; the
     * rest keep their provider.
     */
    static ReplicationSet reversed(ReplicationSet s, String from, String to) {
        Map<String, Subscriber> subs = new LinkedHashMap<>();
        subs.put(from, new Subscriber(from, null));
        for (Subscriber sub : s.subscribers().values()) {
            if (sub.node().equals(to)) continue;
            String p = sub.provider() == null || sub.provider().equals(to) ? null : sub.provider();
            subs.put(sub.node(), new Subscriber(sub.node(), p));
        }
        return s.withOrigin(to, subs);
    }

    private static Set<String> schemas(ReplicationSet s) {
        Set<String> out = new LinkedHashSet<>(s.schemas());
        s.tables().forEach(t -> out.add(t.schema()));
        return out;
    }

    /**
     * Makes {@code tables} on {@code node} refuse ordinary writes (or accept them again), in one
     * transaction that waits for the writes in flight; returns the WAL position after it.
     */
    Lsn deny(String node, String db, String set, Set<String> tables, boolean on) throws SQLException {
        try (Connection c = servers.connect(node, db)) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                for (String sql : Sql.BRIEF_LOCK_WAIT) st.execute(sql);
                if (on) st.execute(SetPlanner.DENY_FUNCTION);
                for (String t : tables) {
                    st.execute("DROP TRIGGER IF EXISTS " + Sql.ident(Names.DENY_TRIGGER) + " ON " + Sql.table(t));
                    if (on) st.execute(SetPlanner.denyTrigger(t, set));
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
            c.setAutoCommit(true);
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                return Lsn.parse(rs.getString(1));
            }
        }
    }

    /** The comment of {@code node}'s subscription {@code sub} ("" without one), or null when it has none. */
    String subscriptionComment(String node, String db, String sub) throws SQLException {
        try (Connection c = servers.connect(node, db);
                PreparedStatement ps = c.prepareStatement(
                        "SELECT coalesce(obj_description(oid, 'pg_subscription'), '') FROM pg_subscription"
                                + " WHERE subname = ?")) {
            ps.setString(1, sub);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /**
     * The prepare step, while nobody can write to the set: the new origin publishes, and gets a slot
     * for each of its future direct subscribers, so that they start exactly where its data is. Each
     * part checks what is already done, so that it can run again.
     */
    private void prepare(ReplicationSet after, String to, Map<String, TableSpec> tables) throws Exception {
        String name = after.name();
        String db = after.database();
        Catalog n;
        try (Connection c = servers.connect(to, db)) {
            n = Catalog.read(to, c, schemas(after));
        }
        // the publication before the slots: a slot decodes with the catalog as of its creation
        Step pub = SetPlanner.publication(after, n, tables);
        if (pub != null) ops.apply(new Plan(List.of(pub), List.of()));
        List<String> direct = directSubscribers(after);
        String comment = Names.providerComment(name, to);
        for (String f : direct) {
            String slot = Names.subscription(name, f);
            if (n.slots().containsKey(slot)) {
                // kept only when f already streams from the new origin through it (it cascaded from
                // it, or this step ran before); any other slot of that name is stale
                if (comment.equals(subscriptionComment(f, db, slot))) continue;
                ops.dropSlot(to, db, slot);
            }
            // kept as a permanent slot of the new origin's cluster at once: a physical failover
            // there after the open step must not lose the changes it holds for its subscriber
            ops.createSlot(to, db, slot);
        }
    }

    /**
     * The reverse step, once the new origin takes writes: it stops subscribing (its slot on the old
     * origin goes with its subscription), and each future direct subscriber subscribes from it,
     * without a copy, through the slot the prepare step made. Can run again.
     *
     * <p>The old origin subscribes last. Once it applies the new origin's writes, it also publishes
     * them (PostgreSQL 15 cannot filter by origin) to whoever still subscribes from it; a subscriber
     * moved after that would get those writes a second time from the new origin's slot (a duplicate
     * key, and its subscription stops). So every other subscriber leaves the old origin first, and a
     * resumed reverse keeps that order: the old origin subscribes only once the others are done.
     */
    private void repoint(ReplicationSet after, String from, String to) throws Exception {
        String name = after.name();
        String db = after.database();
        List<String> direct = new ArrayList<>(directSubscribers(after));
        if (direct.remove(from)) direct.add(from);
        String comment = Names.providerComment(name, to);
        // the new origin stops subscribing (its slot on the old origin goes with the subscription)
        ops.dropSubscription(to, db, Names.subscription(name, to));
        String conn = servers.conninfo(to) + " dbname=" + db;
        for (String f : direct) {
            String sub = Names.subscription(name, f);
            String have = subscriptionComment(f, db, sub);
            boolean exists = have != null;
            if (comment.equals(have)) continue;
            // a subscription to the old provider counts positions in that provider's WAL: it is
            // dropped (with its slot there) and made again, starting where the new slot starts
            if (exists) ops.dropSubscription(f, db, sub);
            ops.apply(new Plan(List.of(SetPlanner.subscribe(name, f, to, db, conn, false)), List.of()));
            // test hook: time for the subscriber's worker to start and apply before the next one moves
            long pause = Long.getLong(REVERSE_PAUSE_MS, 0);
            if (pause > 0) Thread.sleep(pause);
        }
    }
}
