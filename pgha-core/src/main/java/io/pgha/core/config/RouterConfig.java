package io.pgha.core.config;

import java.util.Map;

/**
 * A router's settings: section {@code router} of a node config (the agent then runs the router in
 * its own process) or of a standalone router file ({@code pgha router --config router.yml}, with
 * {@code cluster} and {@code dcs.zookeeper.connect} beside it).
 *
 * @param port the read-write listener, which always reaches the primary holding the lease
 * @param readOnlyPort the read-only listener over standbys; 0 when there is none
 * @param maxReplicaLagBytes a standby further behind the primary's last published position gets no
 *     new read-only sessions
 * @param readOnlyFallbackToPrimary read-only sessions go to the primary when no standby qualifies
 *     (otherwise they wait like read-write sessions without a primary)
 * @param waitTimeoutMs how long a new session waits at the router for a backend (during a
 *     switchover or failover) before it gets an error
 * @param startupTimeoutMs a client must send its startup packet within this time
 * @param maxMessageSize largest message body a client may send
 * @param tlsCertificate PEM certificate chain for TLS with clients; null: SSLRequest answered 'N'
 * @param tlsKey PEM private key (PKCS#8) of that certificate
 * @param apiPort HTTP port for {@code /metrics} and {@code /router}; 0 for none (a router inside an
 *     agent shows them on the agent's REST API)
 * @param apiListener TLS, client networks and request timeout of that HTTP API
 * @param pool the pooled listener ({@code router.pool}); null for none
 * @param transport the sockets' event loops ({@code router.transport}): {@code auto} (io_uring where
 *     this machine runs it, else epoll, else Java NIO), {@code io_uring}, {@code epoll} or {@code nio}
 */
public record RouterConfig(
        String name,
        String listen,
        int port,
        int readOnlyPort,
        long maxReplicaLagBytes,
        boolean readOnlyFallbackToPrimary,
        long waitTimeoutMs,
        long startupTimeoutMs,
        long maxMessageSize,
        String tlsCertificate,
        String tlsKey,
        String apiListen,
        int apiPort,
        ApiListener apiListener,
        PoolConfig pool,
        String transport) {

    /** The transports {@code router.transport} may name. */
    public static final java.util.List<String> TRANSPORTS = java.util.List.of("auto", "io_uring", "epoll", "nio");

    public RouterConfig {
        if (!TRANSPORTS.contains(transport))
            throw new ConfigException(
                    "router.transport: '" + transport + "' must be one of " + String.join(", ", TRANSPORTS));
    }

    /** A router on the {@code auto} transport. */
    public RouterConfig(
            String name,
            String listen,
            int port,
            int readOnlyPort,
            long maxReplicaLagBytes,
            boolean readOnlyFallbackToPrimary,
            long waitTimeoutMs,
            long startupTimeoutMs,
            long maxMessageSize,
            String tlsCertificate,
            String tlsKey,
            String apiListen,
            int apiPort,
            ApiListener apiListener,
            PoolConfig pool) {
        this(
                name,
                listen,
                port,
                readOnlyPort,
                maxReplicaLagBytes,
                readOnlyFallbackToPrimary,
                waitTimeoutMs,
                startupTimeoutMs,
                maxMessageSize,
                tlsCertificate,
                tlsKey,
                apiListen,
                apiPort,
                apiListener,
                pool,
                "auto");
    }

    /** A router without a pooled listener. */
    public RouterConfig(
            String name,
            String listen,
            int port,
            int readOnlyPort,
            long maxReplicaLagBytes,
            boolean readOnlyFallbackToPrimary,
            long waitTimeoutMs,
            long startupTimeoutMs,
            long maxMessageSize,
            String tlsCertificate,
            String tlsKey,
            String apiListen,
            int apiPort,
            ApiListener apiListener) {
        this(
                name,
                listen,
                port,
                readOnlyPort,
                maxReplicaLagBytes,
                readOnlyFallbackToPrimary,
                waitTimeoutMs,
                startupTimeoutMs,
                maxMessageSize,
                tlsCertificate,
                tlsKey,
                apiListen,
                apiPort,
                apiListener,
                null);
    }

    /** A router whose HTTP API (if any) is plain HTTP from anywhere. */
    public RouterConfig(
            String name,
            String listen,
            int port,
            int readOnlyPort,
            long maxReplicaLagBytes,
            boolean readOnlyFallbackToPrimary,
            long waitTimeoutMs,
            long startupTimeoutMs,
            long maxMessageSize,
            String tlsCertificate,
            String tlsKey,
            String apiListen,
            int apiPort) {
        this(
                name,
                listen,
                port,
                readOnlyPort,
                maxReplicaLagBytes,
                readOnlyFallbackToPrimary,
                waitTimeoutMs,
                startupTimeoutMs,
                maxMessageSize,
                tlsCertificate,
                tlsKey,
                apiListen,
                apiPort,
                ApiListener.PLAIN);
    }

    /** PostgreSQL's own limit for one message (MaxAllocSize). */
    public static final long DEFAULT_MAX_MESSAGE_SIZE = 1024L * 1024 * 1024 - 1;

    public boolean tls() {
        return tlsCertificate != null;
    }

    /** Reads section {@code s}; {@code defaultName} names the router when the section does not. */
    static RouterConfig read(Section s, String defaultName) {
        String name = s.identifier("name", defaultName);
        String listen = ConfigReader.host(s, "listen", "127.0.0.1");
        int port = s.port("port", 6432);
        int ro = s.has("read_only_port") ? s.port("read_only_port", null) : 0;
        if (ro == port) throw new ConfigException(s.key("read_only_port") + ": " + ro + " is also " + s.key("port"));
        long lag = DynamicSettings.size(s.key("max_replica_lag"), s.raw("max_replica_lag"), 16L * 1024 * 1024);
        String fallback = s.string("read_only_fallback", "primary");
        if (!fallback.equals("primary") && !fallback.equals("wait")) {
            throw new ConfigException(s.key("read_only_fallback") + ": '" + fallback + "' must be primary or wait");
        }
        long wait = positive(s, "wait_timeout", 10_000);
        long startup = positive(s, "startup_timeout", 10_000);
        long max = DynamicSettings.size(s.key("max_message_size"), s.raw("max_message_size"), DEFAULT_MAX_MESSAGE_SIZE);
        if (max < 1024 || max > DEFAULT_MAX_MESSAGE_SIZE) {
            throw new ConfigException(s.key("max_message_size") + ": " + max + " must lie between 1kB and 1GB");
        }
        Section tls = s.section("tls");
        String cert = tls.string("certificate", null);
        String key = tls.string("key", null);
        if ((cert == null) != (key == null))
            throw new ConfigException(tls.key("") + "certificate and " + tls.key("key") + ": give both or neither");
        tls.rejectUnknown();
        Section api = s.section("api");
        String apiListen = ConfigReader.host(api, "listen", listen);
        int apiPort = api.has("port") ? api.port("port", null) : 0;
        ApiListener apiListener = ApiListener.read(api);
        api.rejectUnknown();
        PoolConfig pool = s.has("pool") ? PoolConfig.read(s.section("pool"), port, ro) : null;
        if (pool != null && cert == null && pool.tls().clientSslmode().equals("require"))
            throw new ConfigException(s.key("pool.client_tls_sslmode") + ": require needs the router's certificate"
                    + " (" + s.key("tls.certificate") + " and key)");
        String transport = s.string("transport", "auto"); // checked by the constructor
        s.rejectUnknown();
        return new RouterConfig(
                name,
                listen,
                port,
                ro,
                lag,
                fallback.equals("primary"),
                wait,
                startup,
                max,
                cert,
                key,
                apiListen,
                apiPort,
                apiListener,
                pool,
                transport);
    }

    /** The same router with {@code pool} as its pooled listener. */
    public RouterConfig withPool(PoolConfig pool) {
        return new RouterConfig(
                name,
                listen,
                port,
                readOnlyPort,
                maxReplicaLagBytes,
                readOnlyFallbackToPrimary,
                waitTimeoutMs,
                startupTimeoutMs,
                maxMessageSize,
                tlsCertificate,
                tlsKey,
                apiListen,
                apiPort,
                apiListener,
                pool,
                transport);
    }

    /** The same router on {@code transport}. */
    public RouterConfig withTransport(String transport) {
        return new RouterConfig(
                name,
                listen,
                port,
                readOnlyPort,
                maxReplicaLagBytes,
                readOnlyFallbackToPrimary,
                waitTimeoutMs,
                startupTimeoutMs,
                maxMessageSize,
                tlsCertificate,
                tlsKey,
                apiListen,
                apiPort,
                apiListener,
                pool,
                transport);
    }

    private static long positive(Section s, String key, long dflt) {
        long v = s.millis(key, dflt);
        if (v <= 0) throw new ConfigException(s.key(key) + ": must be positive");
        return v;
    }

    /**
     * A standalone router's file: the cluster to follow, its ZooKeeper, the router section and the
     * router process's own logging ({@code log:}, as in a node's file).
     */
    public record File(String cluster, DcsConfig dcs, RouterConfig router, LogConfig log) {
        public static final java.util.Set<String> TOP_LEVEL_KEYS = java.util.Set.of("cluster", "dcs", "router", "log");

        public static File read(Map<?, ?> document, String defaultName) {
            Section root = new Section("", document);
            String cluster = root.identifier("cluster", null);
            if (cluster == null) throw new ConfigException("cluster: is required");
            Section d = root.section("dcs");
            if (d.has("embedded")) {
                throw new ConfigException(d.key("embedded") + ": a router joins no ensemble; give "
                        + d.key("zookeeper.connect") + " with the members' ZooKeeper client ports");
            }
            DcsConfig dcs = ConfigReader.dcs(d);
            RouterConfig r = RouterConfig.read(root.section("router"), defaultName);
            LogConfig log = LogConfig.read(root.section("log"));
            root.rejectUnknown();
            return new File(cluster, dcs, r, log);
        }
    }
}
