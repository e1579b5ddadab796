package io.pgha.router.pool;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.pgha.core.config.PoolConfig;
import io.pgha.router.Route;
import io.pgha.router.sql.FunctionPolicy;
import io.pgha.router.sql.StatementClassifier;
import io.pgha.wire.CancelKey;
import io.pgha.wire.frontend.CancelRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router's pooled listener ({@code router.pool}): clients authenticate at the router against
 * the auth file, and share server connections to the primary that holds the leader lease. One
 * event loop runs it all (clients, server connections, the pool), as PgBouncer runs on one thread.
 */
@SuppressWarnings("FutureReturnValueIgnored")
public final class PoolListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PoolListener.class);

    private final String name;
    private volatile PoolConfig cfg;
    private final String listen;
    private final long maxMessageSize;
    private final EventLoopGroup group;
    private final java.util.function.Consumer<String> onPin;
    private final Supplier<Route> primary;
    private final Supplier<java.util.List<Route.Backend>> standbys;
    private final java.util.function.Predicate<String> holdsLease;
    private final io.netty.handler.ssl.SslContext clientTls;
    private volatile BackendTls backendTls;
    private final EventLoop loop;
    private final Class<? extends ServerChannel> serverChannelType;
    private final Class<? extends Channel> channelType;
    private final ServerPool pool;
    private final StatementClassifier classifier = new StatementClassifier(FunctionPolicy.defaults());
    private final byte[] mockSecret = new byte[32];
    private final SecureRandom random = new SecureRandom();
    private volatile Map<String, Secret> users;
    private final Set<PooledClient> clients = ConcurrentHashMap.newKeySet();
    private final Map<CancelKey, PooledClient> cancelKeys = new HashMap<>();
    private final Map<String, String> serverNames = new HashMap<>();
    private final Map<String, Derived> derived = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> pins = new ConcurrentHashMap<>();
    private final AtomicLong authFailures = new AtomicLong();
    private int nextPid = 1;
    private Channel server;

    /**
     * @param primary where read-write sessions go now (the router's routing decision)
     * @param standbys the standbys reads may go to now (running, within the lag limit)
     * @param clientTls TLS towards clients (the router's certificate), null for none
     * @param holdsLease whether a member still holds the leader lease (its transactions in flight
     *     may finish while it hands over)
     */
    public PoolListener(
            String name,
            PoolConfig cfg,
            String listen,
            long maxMessageSize,
            Supplier<Route> primary,
            Supplier<java.util.List<Route.Backend>> standbys,
            java.util.function.Predicate<String> holdsLease,
            io.netty.handler.ssl.SslContext clientTls,
            java.util.function.Consumer<String> onPin,
            io.pgha.router.Transport transport)
            throws IOException {
        this.name = name;
        this.cfg = cfg;
        this.listen = listen;
        this.maxMessageSize = maxMessageSize;
        this.onPin = onPin;
        this.primary = primary;
        this.standbys = standbys;
        this.holdsLease = holdsLease;
        this.users =
                AuthFile.read(Path.of(cfg.authFile())); // before any thread exists: a bad file leaves nothing behind
        this.group = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        this.loop = group.next();
        this.serverChannelType = transport.serverChannel();
        this.channelType = transport.socketChannel();
        random.nextBytes(mockSecret);
        this.clientTls = clientTls;
        this.backendTls = BackendTls.of(cfg.tls());
        this.pool = new ServerPool(loop, channelType, () -> this.cfg, this::route, () -> this.backendTls);
    }

    public InetSocketAddress start() throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(loop, loop)
                .channel(serverChannelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("frames", new FrameDecoder(true, maxMessageSize));
                        ch.pipeline().addLast("out", new Coalescer());
                        ch.pipeline().addLast("client", new PooledClient(PoolListener.this));
                    }
                });
        var f = b.bind(listen, cfg.port()).await();
        if (!f.isSuccess())
            throw new IllegalStateException(
                    "router.pool.port: cannot listen on " + listen + ":" + cfg.port() + ": "
                            + f.cause().getMessage(),
                    f.cause());
        server = f.channel();
        InetSocketAddress a = (InetSocketAddress) server.localAddress();
        LOG.info(
                "router {}: pooled listener on {} ({} mode, {} users from {})",
                name,
                a,
                cfg.mode().name().toLowerCase(java.util.Locale.ROOT),
                users.size(),
                cfg.authFile());
        if (cfg.authType().equals("trust"))
            LOG.warn(
                    "router {}: router.pool.auth_type is trust: clients on {} log in as any user of {} without a"
                            + " password",
                    name,
                    a,
                    cfg.authFile());
        return a;
    }

    /** Reads the auth file again; a file that does not load leaves the old users in place. */
    public void reloadUsers() throws IOException {
        users = AuthFile.read(Path.of(cfg.authFile()));
    }

    /**
     * Takes the settings of {@code fresh} that apply without a restart (everything but port, mode
     * and auth_type, which are reported and left as they are) and reads the auth file again. A file
     * that does not load changes nothing. Returns what needs a restart (empty when nothing does).
     */
    public java.util.List<String> reconfigure(PoolConfig fresh) throws IOException {
        java.util.List<String> restart = new java.util.ArrayList<>();
        if (fresh.port() != cfg.port()) restart.add("router.pool.port");
        if (fresh.mode() != cfg.mode()) restart.add("router.pool.mode");
        if (!fresh.authType().equals(cfg.authType())) restart.add("router.pool.auth_type");
        Map<String, Secret> fresher = AuthFile.read(Path.of(fresh.authFile()));
        BackendTls freshTls = BackendTls.of(fresh.tls());
        if (!java.util.Objects.equals(fresh.tls().clientSslmode(), cfg.tls().clientSslmode())
                || !java.util.Objects.equals(
                        fresh.tls().clientCaFile(), cfg.tls().clientCaFile()))
            restart.add("router.pool.client_tls_sslmode/client_tls_ca_file");
        PoolConfig applied = new PoolConfig(
                cfg.port(),
                cfg.mode(),
                cfg.authType(),
                fresh.authFile(),
                fresh.poolSize(),
                fresh.maxClientConn(),
                fresh.serverIdleTimeoutMs(),
                fresh.serverLifetimeMs(),
                fresh.queryWaitTimeoutMs(),
                cfg.mode() != PoolConfig.Mode.SESSION ? fresh.split() : cfg.split(),
                fresh.admin(),
                fresh.limits(),
                new PoolConfig.Tls(
                        cfg.tls().clientSslmode(),
                        cfg.tls().clientCaFile(),
                        fresh.tls().serverSslmode(),
                        fresh.tls().serverCaFile()),
                fresh.pools());
        Runnable apply = () -> {
            boolean serverTlsChanged = !applied.tls().equals(cfg.tls());
            users = fresher;
            cfg = applied;
            backendTls = freshTls;
            // connections made under the old TLS settings are replaced as they come back
            if (serverTlsChanged) reconnect(null);
            pool.configChanged();
        };
        // applied when this returns: a client that connects after a reload meets the new limits
        if (loop.inEventLoop()) apply.run();
        else bounded(loop.submit(apply), 5_000, "applying the reloaded settings");
        LOG.info(
                "router {}: pooled listener settings and {} user(s) from {} reloaded",
                name,
                fresher.size(),
                fresh.authFile());
        return restart;
    }

    // ------------------------------------------------------------------ for the clients (on the loop)

    public PoolConfig config() {
        return cfg;
    }

    io.netty.handler.ssl.SslContext clientTls() {
        return clientTls;
    }

    ServerPool pool() {
        return pool;
    }

    StatementClassifier classifier() {
        return classifier;
    }

    byte[] mockSecret() {
        return mockSecret;
    }

    Secret secret(String user) {
        return users.get(user);
    }

    /** A password of the auth file, derived into a SCRAM verifier once per user (and again when it changes). */
    io.pgha.wire.auth.ScramVerifier derived(String user, Secret secret) {
        if (!(secret instanceof Secret.Plain p)) return null;
        Derived d = derived.get(user);
        if (d == null || !d.password().equals(p.password())) {
            d = new Derived(p.password(), ClientAuth.derive(p.password()));
            derived.put(user, d);
        }
        return d.verifier();
    }

    private record Derived(String password, io.pgha.wire.auth.ScramVerifier verifier) {
        @Override
        public String toString() {
            return "Derived[SCRAM-SHA-256]";
        }
    }

    /** Why a new client is refused (null: admitted), by max_client_conn and the limits. */
    String admit(PooledClient c, java.net.InetAddress from) {
        PoolConfig.Limits lim = cfg.limits();
        if (clients.size() >= cfg.maxClientConn())
            return "sorry, too many clients already (max_client_conn " + cfg.maxClientConn() + ")";
        if (lim.maxConnectionsPerSecond() > 0) {
            long second = System.nanoTime() / 1_000_000_000L;
            if (second != acceptSecond) {
                acceptSecond = second;
                acceptedThisSecond = 0;
            }
            if (acceptedThisSecond >= lim.maxConnectionsPerSecond())
                return "too many connection attempts (max_connections_per_second " + lim.maxConnectionsPerSecond()
                        + ")";
            acceptedThisSecond++;
        }
        if (unauthenticated >= lim.maxUnauthenticated())
            return "too many clients still authenticating (max_unauthenticated " + lim.maxUnauthenticated() + ")";
        int fromThere = from == null ? 0 : perAddress.getOrDefault(from, 0);
        if (lim.maxClientConnPerAddress() > 0 && fromThere >= lim.maxClientConnPerAddress())
            return "too many clients from " + from.getHostAddress() + " (max_client_conn_per_address "
                    + lim.maxClientConnPerAddress() + ")";
        clients.add(c);
        if (from != null) perAddress.merge(from, 1, Integer::sum);
        unauthenticated++;
        return null;
    }

    /** A client finished authenticating (or gave up). */
    void authenticated(PooledClient c) {
        if (c.countedUnauthenticated) {
            c.countedUnauthenticated = false;
            unauthenticated--;
        }
    }

    void gone(PooledClient c) {
        if (!clients.remove(c)) return;
        authenticated(c);
        var a = c.address();
        if (a != null) perAddress.computeIfPresent(a.getAddress(), (k, n) -> n <= 1 ? null : n - 1);
        parked.remove(c);
        if (c.key != null) cancelKeys.remove(c.key);
    }

    private final Map<java.net.InetAddress, Integer> perAddress = new HashMap<>();
    private int unauthenticated;
    private long acceptSecond;
    private int acceptedThisSecond;

    // ------------------------------------------------------------------ the admin console (on the loop)

    /** Databases paused ("*": all). */
    private final Set<String> paused = new java.util.HashSet<>();
    /** Clients whose next transaction waits for RESUME. */
    private final Set<PooledClient> parked = new java.util.LinkedHashSet<>();

    java.util.List<PooledClient> clientList() {
        return new java.util.ArrayList<>(clients);
    }

    int userCount() {
        return users.size();
    }

    boolean paused(String db) {
        return paused.contains("*") || paused.contains(db);
    }

    void park(PooledClient c) {
        parked.add(c);
    }

    void pause(String db) {
        paused.add(db == null ? "*" : db);
    }

    /** Paused, and no server of {@code db} (null: any) lent: then its idle servers are closed. */
    boolean pausedAndDrained(String db) {
        for (PooledClient c : clients)
            if (c.server != null && !c.admin && (db == null || db.equals(c.database))) return false;
        pool.closeIdle(db);
        return true;
    }

    void resume(String db) {
        if (db == null) paused.clear();
        else paused.remove(db);
        for (PooledClient c : new java.util.ArrayList<>(parked)) {
            if (paused(c.database)) continue;
            parked.remove(c);
            c.resumed();
        }
    }

    void reload() {
        try {
            reloadUsers();
            LOG.info(
                    "router {}: RELOAD from the admin console: {} user(s) from {}", name, users.size(), cfg.authFile());
        } catch (IOException e) {
            LOG.error("router {}: RELOAD: {} (the users stay as they were)", name, e.getMessage());
        }
    }

    /** Disconnects the clients of {@code db} (null: every database; never the console's) and closes its servers. */
    int kill(String db) {
        int n = 0;
        for (PooledClient c : new java.util.ArrayList<>(clients)) {
            if (c.admin || (db != null && !db.equals(c.database))) continue;
            c.killed();
            n++;
        }
        pool.closeIdle(db);
        return n;
    }

    /** Closes each server connection of {@code db} when it comes back (idle ones now). */
    void reconnect(String db) {
        for (PooledClient c : clients)
            if (c.server != null && (db == null || db.equals(c.server.key.database()))) c.server.retired = true;
        pool.closeIdle(db);
    }

    /** No server connection of {@code db} that RECONNECT retired is open any more. */
    boolean retiredClosed(String db) {
        for (PooledClient c : clients)
            if (c.server != null && c.server.retired && (db == null || db.equals(c.server.key.database())))
                return false;
        return true;
    }

    /** Per database: transactions, queries, reads on standbys, reads on the primary, replay waits met and missed. */
    Map<String, long[]> statsByDatabase() {
        Map<String, long[]> out = new java.util.TreeMap<>();
        byDatabase.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    private final Map<String, long[]> byDatabase = new HashMap<>();

    void count(String db, int which) {
        byDatabase.computeIfAbsent(db, k -> new long[6])[which]++;
    }

    /** A cancel key of the router's own for this client (the servers it uses change). */
    CancelKey register(PooledClient c) {
        CancelKey k;
        do {
            k = CancelKey.of(nextPid++ & 0x7fffffff, random.nextInt());
        } while (cancelKeys.containsKey(k));
        cancelKeys.put(k, c);
        return k;
    }

    void cancel(CancelKey k) {
        PooledClient c = cancelKeys.get(k);
        if (c != null) c.cancel();
    }

    void forwardCancel(InetSocketAddress backend, CancelKey k) {
        new Bootstrap()
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new io.netty.channel.ChannelInboundHandlerAdapter())
                .connect(backend)
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) return;
                    var b = Unpooled.buffer();
                    new CancelRequest(k).encode(b);
                    f.channel().writeAndFlush(b).addListener(ChannelFutureListener.CLOSE);
                });
    }

    /** The server-side name of a statement: one per distinct query text and parameter types. */
    String serverName(byte[] queryAndTypes) {
        String k = java.util.Base64.getEncoder().encodeToString(queryAndTypes);
        return serverNames.computeIfAbsent(k, x -> "pgha_" + (serverNames.size() + 1));
    }

    void pinned(String reason) {
        pins.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
        onPin.accept(reason);
    }

    void authFailed() {
        authFailures.incrementAndGet();
    }

    /**
     * The cluster changed: a client lent a server on a member that no longer holds the lease (or
     * no longer takes reads) loses it. Between transactions it gets a server where its next
     * statement goes and notices nothing; inside one it is told and disconnected, since its
     * transaction is gone. When the lease moves, the standbys' replay positions seen so far are
     * forgotten: a standby rewound onto the new timeline may be behind what it once showed.
     */
    public void viewChanged() {
        loop.execute(() -> {
            Route r = primary.get();
            String leader = r instanceof Route.Backend b ? b.member() : null;
            if (!java.util.Objects.equals(leader, lastLeader)) replayed.clear();
            lastLeader = leader;
            for (PooledClient c : clients) c.routesChanged();
        });
    }

    // ------------------------------------------------------------------ the read/write split (on the loop)

    private String lastLeader;
    /** Per standby, the highest replay position a probe saw (a lower bound of where it is now). */
    private final Map<String, Long> replayed = new HashMap<>();
    /** Smooth weighted round robin over the standbys: each one's running score, per set of weights. */
    private final Map<Map<String, Integer>, Map<String, Integer>> turns = new HashMap<>();

    private final AtomicLong readsOnStandbys = new AtomicLong();
    private final AtomicLong readsOnPrimary = new AtomicLong();
    private final AtomicLong replayWaitsMet = new AtomicLong();
    private final AtomicLong replayWaitsMissed = new AtomicLong();

    /** Where a pool's connections go: for a null member the primary, else that standby while it takes reads. */
    Route route(String member) {
        if (member == null) return primary.get();
        for (Route.Backend b : standbys.get()) if (b.member().equals(member)) return b;
        return new Route.Wait(member + " does not take reads now");
    }

    /**
     * The standby for a read: among those with a weight, the ones known to have replayed {@code
     * minLsn} when there are any, else the ones seen furthest ahead (the read then asks the one
     * chosen), in smooth weighted round robin; never one in {@code except}; null when there is none.
     */
    Route.Backend chooseStandby(long minLsn, PoolConfig.Effective pool, java.util.Set<String> except) {
        java.util.List<Route.Backend> all = new java.util.ArrayList<>();
        for (Route.Backend b : standbys.get())
            if (pool.weight(b.member()) > 0 && !except.contains(b.member())) all.add(b);
        if (all.isEmpty()) return null;
        if (minLsn > 0) {
            java.util.List<Route.Backend> caught = new java.util.ArrayList<>();
            for (Route.Backend b : all) if (replayed(b.member()) >= minLsn) caught.add(b);
            if (!caught.isEmpty()) all = caught;
            else {
                // none known to be there yet: the one seen furthest ahead is the likeliest to be
                // (a standby that applies late, recovery_min_apply_delay, is asked last)
                long best = -1;
                java.util.List<Route.Backend> ahead = new java.util.ArrayList<>();
                for (Route.Backend b : all) {
                    long r = replayed(b.member());
                    if (r > best) {
                        best = r;
                        ahead.clear();
                    }
                    if (r == best) ahead.add(b);
                }
                all = ahead;
            }
        }
        Route.Backend best = null;
        int total = 0;
        int bestScore = Integer.MIN_VALUE;
        if (turns.size() > 1000) turns.clear(); // weights changed by many reloads
        Map<String, Integer> score = turns.computeIfAbsent(pool.weights(), w -> new HashMap<>());
        for (Route.Backend b : all) {
            int w = pool.weight(b.member());
            total += w;
            int now = score.merge(b.member(), w, Integer::sum);
            if (now > bestScore) {
                bestScore = now;
                best = b;
            }
        }
        score.merge(best.member(), -total, Integer::sum);
        return best;
    }

    boolean holdsLease(String member) {
        return holdsLease.test(member);
    }

    long replayed(String member) {
        return replayed.getOrDefault(member, 0L);
    }

    void sawReplay(String member, long lsn) {
        replayed.merge(member, lsn, Math::max);
    }

    void read(String db, boolean onStandby) {
        (onStandby ? readsOnStandbys : readsOnPrimary).incrementAndGet();
        count(db, onStandby ? 2 : 3);
    }

    void replayWait(String db, boolean met) {
        (met ? replayWaitsMet : replayWaitsMissed).incrementAndGet();
        count(db, met ? 4 : 5);
    }

    /** Reads (transactions that only read) run on standbys and on the primary since start. */
    public long[] reads() {
        return new long[] {readsOnStandbys.get(), readsOnPrimary.get()};
    }

    private final AtomicLong readsRetried = new AtomicLong();

    void retried() {
        readsRetried.incrementAndGet();
    }

    /** Reads that ran again because their server went away before answering. */
    public long readsRetried() {
        return readsRetried.get();
    }

    /** Reads that waited for a standby to replay a client's last commit: met in time, and sent to the primary. */
    public long[] replayWaits() {
        return new long[] {replayWaitsMet.get(), replayWaitsMissed.get()};
    }

    // ------------------------------------------------------------------ status

    public int clients() {
        return clients.size();
    }

    /** Pinned clients by reason since start. */
    public Map<String, Long> pins() {
        Map<String, Long> out = new HashMap<>();
        pins.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    public long authFailures() {
        return authFailures.get();
    }

    /** Per "database/user": idle, total server connections and waiting clients. */
    public Map<String, int[]> pools() {
        try {
            return loop.submit(() -> {
                        Map<String, int[]> out = new HashMap<>();
                        pool.stats().forEach((k, v) -> out.put(k.database() + "/" + k.user(), v));
                        return out;
                    })
                    .get();
        } catch (Exception e) {
            return Map.of();
        }
    }

    /**
     * Closes the port, every client and server connection, and the event loops. Each step waits a
     * bounded time: a loop that hangs (seen once in RouterIT, on a close that never completed) must
     * not hang the router's or the agent's shutdown with it.
     */
    @Override
    public void close() {
        if (server != null) bounded(server.close(), 5_000, "closing the listening socket");
        bounded(
                loop.submit(() -> {
                    pool.closeAll();
                    for (PooledClient c : clients) c.closeQuietly();
                }),
                5_000,
                "closing the client and server connections");
        // A quiet period: on io_uring a socket closed with a read pending closes when the kernel has
        // answered the read's cancellation; ending the loop before that logs Netty's rejected close.
        bounded(
                group.shutdownGracefully(100, 2000, java.util.concurrent.TimeUnit.MILLISECONDS),
                10_000,
                "stopping the event loops");
    }

    private static void bounded(io.netty.util.concurrent.Future<?> f, long ms, String what) {
        if (!f.awaitUninterruptibly(ms)) LOG.warn("pool: {} did not finish within {} ms; going on", what, ms);
    }
}
