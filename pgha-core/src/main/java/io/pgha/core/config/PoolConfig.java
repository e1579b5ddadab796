package io.pgha.core.config;

/**
 * The router's pooled listener (section {@code router.pool}): clients authenticate at the router,
 * and share server connections to the primary.
 *
 * @param port the pooled listener
 * @param mode when a client gives its server connection back: at the end of each transaction
 *     ({@code transaction}), or when it disconnects ({@code session})
 * @param authType what clients are asked for: {@code scram-sha-256} (default) or {@code md5}; {@code cert}
 *     (a verified client certificate names the user) or {@code trust} (nothing: any user of the auth
 *     file, for a listener only trusted clients reach)
 * @param authFile users and their secrets, in PgBouncer's userlist.txt format
 * @param poolSize server connections per database and user
 * @param maxClientConn clients the listener accepts at once
 * @param serverIdleTimeoutMs an idle server connection is closed after this long
 * @param serverLifetimeMs a server connection is closed (when idle) after this long
 * @param queryWaitTimeoutMs a client waits at most this long for a server connection
 * @param split the statement-level read/write split ({@code load_balance} and its settings)
 * @param admin who may use the admin console (the virtual database {@code pgha})
 * @param limits on clients per address, connection attempts and unauthenticated clients
 * @param tls TLS towards clients (with the router's certificate) and towards the servers
 */
public record PoolConfig(
        int port,
        Mode mode,
        String authType,
        String authFile,
        int poolSize,
        int maxClientConn,
        long serverIdleTimeoutMs,
        long serverLifetimeMs,
        long queryWaitTimeoutMs,
        Split split,
        Admin admin,
        Limits limits,
        Tls tls,
        Pools pools) {

    /** A pooled listener that sends everything to the primary. */
    public PoolConfig(
            int port,
            Mode mode,
            String authType,
            String authFile,
            int poolSize,
            int maxClientConn,
            long serverIdleTimeoutMs,
            long serverLifetimeMs,
            long queryWaitTimeoutMs) {
        this(
                port,
                mode,
                authType,
                authFile,
                poolSize,
                maxClientConn,
                serverIdleTimeoutMs,
                serverLifetimeMs,
                queryWaitTimeoutMs,
                Split.OFF,
                Admin.NONE,
                Limits.DEFAULT,
                Tls.DEFAULT,
                Pools.DEFAULT);
    }

    /** The same listener with {@code split}. */
    public PoolConfig withSplit(Split split) {
        return copy(split, admin, limits, tls, pools);
    }

    /** The same listener with {@code admin}. */
    public PoolConfig withAdmin(Admin admin) {
        return copy(split, admin, limits, tls, pools);
    }

    /** The same listener with {@code limits}. */
    public PoolConfig withLimits(Limits limits) {
        return copy(split, admin, limits, tls, pools);
    }

    /** The same listener with {@code tls}. */
    public PoolConfig withTls(Tls tls) {
        return copy(split, admin, limits, tls, pools);
    }

    private PoolConfig copy(Split split, Admin admin, Limits limits, Tls tls, Pools pools) {
        return new PoolConfig(
                port,
                mode,
                authType,
                authFile,
                poolSize,
                maxClientConn,
                serverIdleTimeoutMs,
                serverLifetimeMs,
                queryWaitTimeoutMs,
                split,
                admin,
                limits,
                tls,
                pools);
    }

    /** The same listener with {@code pools}. */
    public PoolConfig withPools(Pools pools) {
        return copy(split, admin, limits, tls, pools);
    }

    /**
     * What one pool (a database and a user) gets: the user's settings, else the database's, else the
     * listener's.
     */
    public Effective pool(String database, String user) {
        Settings u = pools.users().get(user);
        Settings d = pools.databases().get(database);
        Mode m = first(u == null ? null : u.mode(), d == null ? null : d.mode(), mode);
        int size = first(u == null ? null : u.poolSize(), d == null ? null : d.poolSize(), poolSize);
        int min = first(u == null ? null : u.minPoolSize(), d == null ? null : d.minPoolSize(), pools.minPoolSize());
        int reserve = first(
                u == null ? null : u.reservePoolSize(),
                d == null ? null : d.reservePoolSize(),
                pools.reservePoolSize());
        java.util.Map<String, Integer> w =
                first(u == null ? null : u.weights(), d == null ? null : d.weights(), split.weights());
        return new Effective(m, size, Math.min(min, size), reserve, w);
    }

    private static <T> T first(T a, T b, T dflt) {
        return a != null ? a : b != null ? b : dflt;
    }

    /**
     * The settings of one pool, resolved.
     *
     * @param weights each standby's share of this pool's reads (members not named weigh 1)
     */
    public record Effective(
            Mode mode, int poolSize, int minPoolSize, int reservePoolSize, java.util.Map<String, Integer> weights) {
        public Effective {
            weights = java.util.Map.copyOf(weights);
        }

        /** A standby's weight for this pool's reads: its entry, or 1. */
        public int weight(String member) {
            return weights.getOrDefault(member, 1);
        }

        /** Whether the server goes back between transactions (transaction and statement mode). */
        public boolean pooling() {
            return mode != Mode.SESSION;
        }
    }

    /**
     * Pool sizes beyond {@code pool_size}, and settings per database and per user (PgBouncer's
     * {@code [databases]} and {@code [users]}).
     *
     * @param minPoolSize server connections a pool to the primary keeps open, idle or not, once a
     *     client has used it ({@code min_pool_size}; 0: none)
     * @param reservePoolSize connections a pool may open beyond {@code pool_size} for a client that
     *     has waited {@code reserve_pool_timeout} ({@code reserve_pool_size}; 0: none)
     * @param reservePoolTimeoutMs how long a client waits for a connection before the reserve helps
     * @param databases settings by database name
     * @param users settings by user name, which win over a database's
     */
    public record Pools(
            int minPoolSize,
            int reservePoolSize,
            long reservePoolTimeoutMs,
            java.util.Map<String, Settings> databases,
            java.util.Map<String, Settings> users) {
        public static final Pools DEFAULT = new Pools(0, 0, 5_000, java.util.Map.of(), java.util.Map.of());

        public Pools {
            databases = java.util.Map.copyOf(databases);
            users = java.util.Map.copyOf(users);
        }

        static Pools read(Section s) {
            int min = s.intIn("min_pool_size", 0, 0, 10_000);
            int reserve = s.intIn("reserve_pool_size", 0, 0, 10_000);
            long timeout = s.millis("reserve_pool_timeout", 5_000);
            if (timeout <= 0) throw new ConfigException(s.key("reserve_pool_timeout") + ": must be positive");
            return new Pools(
                    min,
                    reserve,
                    timeout,
                    Settings.readAll(s.section("databases")),
                    Settings.readAll(s.section("users")));
        }
    }

    /**
     * One database's or user's pool settings; null where the next level decides.
     *
     * @param weights {@code standby_weights} for this pool's reads
     */
    public record Settings(
            Mode mode,
            Integer poolSize,
            Integer minPoolSize,
            Integer reservePoolSize,
            java.util.Map<String, Integer> weights) {
        /** The keys that are set, as in the configuration file. */
        @Override
        public String toString() {
            java.util.StringJoiner j = new java.util.StringJoiner(", ", "{", "}");
            if (mode != null) j.add("mode: " + mode.name().toLowerCase(java.util.Locale.ROOT));
            if (poolSize != null) j.add("pool_size: " + poolSize);
            if (minPoolSize != null) j.add("min_pool_size: " + minPoolSize);
            if (reservePoolSize != null) j.add("reserve_pool_size: " + reservePoolSize);
            if (weights != null) j.add("standby_weights: " + weights);
            return j.toString();
        }

        static java.util.Map<String, Settings> readAll(Section all) {
            java.util.Map<String, Settings> out = new java.util.TreeMap<>();
            for (String name : all.keys()) out.put(name, read(all.section(name)));
            return out;
        }

        static Settings read(Section s) {
            Mode m = s.has("mode") ? readMode(s) : null;
            Integer size = s.has("pool_size") ? s.intIn("pool_size", 20, 1, 10_000) : null;
            Integer min = s.has("min_pool_size") ? s.intIn("min_pool_size", 0, 0, 10_000) : null;
            Integer reserve = s.has("reserve_pool_size") ? s.intIn("reserve_pool_size", 0, 0, 10_000) : null;
            java.util.Map<String, Integer> w = s.has("standby_weights") ? readWeights(s) : null;
            s.rejectUnknown();
            return new Settings(m, size, min, reserve, w);
        }
    }

    /**
     * TLS on the pooled listener's two sides.
     *
     * @param clientSslmode towards clients: {@code disable} (never), {@code allow} (when the client
     *     asks and the router has a certificate, router.tls), {@code require} (a client without TLS
     *     is refused)
     * @param clientCaFile certificate authorities whose client certificates the router accepts
     *     (for {@code auth_type: cert}: the certificate's common name is the user); null for none
     * @param serverSslmode towards the servers, as libpq's sslmode: {@code disable}, {@code prefer}
     *     (TLS when the server offers it), {@code require}, {@code verify-ca}, {@code verify-full}
     * @param serverCaFile the root certificate(s) for verify-ca and verify-full
     */
    public record Tls(String clientSslmode, String clientCaFile, String serverSslmode, String serverCaFile) {
        public static final Tls DEFAULT = new Tls("allow", null, "prefer", null);
        static final java.util.List<String> CLIENT = java.util.List.of("disable", "allow", "require");
        static final java.util.List<String> SERVER =
                java.util.List.of("disable", "prefer", "require", "verify-ca", "verify-full");

        static Tls read(Section s) {
            String client = s.string("client_tls_sslmode", "allow");
            if (!CLIENT.contains(client))
                throw new ConfigException(
                        s.key("client_tls_sslmode") + ": '" + client + "' must be one of " + String.join(", ", CLIENT));
            String server = s.string("server_tls_sslmode", "prefer");
            if (!SERVER.contains(server))
                throw new ConfigException(
                        s.key("server_tls_sslmode") + ": '" + server + "' must be one of " + String.join(", ", SERVER));
            String serverCa = s.string("server_tls_ca_file", null);
            if (server.startsWith("verify") && serverCa == null)
                throw new ConfigException(s.key("server_tls_ca_file") + ": is required with server_tls_sslmode "
                        + server + " (the root certificate the servers' certificates are checked against)");
            return new Tls(client, s.string("client_tls_ca_file", null), server, serverCa);
        }
    }

    /** The virtual database of the admin console. */
    public static final String ADMIN_DATABASE = "pgha";

    /**
     * Who the router knows and who may run its console (as PgBouncer's {@code admin_users}, {@code
     * stats_users}, {@code auth_user} and {@code auth_query}).
     *
     * @param adminUsers may run every command (PAUSE, RESUME, RELOAD, KILL, RECONNECT, WAIT_CLOSE, SHOW)
     * @param statsUsers may run SHOW only
     * @param authUser a user of the auth file as whom the router looks up users that the file does
     *     not have, with {@code authQuery}; null for none
     * @param authQuery returns the user's name and secret (a SCRAM verifier or md5 hash) for $1
     */
    public record Admin(
            java.util.List<String> adminUsers, java.util.List<String> statsUsers, String authUser, String authQuery) {
        public static final String DEFAULT_AUTH_QUERY = "SELECT rolname, rolpassword FROM pg_catalog.pg_authid"
                + " WHERE rolname = $1 AND rolcanlogin AND (rolvaliduntil IS NULL OR rolvaliduntil > now())";
        public static final Admin NONE = new Admin(java.util.List.of(), java.util.List.of());

        public Admin {
            adminUsers = java.util.List.copyOf(adminUsers);
            statsUsers = java.util.List.copyOf(statsUsers);
        }

        public Admin(java.util.List<String> adminUsers, java.util.List<String> statsUsers) {
            this(adminUsers, statsUsers, null, DEFAULT_AUTH_QUERY);
        }

        public boolean mayShow(String user) {
            return adminUsers.contains(user) || statsUsers.contains(user);
        }

        public boolean mayChange(String user) {
            return adminUsers.contains(user);
        }

        static Admin read(Section s) {
            String query = s.string("auth_query", DEFAULT_AUTH_QUERY);
            if (!query.contains("$1"))
                throw new ConfigException(s.key("auth_query") + ": must take the user name as $1");
            return new Admin(
                    s.strings("admin_users", java.util.List.of()),
                    s.strings("stats_users", java.util.List.of()),
                    s.string("auth_user", null),
                    query);
        }
    }

    /**
     * What keeps a flood of connections from exhausting the router (the servers never see a client
     * before it authenticates).
     *
     * @param maxClientConnPerAddress clients at once from one IP address (0: no limit)
     * @param maxConnectionsPerSecond new connections accepted per second, from all addresses (0: no limit)
     * @param maxUnauthenticated clients at once that have not finished authenticating
     * @param clientLoginTimeoutMs a client that has not authenticated after this long is disconnected
     */
    public record Limits(
            int maxClientConnPerAddress,
            int maxConnectionsPerSecond,
            int maxUnauthenticated,
            long clientLoginTimeoutMs) {
        public static final Limits DEFAULT = new Limits(0, 0, 100, 60_000);

        static Limits read(Section s) {
            int perAddress = s.intIn("max_client_conn_per_address", 0, 0, 1_000_000);
            int perSecond = s.intIn("max_connections_per_second", 0, 0, 1_000_000);
            int unauthenticated = s.intIn("max_unauthenticated", 100, 1, 1_000_000);
            long timeout = s.millis("client_login_timeout", 60_000);
            if (timeout <= 0) throw new ConfigException(s.key("client_login_timeout") + ": must be positive");
            return new Limits(perAddress, perSecond, unauthenticated, timeout);
        }
    }

    /**
     * The read/write split of transaction mode: a transaction that only reads (by PostgreSQL's own
     * parser) runs on a standby within the router's lag limit, everything else on the primary.
     *
     * @param loadBalance whether reads go to standbys at all ({@code load_balance}, off by default)
     * @param readYourWrites a client's reads go only to standbys that have replayed its last commit
     *     ({@code read_your_writes}, on by default)
     * @param readYourWritesWaitMs how long such a read waits for a standby to replay that far before
     *     it runs on the primary instead ({@code read_your_writes_wait})
     * @param lsnToken each client is told the position of its last commit, as the setting {@code
     *     pgha.commit_lsn} (a ParameterStatus); any client can pass one back with {@code SET
     *     pgha.min_lsn = '...'} to read at least that far ({@code lsn_token})
     * @param weights relative share of reads per standby by member name (0: none); members not
     *     named weigh 1 ({@code standby_weights})
     */
    public record Split(
            boolean loadBalance,
            boolean readYourWrites,
            long readYourWritesWaitMs,
            boolean lsnToken,
            java.util.Map<String, Integer> weights) {
        public static final Split OFF = new Split(false, true, 100, false, java.util.Map.of());

        public Split {
            weights = java.util.Map.copyOf(weights);
        }

        /** A member's weight: its entry, or 1. */
        public int weight(String member) {
            return weights.getOrDefault(member, 1);
        }

        static Split read(Section s) {
            boolean lb = s.bool("load_balance", false);
            boolean ryw = s.bool("read_your_writes", true);
            long wait = s.millis("read_your_writes_wait", 100);
            if (wait < 0) throw new ConfigException(s.key("read_your_writes_wait") + ": must not be negative");
            boolean token = s.bool("lsn_token", false);
            return new Split(lb, ryw, wait, token, readWeights(s));
        }
    }

    /** {@code standby_weights}: member name to a weight from 0 to 1000. */
    static java.util.Map<String, Integer> readWeights(Section s) {
        java.util.Map<String, Integer> weights = new java.util.TreeMap<>();
        s.stringMap("standby_weights").forEach((member, w) -> {
            int v;
            try {
                v = Integer.parseInt(w.trim());
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v < 0 || v > 1000)
                throw new ConfigException(s.key("standby_weights") + "." + member + ": '" + w
                        + "' must be a whole number from 0 to 1000");
            weights.put(member, v);
        });
        return weights;
    }

    /**
     * When a server connection goes back to the pool: when the client disconnects ({@code session}),
     * at the end of each transaction ({@code transaction}), or after each statement, with
     * transaction blocks refused ({@code statement}).
     */
    public enum Mode {
        SESSION,
        TRANSACTION,
        STATEMENT
    }

    private static Mode readMode(Section s) {
        String mode = s.string("mode", "transaction");
        return switch (mode) {
            case "transaction" -> Mode.TRANSACTION;
            case "session" -> Mode.SESSION;
            case "statement" -> Mode.STATEMENT;
            default ->
                throw new ConfigException(s.key("mode") + ": '" + mode + "' must be session, transaction or statement");
        };
    }

    static PoolConfig read(Section s, int otherPort, int otherReadOnlyPort) {
        int port = s.port("port", null);
        if (port == otherPort || port == otherReadOnlyPort)
            throw new ConfigException(s.key("port") + ": " + port + " is already one of the router's other ports");
        Mode m = readMode(s);
        String auth = s.string("auth_type", "scram-sha-256");
        if (!auth.equals("scram-sha-256") && !auth.equals("md5") && !auth.equals("cert") && !auth.equals("trust"))
            throw new ConfigException(
                    s.key("auth_type") + ": '" + auth + "' must be scram-sha-256, md5, cert or trust");
        String file = s.string("auth_file", null);
        if (file == null)
            throw new ConfigException(s.key("auth_file") + ": is required (users and their SCRAM verifiers, md5 hashes"
                    + " or passwords, in PgBouncer's userlist.txt format)");
        int size = s.intIn("pool_size", 20, 1, 10_000);
        int max = s.intIn("max_client_conn", 1000, 1, 1_000_000);
        long idle = s.millis("server_idle_timeout", 600_000);
        long life = s.millis("server_lifetime", 3_600_000);
        long wait = s.millis("query_wait_timeout", 120_000);
        if (idle <= 0 || life <= 0 || wait <= 0)
            throw new ConfigException(
                    s.key("") + "server_idle_timeout, server_lifetime and query_wait_timeout must be positive");
        Split split = Split.read(s);
        if (split.loadBalance() && m == Mode.SESSION)
            throw new ConfigException(s.key("load_balance") + ": needs mode transaction or statement (a session-mode"
                    + " client keeps one server connection, on the primary)");
        Admin admin = Admin.read(s);
        Limits limits = Limits.read(s);
        Tls tls = Tls.read(s);
        Pools pools = Pools.read(s);
        if (auth.equals("cert")
                && (tls.clientCaFile() == null || !tls.clientSslmode().equals("require")))
            throw new ConfigException(s.key("auth_type") + ": cert needs client_tls_sslmode: require and"
                    + " client_tls_ca_file (the authorities whose client certificates name the users)");
        s.rejectUnknown();
        return new PoolConfig(port, m, auth, file, size, max, idle, life, wait, split, admin, limits, tls, pools);
    }
}
