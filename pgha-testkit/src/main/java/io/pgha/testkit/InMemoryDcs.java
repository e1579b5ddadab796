package io.pgha.testkit;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.RouterStatus;
import io.pgha.core.model.SlotPositions;
import io.pgha.core.model.SyncState;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * A {@link Dcs} in memory, for component tests that need a whole DCS in milliseconds. It passes
 * the same contract suite as ZooKeeper ({@code DcsContract}): a {@link Store} plays the server,
 * each client ({@link Store#connect()}) is a session whose ephemeral entries (members, the leader
 * key, routers) vanish when it is closed or {@linkplain Store#expire expired}. Tests can also make
 * the store unreachable ({@link Store#reachable(boolean)}). Thread-safe: every operation holds the
 * store's lock; listeners run after it is released, on the calling thread.
 */
public final class InMemoryDcs implements Dcs {
    /** The shared state of one cluster: what a ZooKeeper ensemble holds under the cluster's path. */
    public static final class Store {
        private final AtomicLong sessions = new AtomicLong();
        private final List<InMemoryDcs> clients = new CopyOnWriteArrayList<>();
        private final long sessionTimeoutMs;
        private volatile boolean reachable = true;
        private String initialize;
        private String leader;
        private long leaderSession;
        /** When the leader key last went (System.nanoTime()); see {@link Dcs#leaderGoneNanos()}. */
        private volatile long leaderGoneNanos;

        private final Map<String, Member> members = new HashMap<>();
        private final Map<String, Long> memberSessions = new HashMap<>();
        private final Map<String, RouterStatus> routers = new HashMap<>();
        private final Map<String, Long> routerSessions = new HashMap<>();
        private DynamicConfig config = DynamicConfig.DEFAULT;
        private FailoverRequest failover;
        private Lsn optime = Lsn.ZERO;
        private final List<HistoryEntry> history = new ArrayList<>();
        private SyncState sync = SyncState.EMPTY;
        private SlotPositions slots = SlotPositions.EMPTY;

        public Store(long sessionTimeoutMs) {
            this.sessionTimeoutMs = sessionTimeoutMs;
        }

        public Store() {
            this(10_000);
        }

        /** A new client with its own session. */
        public InMemoryDcs connect() {
            InMemoryDcs c = new InMemoryDcs(this, sessions.incrementAndGet());
            clients.add(c);
            return c;
        }

        /**
         * Replaces everything with {@code c}, as if written by clients that are still connected: its
         * members and leader key belong to no session of this store's clients.
         */
        public Store load(ClusterState c) {
            synchronized (this) {
                initialize = c.initialize();
                leader = c.leader();
                leaderSession = 0;
                members.clear();
                memberSessions.clear();
                members.putAll(c.members());
                c.members().keySet().forEach(m -> memberSessions.put(m, 0L));
                config = c.config();
                failover = c.failover();
                optime = c.leaderOptime();
                history.clear();
                history.addAll(c.history());
                sync = c.sync();
                slots = c.slots();
            }
            notifyAll(true);
            return this;
        }

        /** Makes every call fail as if the servers were gone (true again: back). */
        public void reachable(boolean yes) {
            reachable = yes;
            notifyAll(true);
        }

        /** Ends {@code client}'s session as the server would after its timeout: its ephemeral entries vanish. */
        public void expire(InMemoryDcs client) {
            synchronized (this) {
                endSession(client.session);
            }
            client.expired = true;
            notifyAll(true);
        }

        /** What every client would read now (also while unreachable). */
        public synchronized ClusterState snapshot() {
            return new ClusterState(
                    initialize,
                    leader,
                    Map.copyOf(members),
                    config,
                    failover,
                    optime,
                    List.copyOf(history),
                    sync,
                    slots);
        }

        private void endSession(long session) {
            if (leader != null && leaderSession == session) {
                leader = null;
                leaderGoneNanos = System.nanoTime();
            }
            memberSessions.entrySet().removeIf(e -> {
                if (e.getValue() != session) return false;
                members.remove(e.getKey());
                return true;
            });
            routerSessions.entrySet().removeIf(e -> {
                if (e.getValue() != session) return false;
                routers.remove(e.getKey());
                return true;
            });
        }

        private void notifyAll(boolean relevant) {
            for (InMemoryDcs c : clients) c.changed(relevant);
        }
    }

    private final Store store;
    private final long session;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> allListeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile boolean expired;

    private InMemoryDcs(Store store, long session) {
        this.store = store;
        this.session = session;
    }

    /** A client of a store of its own (for tests with one client). */
    public static InMemoryDcs standalone() {
        return new Store().connect();
    }

    public Store store() {
        return store;
    }

    private void changed(boolean relevant) {
        if (closed) return;
        allListeners.forEach(Runnable::run);
        if (relevant) listeners.forEach(Runnable::run);
    }

    private void check(String what) throws DcsException {
        if (closed) throw new DcsException("cannot " + what + ": client closed");
        if (!store.reachable) throw new DcsException("cannot " + what + ": DCS unreachable (in-memory store cut off)");
        if (expired) throw new DcsException("cannot " + what + ": session expired");
    }

    /** Runs {@code change} under the store's lock, then tells the clients. */
    private <T> T write(String what, boolean relevant, java.util.function.Function<Store, T> change)
            throws DcsException {
        T result;
        synchronized (store) {
            check(what);
            boolean led = store.leader != null;
            result = change.apply(store);
            if (led && store.leader == null) store.leaderGoneNanos = System.nanoTime();
        }
        store.notifyAll(relevant);
        return result;
    }

    @Override
    public ClusterState read() throws DcsException {
        synchronized (store) {
            check("read the cluster");
            return store.snapshot();
        }
    }

    @Override
    public boolean claimInitialize(String owner) throws DcsException {
        return write("claim the initialize key", true, s -> {
            if (s.initialize != null) return false;
            s.initialize = owner;
            return true;
        });
    }

    @Override
    public void completeInitialize(String value) throws DcsException {
        write("complete the initialize key", true, s -> s.initialize = value);
    }

    @Override
    public void abandonInitialize() throws DcsException {
        write("remove the initialize key", true, s -> {
            s.initialize = null;
            return null;
        });
    }

    @Override
    public void publishMember(Member member) throws DcsException {
        boolean wakes;
        synchronized (store) {
            Member before = store.members.get(member.name());
            // joining wakes agents, and so does a new role or state; a refresh does not
            wakes = before == null || member.changesRoleOrState(before);
        }
        write("publish member " + member.name(), wakes, s -> {
            s.members.put(member.name(), member);
            return s.memberSessions.put(member.name(), session);
        });
    }

    @Override
    public long leaderGoneNanos() {
        return store.leaderGoneNanos;
    }

    @Override
    public boolean acquireLeader(String me) throws DcsException {
        return write("acquire the leader key", true, s -> {
            if (s.leader != null) return false;
            s.leader = me;
            s.leaderSession = session;
            return true;
        });
    }

    @Override
    public boolean acquireLeader(String me, SyncState sync) throws DcsException {
        return write("acquire the leader key", true, s -> {
            if (s.leader != null) return false;
            s.leader = me;
            s.leaderSession = session;
            s.sync = sync;
            return true;
        });
    }

    private boolean holds(Store s, String me) {
        return me.equals(s.leader) && s.leaderSession == session;
    }

    @Override
    public boolean renewLeader(String me) throws DcsException {
        synchronized (store) {
            check("renew the leader key");
            return holds(store, me);
        }
    }

    @Override
    public boolean reclaimLeader(String me) throws DcsException {
        return write("reclaim the leader key", true, s -> {
            if (s.leader != null && s.leaderSession == session) return me.equals(s.leader);
            if (s.leader != null && !me.equals(s.leader)) return false;
            s.leader = me;
            s.leaderSession = session;
            return true;
        });
    }

    @Override
    public void releaseLeader(String me) throws DcsException {
        write("release the leader key", true, s -> {
            if (s.leader != null && s.leaderSession == session) s.leader = null;
            return null;
        });
    }

    @Override
    public boolean writeSync(String me, SyncState state) throws DcsException {
        return write("write the synchronous record", true, s -> {
            if (!holds(s, me)) return false;
            s.sync = state;
            return true;
        });
    }

    @Override
    public boolean publishSlots(String me, Map<String, Lsn> positions) throws DcsException {
        return write("publish the slot positions", false, s -> {
            if (!holds(s, me)) return false;
            s.slots = new SlotPositions(me, positions);
            return true;
        });
    }

    @Override
    public void publishLeaderOptime(Lsn lsn) throws DcsException {
        write("publish the optime", false, s -> s.optime = lsn);
    }

    @Override
    public DynamicConfig updateConfig(UnaryOperator<DynamicConfig> change) throws DcsException {
        return write("update config", true, s -> s.config = change.apply(s.config));
    }

    @Override
    public boolean requestFailover(FailoverRequest request) throws DcsException {
        return write("request a failover", true, s -> {
            if (s.failover != null) return false;
            s.failover = request;
            return true;
        });
    }

    @Override
    public void updateFailover(UnaryOperator<FailoverRequest> change) throws DcsException {
        write("update failover", true, s -> {
            if (s.failover != null) s.failover = change.apply(s.failover);
            return s.failover;
        });
    }

    @Override
    public void clearFailover() throws DcsException {
        write("delete failover", true, s -> s.failover = null);
    }

    @Override
    public void appendHistory(HistoryEntry entry) throws DcsException {
        write("update history", true, s -> {
            if (s.history.stream().noneMatch(h -> h.timeline() == entry.timeline())) s.history.add(entry);
            return null;
        });
    }

    @Override
    public Connection connection() {
        if (closed || expired) return Connection.LOST;
        return store.reachable ? Connection.CONNECTED : Connection.SUSPENDED;
    }

    @Override
    public boolean awaitConnected(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (!connected()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(10);
        }
        return true;
    }

    @Override
    public String describe() {
        return "an in-memory DCS";
    }

    @Override
    public long sessionTimeoutMs() {
        return store.sessionTimeoutMs;
    }

    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    @Override
    public void onAnyChange(Runnable listener) {
        allListeners.add(listener);
    }

    @Override
    public void publishRouter(RouterStatus status) throws DcsException {
        write("publish router " + status.name(), false, s -> {
            s.routers.put(status.name(), status);
            return s.routerSessions.put(status.name(), session);
        });
    }

    @Override
    public List<RouterStatus> routers() throws DcsException {
        synchronized (store) {
            check("read routers");
            List<RouterStatus> out = new ArrayList<>(store.routers.values());
            out.sort(Comparator.comparing(RouterStatus::name));
            return out;
        }
    }

    /** Ends this client's session; its ephemeral entries vanish at once. */
    @Override
    public void close() {
        if (closed) return;
        synchronized (store) {
            store.endSession(session);
        }
        closed = true;
        store.clients.remove(this);
        store.notifyAll(true);
    }
}
