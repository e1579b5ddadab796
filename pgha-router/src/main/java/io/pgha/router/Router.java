package io.pgha.router;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.pgha.core.config.RouterConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.RouterStatus;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.wire.frontend.CancelRequest;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A router: two listeners (read-write and, if configured, read-only) whose sessions are routed by
 * {@link Routing} over the cluster as the DCS shows it, and relayed by {@link Session}s.
 *
 * <p>A follower thread re-reads the cluster on every DCS change (and at least every {@value
 * #REREAD_MS} ms) and then, for every routed session: a session on a primary that no longer holds
 * the leader lease is closed at once; a session on a primary that a switchover is moving away from
 * is closed at its next transaction boundary; and sessions waiting for a backend are routed again.
 *
 * <p>Thread-safe. {@link #close()} stops listeners, sessions, threads and the follower.
 */
public final class Router implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Router.class);
    static final long REREAD_MS = 500;
    private static final long PUBLISH_MS = 2000;

    private final String cluster;
    private final RouterConfig cfg;
    private final Dcs dcs;
    private final RouterMetrics metrics;
    private final Routing.Policy policy;
    private final SslContext tls;
    private final Transport transport;
    private final EventLoopGroup loops;
    private final List<Channel> listeners = new ArrayList<>();
    private final Set<Session> all = ConcurrentHashMap.newKeySet();
    private final Set<Session> waiting = ConcurrentHashMap.newKeySet();
    private final Map<io.pgha.wire.CancelKey, InetSocketAddress> cancelKeys = new ConcurrentHashMap<>();
    private final AtomicLong routed = new AtomicLong();
    private final AtomicLong turn = new AtomicLong();
    private final Object wake = new Object();
    private volatile ClusterState view = ClusterState.empty();
    private volatile boolean changed = true;
    private volatile boolean closed;
    private Thread follower;
    private InetSocketAddress readWrite;
    private InetSocketAddress readOnly;
    private io.pgha.router.pool.PoolListener pool;
    private InetSocketAddress pooled;

    public Router(String cluster, RouterConfig cfg, Dcs dcs) {
        this.cluster = cluster;
        this.cfg = cfg;
        this.dcs = dcs;
        this.metrics = new RouterMetrics(this);
        this.policy = new Routing.Policy(cfg.maxReplicaLagBytes(), cfg.readOnlyFallbackToPrimary());
        this.tls = cfg.tls() ? sslContext(cfg) : null;
        this.transport = Transport.named(cfg.transport());
        int threads = Math.max(
                1,
                Integer.getInteger("pgha.router.threads", Runtime.getRuntime().availableProcessors()));
        this.loops = new MultiThreadIoEventLoopGroup(threads, transport.ioHandlerFactory());
    }

    private static SslContext sslContext(RouterConfig cfg) {
        try {
            return SslContextBuilder.forServer(new File(cfg.tlsCertificate()), new File(cfg.tlsKey()))
                    .build();
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "router.tls: cannot load certificate " + cfg.tlsCertificate() + " and key " + cfg.tlsKey() + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * TLS towards the pooled listener's clients: the router's certificate, and with
     * client_tls_ca_file the authorities whose client certificates it accepts (required for
     * auth_type cert, else optional); null without a certificate.
     */
    private SslContext poolClientTls(RouterConfig cfg) {
        String ca = cfg.pool().tls().clientCaFile();
        if (tls == null || ca == null) return tls;
        try {
            return SslContextBuilder.forServer(new File(cfg.tlsCertificate()), new File(cfg.tlsKey()))
                    .trustManager(new File(ca))
                    .clientAuth(
                            cfg.pool().authType().equals("cert")
                                    ? io.netty.handler.ssl.ClientAuth.REQUIRE
                                    : io.netty.handler.ssl.ClientAuth.OPTIONAL)
                    .build();
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "router.pool.client_tls_ca_file: cannot load " + ca + ": " + e.getMessage(), e);
        }
    }

    /** Binds the listeners and starts following the cluster; fails when a port cannot be bound. */
    public Router start() throws InterruptedException {
        try {
            readWrite = bind(cfg.port(), Target.READ_WRITE);
            if (cfg.readOnlyPort() > 0) readOnly = bind(cfg.readOnlyPort(), Target.READ_ONLY);
            if (cfg.pool() != null) {
                pool = new io.pgha.router.pool.PoolListener(
                        cfg.name(),
                        cfg.pool(),
                        cfg.listen(),
                        cfg.maxMessageSize(),
                        this::currentPrimary,
                        () -> Routing.standbys(view, policy),
                        member -> Routing.stillPrimary(view, member),
                        poolClientTls(cfg),
                        metrics::pinned,
                        transport);
                pooled = pool.start();
                metrics.pool(pool);
            }
        } catch (java.io.IOException e) {
            close();
            throw new IllegalArgumentException("router.pool.auth_file: " + e.getMessage(), e);
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        dcs.onAnyChange(this::changed);
        follower = new Thread(this::follow, "router-follower");
        follower.setDaemon(true);
        follower.start();
        LOG.info(
                "router {} of cluster {}: read-write on {}, read-only on {}{}{} ({} transport)",
                cfg.name(),
                cluster,
                readWrite,
                readOnly == null ? "none" : readOnly,
                pooled == null ? "" : ", pooled on " + pooled,
                tls == null ? "" : ", TLS on",
                transport);
        return this;
    }

    private InetSocketAddress bind(int port, Target target) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(loops)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("session", new Session(Router.this, target));
                    }
                });
        var f = b.bind(cfg.listen(), port).await();
        if (!f.isSuccess()) {
            throw new IllegalStateException(
                    "router." + (target == Target.READ_WRITE ? "port" : "read_only_port") + ": cannot listen on "
                            + cfg.listen() + ":" + port + ": " + f.cause().getMessage(),
                    f.cause());
        }
        listeners.add(f.channel());
        return (InetSocketAddress) f.channel().localAddress();
    }

    // ------------------------------------------------------------------ following the cluster

    private void changed() {
        synchronized (wake) {
            changed = true;
            wake.notifyAll();
        }
    }

    private void follow() {
        long lastPublish = System.nanoTime() - 2 * PUBLISH_MS * 1_000_000;
        long lastOutageLog = System.nanoTime() - 60_000_000_000L;
        boolean outage = false;
        while (!closed) {
            try {
                synchronized (wake) {
                    if (!changed) wake.wait(REREAD_MS);
                    changed = false;
                }
                if (closed) return;
                apply(dcs.read());
                if (outage) {
                    LOG.info("router {}: ZooKeeper answers again", cfg.name());
                    outage = false;
                    lastOutageLog = System.nanoTime() - 60_000_000_000L;
                }
                if (System.nanoTime() - lastPublish > PUBLISH_MS * 1_000_000) {
                    dcs.publishRouter(status());
                    lastPublish = System.nanoTime();
                }
            } catch (DcsException e) {
                if (System.nanoTime() - lastOutageLog > 30_000_000_000L) {
                    LOG.warn(
                            "router {}: {} (routing by the last view of the cluster until ZooKeeper answers)",
                            cfg.name(),
                            e.getMessage());
                    lastOutageLog = System.nanoTime();
                }
                outage = true;
                sleep(REREAD_MS);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("router {}: following the cluster failed", cfg.name(), e);
                sleep(REREAD_MS);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Takes a new view of the cluster and acts on every session it concerns. */
    void apply(ClusterState c) {
        ClusterState before = view;
        view = c;
        if (before.leader() != null && !before.leader().equals(c.leader())) {
            LOG.info(
                    "router {}: leader lease moved from {} to {}",
                    cfg.name(),
                    before.leader(),
                    c.leader() == null ? "nobody" : c.leader());
        }
        long now = System.currentTimeMillis();
        for (Session s : all) {
            if (s.phase == Session.Phase.RELAY) enforce(s, c, now);
        }
        for (Session s : waiting) s.retry();
        if (pool != null) pool.viewChanged();
    }

    /** Ends a session on a primary that lost its lease at once, and drains one on a primary stepping down. */
    private static void enforce(Session s, ClusterState c, long now) {
        Route.Backend b = s.route;
        if (b == null || !b.primary()) return;
        if (!Routing.stillPrimary(c, b.member())) s.kill(b.member() + " no longer holds the leader lease");
        else if (Routing.switchingOver(c, b.member(), now)) s.drain();
    }

    // ------------------------------------------------------------------ called by sessions

    Route route(Target target) {
        // Only read-only routing weighs sessions; counting them walks every session of the router.
        Map<String, Integer> sessions = target == Target.READ_ONLY ? sessionsPerBackend() : Map.of();
        Route r = Routing.choose(view, System.currentTimeMillis(), target, sessions, policy, turn.getAndIncrement());
        metrics.decision(target, r);
        if (r instanceof Route.Backend) routed.incrementAndGet();
        return r;
    }

    /** A session reached its backend: check at once that the view did not change meanwhile. */
    void attached(Session s) {
        metrics.attached(s.target, s.route.member(), +1);
        enforce(s, view, System.currentTimeMillis());
    }

    void opened(Session s) {
        all.add(s);
    }

    /** Where read-write sessions go now, without counting a routing decision. */
    public Route currentPrimary() {
        return Routing.choose(view, System.currentTimeMillis(), Target.READ_WRITE, Map.of(), policy, 0);
    }

    /** The pooled listener's address; null when {@code router.pool} is not configured. */
    public InetSocketAddress pooledAddress() {
        return pooled;
    }

    /** The pooled listener; null when {@code router.pool} is not configured. */
    public io.pgha.router.pool.PoolListener pool() {
        return pool;
    }

    void closed(Session s, boolean wasRelayed) {
        all.remove(s);
        waiting.remove(s);
        if (wasRelayed) metrics.attached(s.target, s.route.member(), -1);
    }

    void waiting(Session s, boolean on) {
        if (on) waiting.add(s);
        else waiting.remove(s);
    }

    void registerCancelKey(io.pgha.wire.CancelKey key, InetSocketAddress backend) {
        cancelKeys.put(key, backend);
    }

    void forgetCancelKey(io.pgha.wire.CancelKey key) {
        cancelKeys.remove(key);
    }

    /**
     * Forwards a CancelRequest to the backend that handed out that key through this router. Unknown
     * keys are dropped without an answer, as PostgreSQL does.
     */
    void cancel(CancelRequest c) {
        InetSocketAddress to = cancelKeys.get(c.key());
        metrics.cancel(to != null);
        if (to == null) return;
        new Bootstrap()
                .group(loops)
                .channel(socketChannelType())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new io.netty.channel.ChannelInboundHandlerAdapter())
                .connect(to)
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        LOG.info(
                                "router {}: cannot forward a cancel request to {}: {}",
                                cfg.name(),
                                to,
                                f.cause().getMessage());
                        return;
                    }
                    var buf = Unpooled.buffer(16);
                    c.encode(buf);
                    f.channel().writeAndFlush(buf).addListener(ChannelFutureListener.CLOSE);
                });
    }

    Class<? extends Channel> socketChannelType() {
        return transport.socketChannel();
    }

    Class<? extends ServerChannel> serverChannelType() {
        return transport.serverChannel();
    }

    // ------------------------------------------------------------------ state

    public RouterConfig config() {
        return cfg;
    }

    SslContext tls() {
        return tls;
    }

    public RouterMetrics metrics() {
        return metrics;
    }

    public ClusterState view() {
        return view;
    }

    public InetSocketAddress readWriteAddress() {
        return readWrite;
    }

    public InetSocketAddress readOnlyAddress() {
        return readOnly;
    }

    /** Routed sessions per backend member (all listeners). */
    public Map<String, Integer> sessionsPerBackend() {
        Map<String, Integer> m = new HashMap<>();
        for (Session s : all) {
            Route.Backend b = s.route;
            if (b != null && (s.phase == Session.Phase.RELAY || s.phase == Session.Phase.CONNECTING))
                m.merge(b.member(), 1, Integer::sum);
        }
        return m;
    }

    public int waitingSessions() {
        return waiting.size();
    }

    public RouterStatus status() {
        return new RouterStatus(
                cfg.name(),
                address(readWrite),
                address(readOnly),
                sessionsPerBackend(),
                waiting.size(),
                routed.get(),
                System.currentTimeMillis());
    }

    /** One row per client connection, for {@code GET /router}. */
    public List<Map<String, Object>> sessions() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Session s : all) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("id", s.id);
            m.put("listener", s.target.label());
            m.put("phase", s.phase.name().toLowerCase(java.util.Locale.ROOT));
            var st = s.startup;
            if (st != null) {
                m.put("user", st.user());
                m.put("database", st.database());
            }
            Route.Backend b = s.route;
            if (b != null) m.put("backend", b.member());
            m.put(
                    "transaction",
                    switch (s.txStatus) {
                        case 'T' -> "in transaction";
                        case 'E' -> "failed transaction";
                        default -> "idle";
                    });
            m.put("opened_at", java.time.Instant.ofEpochMilli(s.openedAt).toString());
            out.add(m);
        }
        out.sort(java.util.Comparator.comparing(m -> (Long) m.get("id")));
        return out;
    }

    private String address(InetSocketAddress a) {
        return a == null ? null : io.pgha.core.net.HostPort.join(cfg.listen(), a.getPort());
    }

    @Override
    public void close() {
        closed = true;
        if (follower != null) follower.interrupt();
        for (Channel l : listeners) l.close().awaitUninterruptibly();
        for (Session s : all) s.killQuietly();
        if (pool != null) pool.close();
        // A quiet period: on io_uring a socket closed with a read pending closes when the kernel has
        // answered the read's cancellation; ending the loop before that logs Netty's rejected close.
        loops.shutdownGracefully(100, 2000, java.util.concurrent.TimeUnit.MILLISECONDS)
                .awaitUninterruptibly();
        metrics.close();
    }
}
