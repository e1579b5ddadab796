package io.pgha.core.config;

import java.util.Set;

/**
 * What a CLI command needs to reach a cluster: the cluster's name, its DCS and, for some commands,
 * credentials for the agents' REST API and for PostgreSQL. Read from a node's config file or from
 * a client config: a small file with only {@code cluster}, {@code dcs} and optionally {@code
 * restapi} and {@code postgresql}, so that reading the cluster needs neither a node's file nor
 * its secrets (its {@code dcs.auth} may be a read-only identity, see {@code dcs.readers}).
 *
 * @param timing a client config's: the defaults for its kind of DCS (a client holds no lease)
 * @param superuser the PostgreSQL user that {@code pgha query} and {@code pgha dsn} use; null when
 *     a client config has none
 * @param restapi how to call the agents' REST API; null when a client config has none
 * @param node the node config when the file is one, null for a client config
 */
public record ClientConfig(
        String cluster, DcsConfig dcs, Timing timing, Credentials superuser, RestClient restapi, NodeConfig node) {

    /** The top-level keys of a client config. */
    public static final Set<String> TOP_LEVEL_KEYS = Set.of("cluster", "dcs", "restapi", "postgresql");

    /**
     * Calls to the agents' REST API: the basic-auth credential of state-changing calls, and TLS (the
     * CA that the agents' certificates chain to, and a client certificate for agents that require one).
     */
    public record RestClient(Credentials auth, ApiListener tls) {}

    /** A node config seen as a client: everything comes from it. */
    public static ClientConfig of(NodeConfig n) {
        return new ClientConfig(
                n.cluster(),
                n.dcs(),
                n.timing(),
                n.postgresql().superuser(),
                new RestClient(n.restapi().auth(), n.restapi().listener()),
                n);
    }

    /** Whether the file was a node's config (else a client config). */
    public boolean isNodeConfig() {
        return node != null;
    }

    /**
     * Whether a parsed document is a client config rather than a node's: it has neither {@code name}
     * nor {@code data_dir}, which every node config has.
     */
    public static boolean isClientDocument(java.util.Map<?, ?> document) {
        return document.get("name") == null && document.get("data_dir") == null;
    }

    /**
     * Reads a client config: {@code cluster} and {@code dcs} (an external ZooKeeper ensemble or etcd,
     * with {@code auth} and {@code tls}), optionally {@code restapi} ({@code authentication}, {@code
     * cafile}, {@code certfile} and {@code keyfile}) and {@code postgresql.authentication.superuser}.
     * Errors name the key, as for node configs.
     */
    public static ClientConfig read(java.util.Map<?, ?> document) {
        Section root = new Section("", document);
        for (String k : root.keys()) {
            if (!TOP_LEVEL_KEYS.contains(k)) {
                throw new ConfigException(k + ": not a key of a client config (it has cluster, dcs, restapi and"
                        + " postgresql; a node config, which has name and data_dir, has more)");
            }
        }
        String cluster = root.identifier("cluster", null);
        if (cluster == null) throw new ConfigException("cluster: is required");
        Section d = root.section("dcs");
        if (d.has("embedded")) {
            throw new ConfigException(d.key("embedded") + ": a client joins no ensemble; give "
                    + d.key("zookeeper.connect") + " with the members' ZooKeeper client ports");
        }
        if (d.has("readers")) {
            throw new ConfigException(d.key("readers") + ": belongs in the agents' node configs (they set the ACLs);"
                    + " a client config names its own identity in " + d.key("auth"));
        }
        DcsConfig dcs = ConfigReader.dcs(d);
        Timing timing = dcs.kind() == DcsConfig.Kind.ETCD
                ? new Timing(
                        Timing.DEFAULT_ETCD_TTL_MS,
                        Timing.DEFAULT.loopWaitMs(),
                        ConfigReader.defaultSafetyMargin(Timing.DEFAULT_ETCD_TTL_MS, true))
                : Timing.DEFAULT;
        RestClient rest = root.has("restapi") ? restClient(root.section("restapi")) : null;
        Credentials superuser = null;
        if (root.has("postgresql")) {
            Section pg = root.section("postgresql");
            Section auth = pg.section("authentication");
            pg.rejectUnknown();
            Section su = auth.section("superuser");
            auth.rejectUnknown();
            if (!auth.has("superuser"))
                throw new ConfigException(
                        auth.key("superuser") + ": is required (the user of pgha query and pgha dsn)");
            superuser = new Credentials(su.identifier("username", "postgres"), su.string("password", null));
            su.rejectUnknown();
        }
        root.rejectUnknown();
        return new ClientConfig(cluster, dcs, timing, superuser, rest, null);
    }

    /**
     * {@code restapi} of a client config: {@code authentication} (the agents' basic-auth user), {@code
     * cafile} (the CA of the agents' https certificates; default the system's trust store), {@code
     * certfile} and {@code keyfile} (a client certificate, for agents with {@code verify_client}).
     */
    private static RestClient restClient(Section s) {
        Credentials auth = null;
        if (s.has("authentication")) {
            Section a = s.section("authentication");
            auth = new Credentials(a.requiredString("username"), a.requiredString("password"));
            a.rejectUnknown();
        }
        String cert = ApiListener.readableFile(s, "certfile");
        String key = ApiListener.readableFile(s, "keyfile");
        if ((cert == null) != (key == null)) {
            throw new ConfigException(s.key("certfile") + " and " + s.key("keyfile") + ": give both or neither");
        }
        String ca = ApiListener.readableFile(s, "cafile");
        s.rejectUnknown();
        ApiListener tls = new ApiListener(
                cert,
                key,
                ca,
                cert != null ? ApiListener.VerifyClient.REQUIRED : ApiListener.VerifyClient.NONE,
                java.util.List.of(),
                ApiListener.DEFAULT_REQUEST_TIMEOUT_MS);
        return new RestClient(auth, tls);
    }
}
