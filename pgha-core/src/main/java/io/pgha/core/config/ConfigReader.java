package io.pgha.core.config;

import io.pgha.core.model.Tags;
import io.pgha.core.net.HostPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a validated {@link NodeConfig} from a parsed YAML document (a tree of maps and lists).
 * Either the whole config is valid or a {@link ConfigException} names the first bad key.
 */
public final class ConfigReader {
    /** Parameters pgha manages itself; setting them in postgresql.parameters would break replication. */
    static final Set<String> MANAGED_PARAMETERS = Set.of(
            "port",
            "listen_addresses",
            "hot_standby",
            "primary_conninfo",
            "primary_slot_name",
            "synchronous_standby_names",
            "recovery_target_timeline",
            "hba_file",
            "data_directory",
            "config_file",
            "unix_socket_directories");

    /** The top-level keys of a node config. */
    public static final Set<String> TOP_LEVEL_KEYS = Set.of(
            "cluster",
            "name",
            "data_dir",
            "bin_dir",
            "os_user",
            "postgresql",
            "restapi",
            "dcs",
            "timing",
            "tags",
            "watchdog",
            "remove_data_directory_on_rewind_failure",
            "primary_start_timeout",
            "router",
            "archive",
            "standby_cluster",
            "log",
            "control_socket");

    /**
     * WAL segment size in MB for new clusters. At promotion PostgreSQL copies the old timeline's last
     * segment, zero-filled to full size, and fsyncs it before accepting writes; smaller segments keep
     * that part of a failover and a switchover short (measured: a switchover under load takes about
     * 0.86 s with 16 MB and 0.24 s with 4 MB on a 2-core machine; see BENCHMARKS.md).
     */
    public static final int DEFAULT_WAL_SEGMENT_MB = 4;

    private ConfigReader() {}

    public static NodeConfig read(Map<?, ?> document) {
        Section root = new Section("", document);
        String cluster = root.identifier("cluster", null);
        if (cluster == null) throw new ConfigException("cluster: is required");
        String name = root.identifier("name", null);
        if (name == null) throw new ConfigException("name: is required");
        String dataDir = absolutePath(root, "data_dir", true);
        String binDir = absolutePath(root, "bin_dir", false);
        String osUser = root.string("os_user", "postgres");
        NodeConfig.Postgres pg = postgres(root.section("postgresql"));
        NodeConfig.RestApi api = restApi(root.section("restapi"));
        DcsConfig dcs = dcs(root.section("dcs"));
        Timing timing = timing(root.section("timing"), dcs.kind() == DcsConfig.Kind.ETCD);
        Tags tags = tags(root.section("tags"));
        WatchdogConfig watchdog = WatchdogConfig.read(root.section("watchdog"), timing);
        boolean reclone = root.bool("remove_data_directory_on_rewind_failure", false);
        long startTimeout = root.millis("primary_start_timeout", 30_000);
        RouterConfig router = root.has("router") ? RouterConfig.read(root.section("router"), name) : null;
        ArchiveConfig archive = root.has("archive") ? ArchiveConfig.read(root.section("archive"), dataDir) : null;
        var standbyCluster = StandbySettings.parse("standby_cluster", root.raw("standby_cluster"));
        LogConfig log = LogConfig.read(root.section("log"));
        String controlSocket = ControlSocketPath.read(root, cluster, name, dataDir);
        if (standbyCluster != null && standbyCluster.archive() && archive == null) {
            throw new ConfigException("standby_cluster.archive: needs an archive: section (the repository shared with"
                    + " the primary cluster)");
        }
        if (archive != null) {
            for (String p : List.of("archive_mode", "archive_command", "restore_command", "archive_library")) {
                if (pg.parameters().containsKey(p)) {
                    throw new ConfigException("postgresql.parameters." + p
                            + ": is managed by pgha when the config has an archive: section");
                }
            }
        }
        root.rejectUnknown();
        if (router != null
                && (router.port() == pg.port() || router.readOnlyPort() == pg.port())
                && router.listen().equals(pg.listen())) {
            throw new ConfigException("router.port: " + pg.port() + " is also postgresql.port");
        }
        if (api.port() == pg.port() && api.listen().equals(pg.listen())) {
            throw new ConfigException("restapi.port: " + api.port() + " is also postgresql.port");
        }
        return new NodeConfig(
                cluster,
                name,
                dataDir,
                binDir,
                osUser,
                pg,
                api,
                dcs,
                timing,
                tags,
                watchdog,
                reclone,
                startTimeout,
                router,
                archive,
                standbyCluster,
                log,
                controlSocket);
    }

    /**
     * A host name or address without a port. An IPv6 literal may be given with or without brackets
     * and is kept without (PostgreSQL's listen_addresses and libpq's host= take it bare); URLs and
     * host:port pairs built from it bracket it again ({@link HostPort}).
     */
    static String host(Section s, String key, String dflt) {
        String h = s.string(key, null);
        if (h == null) return dflt;
        String bare = HostPort.bare(h);
        if (bare.isEmpty() || bare.contains("[") || bare.contains("]") || bare.contains("/") || bare.contains(" ")) {
            throw new ConfigException(s.key(key) + ": '" + h + "' is not a host name or address");
        }
        return bare;
    }

    private static String absolutePath(Section s, String key, boolean required) {
        String p = required ? s.requiredString(key) : s.string(key, null);
        if (p != null && !p.startsWith("/"))
            throw new ConfigException(s.key(key) + ": '" + p + "' must be an absolute path");
        return p;
    }

    private static NodeConfig.Postgres postgres(Section s) {
        String listen = host(s, "listen", "127.0.0.1");
        String connect = host(s, "connect_address", HostPort.wildcard(listen) ? null : listen);
        if (connect == null)
            throw new ConfigException(s.key("connect_address") + ": is required when listen is a wildcard");
        int port = s.port("port", 5432);
        Section auth = s.section("authentication");
        Credentials su = credentials(auth.section("superuser"), "postgres");
        Credentials repl = credentials(auth.section("replication"), "replicator");
        auth.rejectUnknown();
        Map<String, String> params = s.stringMap("parameters");
        for (String p : params.keySet()) {
            if (MANAGED_PARAMETERS.contains(p)) {
                throw new ConfigException(s.key("parameters." + p) + ": is managed by pgha and cannot be set here");
            }
        }
        String walLevel = params.get("wal_level");
        if (walLevel != null && !walLevel.equals("replica") && !walLevel.equals("logical")) {
            throw new ConfigException(s.key("parameters.wal_level") + ": '" + walLevel
                    + "' is not one of replica, logical (streaming standbys need at least replica)");
        }
        List<String> hba = s.strings("pg_hba", null);
        long segment = s.integer("wal_segment_size", DEFAULT_WAL_SEGMENT_MB);
        if (segment < 1 || segment > 1024 || Long.bitCount(segment) != 1) {
            throw new ConfigException(
                    s.key("wal_segment_size") + ": " + segment + " MB must be a power of 2 between 1 and 1024");
        }
        Section cb = s.section("callbacks");
        Map<String, String> scripts = new java.util.LinkedHashMap<>();
        for (String action : NodeConfig.Callbacks.ACTIONS) {
            String path = absolutePath(cb, action, false);
            if (path != null) scripts.put(action, path);
        }
        long cbTimeout = cb.millis("timeout", NodeConfig.Callbacks.DEFAULT_TIMEOUT_MS);
        if (cbTimeout < 100 || cbTimeout > 3_600_000)
            throw new ConfigException(cb.key("timeout") + ": out of range (100ms to 1h)");
        cb.rejectUnknown();
        String socketDir = s.string("socket_directory", NodeConfig.Postgres.DEFAULT_SOCKET_DIRECTORY);
        if (!socketDir.startsWith("/") || socketDir.contains(",") || socketDir.contains("'"))
            throw new ConfigException(s.key("socket_directory") + ": '" + socketDir
                    + "' is not one absolute directory (PostgreSQL's Unix socket goes there)");
        s.rejectUnknown();
        return new NodeConfig.Postgres(
                listen,
                connect,
                port,
                su,
                repl,
                params,
                hba == null ? defaultHba(repl) : hba,
                (int) segment,
                socketDir,
                new NodeConfig.Callbacks(scripts, cbTimeout));
    }

    /** Production default: every connection from the network authenticates with SCRAM. */
    private static List<String> defaultHba(Credentials repl) {
        List<String> l = new ArrayList<>();
        l.add("local all all peer");
        l.add("host replication " + repl.username() + " 0.0.0.0/0 scram-sha-256");
        l.add("host replication " + repl.username() + " ::/0 scram-sha-256");
        l.add("host all all 0.0.0.0/0 scram-sha-256");
        l.add("host all all ::/0 scram-sha-256");
        return List.copyOf(l);
    }

    private static Credentials credentials(Section s, String defaultUser) {
        Credentials c = new Credentials(s.identifier("username", defaultUser), s.string("password", null));
        s.rejectUnknown();
        return c;
    }

    private static NodeConfig.RestApi restApi(Section s) {
        String listen = host(s, "listen", "127.0.0.1");
        String connect = host(s, "connect_address", HostPort.wildcard(listen) ? null : listen);
        if (connect == null)
            throw new ConfigException(s.key("connect_address") + ": is required when listen is a wildcard");
        int port = s.port("port", 8008);
        Credentials auth = null;
        if (s.has("authentication")) {
            Section a = s.section("authentication");
            auth = new Credentials(a.requiredString("username"), a.requiredString("password"));
            a.rejectUnknown();
        }
        ApiListener listener = ApiListener.read(s);
        s.rejectUnknown();
        return new NodeConfig.RestApi(listen, connect, port, auth, listener);
    }

    static DcsConfig dcs(Section s) {
        String namespace = s.string("namespace", "/pgha");
        if (!namespace.startsWith("/") || (namespace.length() > 1 && namespace.endsWith("/"))) {
            throw new ConfigException(
                    s.key("namespace") + ": '" + namespace + "' must start with '/' and not end with '/'");
        }
        boolean external = s.has("zookeeper");
        boolean embedded = s.has("embedded");
        boolean etcd = s.has("etcd");
        if ((external ? 1 : 0) + (embedded ? 1 : 0) + (etcd ? 1 : 0) != 1) {
            throw new ConfigException(s.key("") + "zookeeper, " + s.key("embedded") + " or " + s.key("etcd")
                    + ": exactly one must be given");
        }
        DcsConfig cfg;
        if (etcd) {
            Section e = s.section("etcd");
            List<String> endpoints = new ArrayList<>();
            List<String> given = e.raw("endpoints") instanceof String
                    ? List.of(e.requiredString("endpoints"))
                    : e.strings("endpoints", List.of());
            for (String text : given) {
                for (String one : text.split(",")) {
                    String endpoint = one.trim();
                    if (endpoint.startsWith("http://") || endpoint.startsWith("https://")) {
                        throw new ConfigException(e.key("endpoints") + ": '" + endpoint
                                + "': give host:port without a scheme (https follows from dcs.tls)");
                    }
                    try {
                        HostPort.parseList(endpoint, 2379);
                    } catch (IllegalArgumentException ex) {
                        throw new ConfigException(e.key("endpoints") + ": " + ex.getMessage());
                    }
                    if (!endpoint.isEmpty()) endpoints.add(endpoint);
                }
            }
            if (endpoints.isEmpty())
                throw new ConfigException(e.key("endpoints") + ": at least one endpoint is required");
            e.rejectUnknown();
            cfg = new DcsConfig(null, null, new DcsConfig.Etcd(endpoints), namespace, null, null);
        } else if (external) {
            Section zk = s.section("zookeeper");
            String connect = zk.requiredString("connect");
            try {
                HostPort.parseList(connect, 2181);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(zk.key("connect") + ": " + ex.getMessage());
            }
            cfg = new DcsConfig(connect, null, namespace);
            zk.rejectUnknown();
        } else {
            Section e = s.section("embedded");
            // ZooKeeper server ids of an ensemble run from 1 to 255.
            int myId = e.has("my_id") ? e.intIn("my_id", 0, 1, 255) : -1;
            List<String> peerText = e.strings("peers", List.of());
            List<DcsConfig.Peer> peers = new ArrayList<>();
            for (String p : peerText) peers.add(DcsConfig.Peer.parse(e.key("peers"), p));
            if (peers.isEmpty()) throw new ConfigException(e.key("peers") + ": at least one peer is required");
            if (peers.stream().noneMatch(p -> p.id() == myId)) {
                throw new ConfigException(
                        e.key("my_id") + ": " + myId + " is not the id of any entry in " + e.key("peers"));
            }
            if (peers.stream().map(DcsConfig.Peer::id).distinct().count() != peers.size()) {
                throw new ConfigException(e.key("peers") + ": peer ids must be unique");
            }
            if (peers.size() == 2) {
                throw new ConfigException(e.key("peers") + ": an ensemble of 2 survives no loss; use 1, 3 or 5 peers");
            }
            String dir = absolutePath(e, "data_dir", true);
            e.rejectUnknown();
            cfg = new DcsConfig(null, new DcsConfig.Embedded(myId, List.copyOf(peers), dir), namespace);
        }
        Credentials auth = s.has("auth") ? dcsAuth(s.section("auth")) : null;
        DcsConfig.Tls tls = s.has("tls") ? dcsTls(s.section("tls"), embedded) : null;
        List<DcsConfig.Reader> readers = readers(s, etcd, auth);
        s.rejectUnknown();
        return new DcsConfig(cfg.connect(), cfg.embedded(), cfg.etcd(), namespace, auth, tls, readers);
    }

    /**
     * {@code dcs.readers}: a list of {@code {username, password}} or {@code {username, digest}}, the
     * read-only identities the agents admit to the cluster's ZooKeeper nodes. Needs {@code dcs.auth}
     * (without it the nodes are open to anybody); not for etcd, whose users and roles are made in
     * etcd itself.
     */
    private static List<DcsConfig.Reader> readers(Section s, boolean etcd, Credentials auth) {
        Object raw = s.raw("readers");
        if (raw == null) return List.of();
        String key = s.key("readers");
        if (etcd) {
            throw new ConfigException(key + ": etcd's read-only users are etcd users whose role may only read the"
                    + " namespace, made in etcd itself (etcdctl role add, see docs/security.md); leave "
                    + key + " out and give the reader's user in the client's dcs.auth");
        }
        if (!(raw instanceof List<?> list))
            throw new ConfigException(key + ": expected a list of {username, password} or {username, digest}");
        if (auth == null && !list.isEmpty()) {
            throw new ConfigException(key + ": needs " + s.key("auth")
                    + " (without it pgha's ZooKeeper nodes are open to everybody, and there is nothing to grant)");
        }
        List<DcsConfig.Reader> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = key + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m))
                throw new ConfigException(at + ": expected a mapping {username, password} or {username, digest}");
            Section r = new Section(at, m);
            String user = r.identifier("username", null);
            if (user == null) throw new ConfigException(r.key("username") + ": is required");
            String password = r.string("password", null);
            String digest = r.string("digest", null);
            if ((password == null) == (digest == null)) {
                throw new ConfigException(at + ": give either password or digest (pgha config digest " + user
                        + " prints the digest of a password)");
            }
            if (password != null && password.length() < 8) {
                throw new ConfigException(r.key("password")
                        + ": is shorter than 8 characters; use a long random one (e.g. openssl rand -hex 24)");
            }
            if (digest != null) digest = digest(r.key("digest"), user, digest);
            r.rejectUnknown();
            if (user.equals(auth.username()))
                throw new ConfigException(r.key("username") + ": '" + user + "' is the user of " + s.key("auth"));
            for (DcsConfig.Reader other : out) {
                if (other.username().equals(user))
                    throw new ConfigException(r.key("username") + ": '" + user + "' is given twice");
            }
            out.add(new DcsConfig.Reader(user, password, digest));
        }
        return List.copyOf(out);
    }

    /** Byte lengths of the hashes ZooKeeper's digest provider may use: SHA-1 (its default), SHA-224 to SHA-512. */
    private static final Set<Integer> DIGEST_LENGTHS = Set.of(20, 28, 32, 48, 64);

    /**
     * A ZooKeeper digest: base64 of the hash of {@code user:password}, as {@code pgha config digest}
     * prints it; {@code user:} in front (ZooKeeper's own notation of the identity) is accepted when it
     * names the same user.
     */
    private static String digest(String key, String user, String text) {
        String d = text;
        int colon = d.indexOf(':');
        if (colon >= 0) {
            if (!d.substring(0, colon).equals(user)) {
                throw new ConfigException(
                        key + ": is the digest of user '" + d.substring(0, colon) + "', not of '" + user + "'");
            }
            d = d.substring(colon + 1);
        }
        byte[] hash;
        try {
            hash = java.util.Base64.getDecoder().decode(d);
        } catch (IllegalArgumentException e) {
            hash = null;
        }
        if (hash == null || !DIGEST_LENGTHS.contains(hash.length)) {
            throw new ConfigException(key + ": '" + text + "' is not a ZooKeeper digest (base64 of a SHA-1 hash,"
                    + " 28 characters, as pgha config digest " + user + " prints it)");
        }
        return d;
    }

    /** ZooKeeper digest credentials: the user name may not hold ':', which separates it from the password. */
    private static Credentials dcsAuth(Section a) {
        String user = a.identifier("username", null);
        if (user == null) throw new ConfigException(a.key("username") + ": is required");
        String password = a.requiredString("password");
        if (password.length() < 8) {
            throw new ConfigException(a.key("password")
                    + ": is shorter than 8 characters; use a long random one (e.g. openssl rand -hex 24)");
        }
        a.rejectUnknown();
        return new Credentials(user, password);
    }

    private static DcsConfig.Tls dcsTls(Section t, boolean embedded) {
        String keystore = storeFile(t, "keystore", embedded);
        String truststore = storeFile(t, "truststore", true);
        DcsConfig.Tls tls = new DcsConfig.Tls(
                keystore, t.string("keystore_password", null), truststore, t.string("truststore_password", null));
        if (keystore == null && tls.keystorePassword() != null) {
            throw new ConfigException(t.key("keystore_password") + ": is given without " + t.key("keystore"));
        }
        t.rejectUnknown();
        return tls;
    }

    /** A key or trust store: an absolute path to a readable file whose name says its type. */
    private static String storeFile(Section t, String key, boolean required) {
        String f = absolutePath(t, key, required);
        if (f == null) return null;
        String lower = f.toLowerCase(java.util.Locale.ROOT);
        if (!(lower.endsWith(".pem")
                || lower.endsWith(".crt")
                || lower.endsWith(".p12")
                || lower.endsWith(".pfx")
                || lower.endsWith(".jks"))) {
            throw new ConfigException(t.key(key) + ": '" + f
                    + "' must end in .pem, .crt, .p12, .pfx or .jks (its type follows its name)");
        }
        if (!java.nio.file.Files.isRegularFile(java.nio.file.Path.of(f))
                || !java.nio.file.Files.isReadable(java.nio.file.Path.of(f))) {
            throw new ConfigException(t.key(key) + ": '" + f + "' does not exist or is not a readable file");
        }
        return f;
    }

    /**
     * A third of the ttl, at least {@link Timing#MIN_SAFETY_MARGIN_MS}. With etcd, whose ttl is whole
     * seconds, 500 ms more (at most half the ttl): else the lease validity (ttl minus the margin) is a
     * whole number of seconds too, and the watchdog timeout, also whole seconds, could only equal it.
     * Between the end of the validity, when a primary whose renewals fail stops PostgreSQL, and the
     * watchdog's reset there must be time for that stop: with 200 ms, a loaded machine was reset
     * before it had stopped PostgreSQL (safe, but a reboot where a stop would do).
     */
    static long defaultSafetyMargin(long ttlMs, boolean etcd) {
        long margin = etcd ? Math.min(ttlMs / 2, ttlMs / 3 + 500) : ttlMs / 3;
        return Math.max(Timing.MIN_SAFETY_MARGIN_MS, margin);
    }

    /**
     * The lease timing. With etcd, whose lease TTL is a whole number of seconds, {@code ttl} must be
     * one too (default 3 s), so that the leader key expires exactly when the lease arithmetic says.
     */
    private static Timing timing(Section s, boolean etcd) {
        long ttl = s.millis("ttl", etcd ? Timing.DEFAULT_ETCD_TTL_MS : Timing.DEFAULT.ttlMs());
        if (etcd && ttl % 1000 != 0) {
            throw new ConfigException(s.key("ttl") + ": " + ttl
                    + " ms is not a whole number of seconds, which etcd's lease TTL must be (e.g. "
                    + Math.max(Timing.MIN_TTL_MS, (ttl + 999) / 1000 * 1000) + " ms)");
        }
        Timing t = new Timing(
                ttl,
                s.millis("loop_wait", Timing.DEFAULT.loopWaitMs()),
                s.millis("safety_margin", defaultSafetyMargin(ttl, etcd)));
        s.rejectUnknown();
        return t.validate();
    }

    private static Tags tags(Section s) {
        Tags t = new Tags(
                s.bool("nofailover", false),
                s.bool("noloadbalance", false),
                s.intIn("priority", 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                s.bool("nosync", false),
                s.intIn("sync_priority", 0, Integer.MIN_VALUE, Integer.MAX_VALUE));
        s.rejectUnknown();
        return t;
    }
}
