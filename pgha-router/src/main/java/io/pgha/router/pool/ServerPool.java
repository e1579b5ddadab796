package io.pgha.router.pool;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.pgha.core.config.PoolConfig;
import io.pgha.router.Route;
import io.pgha.wire.auth.BackendAuth;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The server connections of the pooled listener, per database and user, to the member that holds
 * the leader lease. Everything runs on the listener's single event loop: no locks.
 *
 * <p>{@link #acquire} hands an idle connection to the current primary, opens a new one while the
 * pool has fewer than {@code pool_size}, or queues the client until one is released (or {@code
 * query_wait_timeout} passes). Idle connections to a member that no longer holds the lease, broken
 * ones and those past {@code server_lifetime} are closed instead of lent.
 */
@SuppressWarnings("FutureReturnValueIgnored")
final class ServerPool {
    private final EventLoop loop;
    private final Class<? extends Channel> channelType;
    private final Supplier<PoolConfig> config;
    private final Function<String, Route> route;
    private final Supplier<BackendTls> backendTls;
    private final Map<PoolKey, Entry> entries = new HashMap<>();

    /**
     * @param route where a pool's connections go now: for a null member the primary, for a standby's
     *     name that standby while it may take reads (a Wait otherwise)
     */
    ServerPool(
            EventLoop loop,
            Class<? extends Channel> channelType,
            Supplier<PoolConfig> config,
            Function<String, Route> route,
            Supplier<BackendTls> backendTls) {
        this.backendTls = backendTls;
        this.loop = loop;
        this.channelType = channelType;
        this.config = config;
        this.route = route;
        loop.scheduleAtFixedRate(this::tend, 1, 1, TimeUnit.SECONDS);
    }

    /** Someone waiting for a connection. */
    private static final class Waiter {
        final Supplier<BackendAuth> logins;
        final Map<String, String> startupValues;
        final Consumer<ServerConn> ready;
        final Consumer<ServerConn.LoginFailed> failed;
        final long since = System.nanoTime();
        ScheduledFuture<?> timeout;

        Waiter(
                Supplier<BackendAuth> logins,
                Map<String, String> startupValues,
                Consumer<ServerConn> ready,
                Consumer<ServerConn.LoginFailed> failed) {
            this.logins = logins;
            this.startupValues = startupValues;
            this.ready = ready;
            this.failed = failed;
        }
    }

    private static final class Entry {
        final Deque<ServerConn> idle = new ArrayDeque<>();
        final Deque<Waiter> waiters = new ArrayDeque<>();
        int total;
        int opening;
        /** The last client's logins and startup settings: min_pool_size opens connections with them. */
        Supplier<BackendAuth> logins;

        Map<String, String> startupValues;
        /** Connections opened beyond pool_size for clients that waited reserve_pool_timeout. */
        int reserveUsed;
    }

    private PoolConfig.Effective settings(PoolKey key) {
        return config.get().pool(key.database(), key.user());
    }

    /**
     * How many connections {@code key}'s pool may have now: pool_size, and reserve_pool_size more
     * once the first waiting client has waited reserve_pool_timeout.
     */
    private int limit(PoolKey key, Entry e) {
        PoolConfig.Effective p = settings(key);
        Waiter first = e.waiters.peekFirst();
        long waited = first == null ? 0 : System.nanoTime() - first.since;
        boolean reserve =
                p.reservePoolSize() > 0 && waited >= config.get().pools().reservePoolTimeoutMs() * 1_000_000;
        return p.poolSize() + (reserve ? p.reservePoolSize() : 0);
    }

    /** Lends a connection for {@code key} to {@code ready}, or reports why none came to {@code failed}. */
    void acquire(
            PoolKey key,
            Supplier<BackendAuth> logins,
            Map<String, String> startupValues,
            Consumer<ServerConn> ready,
            Consumer<ServerConn.LoginFailed> failed) {
        Waiter w = new Waiter(logins, startupValues, ready, failed);
        Entry e = entries.computeIfAbsent(key, k -> new Entry());
        e.logins = logins;
        e.startupValues = startupValues;
        ServerConn c = takeIdle(e);
        if (c != null) {
            lend(c, w);
            return;
        }
        e.waiters.addLast(w);
        w.timeout = loop.schedule(
                () -> {
                    if (e.waiters.remove(w))
                        w.failed.accept(new ServerConn.LoginFailed(
                                null,
                                "no server connection within query_wait_timeout ("
                                        + config.get().queryWaitTimeoutMs() + " ms)"));
                },
                config.get().queryWaitTimeoutMs(),
                TimeUnit.MILLISECONDS);
        PoolConfig.Effective p = settings(key);
        if (p.reservePoolSize() > 0 && e.total >= p.poolSize())
            loop.schedule(() -> growFor(key, e), config.get().pools().reservePoolTimeoutMs(), TimeUnit.MILLISECONDS);
        growFor(key, e);
    }

    /** Gives a connection back: to the next waiter, or to the idle list. */
    void release(ServerConn c) {
        c.sink = null;
        Entry e = entries.get(c.key);
        if (e == null || !c.usable() || stale(c)) {
            discard(c);
            return;
        }
        c.lastUsed = System.nanoTime();
        Waiter w = e.waiters.pollFirst();
        if (w != null) lend(c, w);
        else e.idle.addFirst(c); // most recently used first: the others can time out
    }

    /** Closes a connection that cannot be lent again (broken, dirty, or its client vanished mid-transaction). */
    void discard(ServerConn c) {
        c.sink = null;
        c.close();
        Entry e = entries.get(c.key);
        if (e == null) return;
        e.idle.remove(c);
        e.total--;
        growFor(c.key, e);
    }

    /** How many connections each pool has: (idle, total, waiting clients, reserve connections opened). */
    Map<PoolKey, int[]> stats() {
        Map<PoolKey, int[]> out = new HashMap<>();
        entries.forEach((k, e) -> out.put(k, new int[] {e.idle.size(), e.total, e.waiters.size(), e.reserveUsed}));
        return out;
    }

    void closeAll() {
        for (Entry e : entries.values()) {
            for (ServerConn c : e.idle) c.close();
            e.idle.clear();
            for (Waiter w : e.waiters) w.failed.accept(new ServerConn.LoginFailed(null, "the router is shutting down"));
            e.waiters.clear();
        }
    }

    private void lend(ServerConn c, Waiter w) {
        if (w.timeout != null) w.timeout.cancel(false);
        c.lastUsed = System.nanoTime();
        w.ready.accept(c);
    }

    private ServerConn takeIdle(Entry e) {
        while (!e.idle.isEmpty()) {
            ServerConn c = e.idle.pollFirst();
            if (c.usable() && !stale(c)) return c;
            c.close();
            e.total--;
        }
        return null;
    }

    /**
     * A connection to a member that no longer holds the lease (or, in a standby's pool, that may no
     * longer take reads), or past its lifetime.
     */
    private boolean stale(ServerConn c) {
        if (c.retired || System.nanoTime() - c.created > config.get().serverLifetimeMs() * 1_000_000) return true;
        return !current(c);
    }

    /** Whether {@code c} still goes where its pool's connections go now. */
    boolean current(ServerConn c) {
        Route r = route.apply(c.key.member());
        return r instanceof Route.Backend b && b.member().equals(c.member) && b.port() == c.backend.getPort();
    }

    /** Server connections of {@code member}'s pools lent out now (for spreading reads). */
    int lent(String member) {
        int n = 0;
        for (var e : entries.entrySet())
            if (member.equals(e.getKey().member()))
                n += e.getValue().total - e.getValue().idle.size();
        return n;
    }

    /** Opens connections while there are waiters and room. */
    private void growFor(PoolKey key, Entry e) {
        while (e.waiters.size() > e.opening && e.total < limit(key, e)) {
            Waiter w = e.waiters.peekFirst();
            Route r = route.apply(key.member());
            if (!(r instanceof Route.Backend) && key.standby()) {
                // a standby that no longer takes reads: its waiters go to the primary
                while (!e.waiters.isEmpty()) {
                    Waiter gone = e.waiters.pollFirst();
                    if (gone.timeout != null) gone.timeout.cancel(false);
                    gone.failed.accept(new ServerConn.LoginFailed(null, r.reason()));
                }
                return;
            }
            if (!(r instanceof Route.Backend b)) {
                // no primary now: the waiters' timeout answers them unless one appears
                loop.schedule(() -> growFor(key, e), 100, TimeUnit.MILLISECONDS);
                return;
            }
            if (e.total >= settings(key).poolSize()) e.reserveUsed++;
            open(key, e, b, w.logins, w.startupValues, true);
        }
    }

    /**
     * Opens one connection of {@code key}'s pool to {@code b}; it goes to the first waiter or the
     * idle list. A failed login is told to the first waiter when {@code forWaiter}.
     */
    private void open(
            PoolKey key,
            Entry e,
            Route.Backend b,
            Supplier<BackendAuth> logins,
            Map<String, String> startupValues,
            boolean forWaiter) {
        e.total++;
        e.opening++;
        ServerConn.open(
                        loop,
                        channelType,
                        b.member(),
                        new InetSocketAddress(b.host(), b.port()),
                        key,
                        startupValues,
                        logins.get(),
                        backendTls.get())
                .whenComplete((c, err) -> loop.execute(() -> {
                    e.opening--;
                    if (err != null) {
                        e.total--;
                        if (!forWaiter) return; // min_pool_size tries again on the next round
                        // the login failed for this user: tell the waiter whose credentials were used
                        Waiter first = e.waiters.pollFirst();
                        if (first != null) {
                            if (first.timeout != null) first.timeout.cancel(false);
                            Throwable t =
                                    err instanceof java.util.concurrent.CompletionException ? err.getCause() : err;
                            first.failed.accept(
                                    t instanceof ServerConn.LoginFailed f
                                            ? f
                                            : new ServerConn.LoginFailed(null, String.valueOf(t.getMessage())));
                        }
                        return;
                    }
                    release(c);
                }));
    }

    /** The idle connections of every pool. */
    java.util.List<ServerConn> idle() {
        java.util.List<ServerConn> out = new java.util.ArrayList<>();
        for (Entry e : entries.values()) out.addAll(e.idle);
        return out;
    }

    /** Closes the idle connections of {@code database}'s pools (null: every pool's). */
    void closeIdle(String database) {
        for (var en : entries.entrySet()) {
            if (database != null && !database.equals(en.getKey().database())) continue;
            Entry e = en.getValue();
            for (ServerConn c : e.idle) {
                c.close();
                e.total--;
            }
            e.idle.clear();
        }
    }

    /** The settings changed (SIGHUP): a larger pool_size lets waiters in now. */
    void configChanged() {
        entries.forEach(this::growFor);
    }

    /**
     * Every second: closes idle connections that are broken, stale or idle past server_idle_timeout
     * (keeping min_pool_size), and opens connections up to min_pool_size in the pools a client has
     * used: the primary's, and each standby's while it may take reads.
     */
    private void tend() {
        long now = System.nanoTime();
        long idleNanos = config.get().serverIdleTimeoutMs() * 1_000_000;
        for (var en : entries.entrySet()) {
            Entry e = en.getValue();
            int min = settings(en.getKey()).minPoolSize();
            for (Iterator<ServerConn> it = e.idle.descendingIterator(); it.hasNext(); ) {
                ServerConn c = it.next(); // least recently used first
                boolean idleTooLong = now - c.lastUsed > idleNanos && e.total > min;
                if (!c.usable() || idleTooLong || stale(c)) {
                    it.remove();
                    c.close();
                    e.total--;
                }
            }
            // a standby's pool only while that standby may take reads (route gives no backend otherwise)
            if (e.total + e.opening < min
                    && e.logins != null
                    && route.apply(en.getKey().member()) instanceof Route.Backend b) {
                for (int i = e.total + e.opening; i < min; i++)
                    open(en.getKey(), e, b, e.logins, e.startupValues, false);
            }
        }
    }
}
