package io.pgha.dcs;

import io.pgha.core.config.Credentials;
import io.pgha.core.config.DcsConfig;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.curator.framework.AuthInfo;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ClientCnxnSocketNetty;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ClientX509Util;
import org.apache.zookeeper.common.X509Util;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.NIOServerCnxnFactory;
import org.apache.zookeeper.server.NettyServerCnxnFactory;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.auth.X509AuthenticationProvider;

/**
 * How pgha proves who it is to ZooKeeper and whom its nodes let in: the digest identity every
 * client adds to its session, the ACL on every node pgha creates (that identity, all permissions;
 * on the cluster's nodes also each read-only identity of {@code dcs.readers}, READ only; nobody
 * else), and TLS for clients and for the embedded servers.
 *
 * <p>The ACL names the digest identity explicitly rather than ZooKeeper's "creator" ACL, which would
 * also admit any TLS certificate identity the creating session had. The digest is computed here
 * with ZooKeeper's {@link DigestAuthenticationProvider} (SHA-1 unless the JVM sets {@code
 * zookeeper.DigestAuthenticationProvider.digestAlg}, which must then match the servers').
 *
 * <p>Readers get READ on the cluster's node and everything under it, which is all that reading the
 * cluster needs (ZooKeeper checks no parent's ACL for a read). The nodes above it (the namespace,
 * which clusters with other readers may share) admit pgha's identity alone.
 *
 * <p>TLS settings go into each client's own {@link ZKClientConfig}, never into system properties,
 * so that clients with different settings can share a JVM. The embedded server's settings are
 * another matter: ZooKeeper turns unknown server keys into JVM-wide system properties, so {@link
 * #serverProperties} states every such key on every start, plain servers included.
 */
public final class ZooKeeperAccess {
    /** No authentication, open ACLs, plain TCP. */
    public static final ZooKeeperAccess OPEN = new ZooKeeperAccess(null, null, List.of());

    private final Credentials auth;
    private final DcsConfig.Tls tls;
    /** pgha's identity alone (nodes above the cluster's). */
    private final List<ACL> ownerAcl;
    /** pgha's identity and the readers (the cluster's node and everything under it). */
    private final List<ACL> clusterAcl;

    private ZooKeeperAccess(Credentials auth, DcsConfig.Tls tls, List<DcsConfig.Reader> readers) {
        this.auth = auth;
        this.tls = tls;
        if (auth == null) {
            // Not List.of: ZooKeeper asks the list whether it contains null, which List.of answers with an exception.
            this.ownerAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
            this.clusterAcl = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        } else {
            ACL owner = new ACL(ZooDefs.Perms.ALL, digestId(auth));
            this.ownerAcl = Collections.singletonList(owner);
            List<ACL> all = new ArrayList<>();
            all.add(owner);
            for (DcsConfig.Reader r : readers) all.add(new ACL(ZooDefs.Perms.READ, readerId(r)));
            this.clusterAcl = Collections.unmodifiableList(all);
        }
    }

    /** The access of a config's {@code dcs.auth}, {@code dcs.readers} and {@code dcs.tls}. */
    public static ZooKeeperAccess of(DcsConfig cfg) {
        return of(cfg.auth(), cfg.tls(), cfg.readers());
    }

    public static ZooKeeperAccess of(Credentials auth, DcsConfig.Tls tls) {
        return of(auth, tls, List.of());
    }

    /** {@code readers} count only with {@code auth}: without it every node is open anyway. */
    public static ZooKeeperAccess of(Credentials auth, DcsConfig.Tls tls, List<DcsConfig.Reader> readers) {
        return auth == null && tls == null ? OPEN : new ZooKeeperAccess(auth, tls, readers);
    }

    /** The {@code digest} identity of {@code auth} as ZooKeeper stores it in ACLs: user:base64(sha1(user:password)). */
    static Id digestId(Credentials auth) {
        return new Id("digest", auth.username() + ":" + digest(auth.username(), auth.password()));
    }

    /** A reader's identity: from its digest as given, or computed from its password. */
    static Id readerId(DcsConfig.Reader r) {
        return new Id(
                "digest", r.username() + ":" + (r.digest() != null ? r.digest() : digest(r.username(), r.password())));
    }

    /**
     * The digest ZooKeeper keeps of {@code user} with {@code password}: base64 of the hash (SHA-1 by
     * default) of {@code user:password}, without the {@code user:} in front. What {@code dcs.readers}
     * takes as {@code digest}.
     */
    public static String digest(String user, String password) {
        try {
            String id = DigestAuthenticationProvider.generateDigest(user + ":" + password);
            return id.substring(id.indexOf(':') + 1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("ZooKeeper's digest algorithm is not available in this JVM", e);
        }
    }

    public boolean authenticated() {
        return auth != null;
    }

    /** The user name of {@code dcs.auth}, null without authentication. */
    String username() {
        return auth == null ? null : auth.username();
    }

    /** The ACL of the cluster's node and every node under it: pgha's identity and the readers. */
    public List<ACL> acl() {
        return clusterAcl;
    }

    /** The ACL of the nodes pgha creates above the cluster's (the namespace): pgha's identity alone. */
    public List<ACL> ownerAcl() {
        return ownerAcl;
    }

    /** The ACL a node at {@code path} gets, for the cluster whose node is {@code root}. */
    List<ACL> aclFor(String path, String root) {
        return path.equals(root) || path.startsWith(root + "/") ? clusterAcl : ownerAcl;
    }

    /**
     * Whether an ACL found on a node is one pgha may replace by its own: a node open to everybody
     * (made before {@code dcs.auth}), or one that admits this identity with all permissions and
     * otherwise only read-only digest identities (made by agents with other {@code dcs.readers}).
     * Anything else an operator chose is left alone.
     */
    boolean replaceable(List<ACL> found) {
        if (found.contains(new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.ANYONE_ID_UNSAFE))) return true;
        if (auth == null || !found.contains(ownerAcl.get(0))) return false;
        for (ACL a : found) {
            if (a.equals(ownerAcl.get(0))) continue;
            if (a.getPerms() != ZooDefs.Perms.READ || !"digest".equals(a.getId().getScheme())) return false;
        }
        return true;
    }

    /**
     * For Curator: the cluster's ACL under {@code root} ({@code underRoot}'s when it gives one), pgha's
     * alone above it; parents created on the way included.
     */
    ACLProvider aclProvider(String root, java.util.function.Supplier<List<ACL>> underRoot) {
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return ownerAcl;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                List<ACL> acl = aclFor(path, root);
                if (acl == clusterAcl) {
                    List<ACL> given = underRoot.get();
                    if (given != null) return given;
                }
                return acl;
            }
        };
    }

    /** The credentials Curator adds to every session (again after each reconnect). */
    List<AuthInfo> authInfo() {
        if (auth == null) return List.of();
        return List.of(
                new AuthInfo("digest", (auth.username() + ":" + auth.password()).getBytes(StandardCharsets.UTF_8)));
    }

    /** A client config of its own for this client: TLS over Netty when configured, else ZooKeeper's defaults. */
    ZKClientConfig clientConfig() {
        ZKClientConfig c = new ZKClientConfig();
        if (tls == null) return c;
        c.setProperty(ZKClientConfig.SECURE_CLIENT, "true");
        c.setProperty(ZKClientConfig.ZOOKEEPER_CLIENT_CNXN_SOCKET, ClientCnxnSocketNetty.class.getName());
        try (X509Util x = new ClientX509Util()) {
            stores(x, tls).forEach(c::setProperty);
        }
        return c;
    }

    /**
     * Adds the security settings of an embedded server to its config {@code p}: with {@code auth},
     * every client must have authenticated with a digest before any operation ({@code
     * enforce.auth}); with TLS, clients are served on {@code clientPort} over TLS only (and must show
     * a certificate that chains to the trust store) and the peers talk TLS to each other.
     */
    void serverProperties(Properties p, int clientPort) {
        // Stated on every start, also as false: ZooKeeper keeps these JVM-wide once set.
        p.setProperty("enforce.auth.enabled", String.valueOf(auth != null));
        p.setProperty("enforce.auth.schemes", "digest");
        p.setProperty(
                "serverCnxnFactory",
                (tls != null ? NettyServerCnxnFactory.class : NIOServerCnxnFactory.class).getName());
        p.setProperty("sslQuorum", String.valueOf(tls != null));
        if (tls == null) return;
        p.remove("clientPort");
        p.setProperty("secureClientPort", String.valueOf(clientPort));
        if (p.containsKey("clientPortAddress"))
            p.setProperty("secureClientPortAddress", (String) p.remove("clientPortAddress"));
        p.setProperty("authProvider.x509", X509AuthenticationProvider.class.getName());
        p.setProperty("ssl.clientAuth", "need");
        p.setProperty("ssl.quorum.clientAuth", "need");
        try (X509Util client = new ClientX509Util()) {
            stores(client, tls).forEach((k, v) -> p.setProperty(k.substring("zookeeper.".length()), v));
        }
        try (X509Util quorum = new org.apache.zookeeper.common.QuorumX509Util()) {
            stores(quorum, tls).forEach((k, v) -> p.setProperty(k.substring("zookeeper.".length()), v));
        }
    }

    /**
     * Registers the certificate authentication provider that a TLS server needs once the server's
     * config set its system property: ZooKeeper reads its providers once per JVM, possibly already
     * for an earlier server without TLS.
     */
    void registerServerProviders() {
        if (tls != null) ProviderRegistry.addOrUpdateProvider("zookeeper.authProvider.x509");
    }

    /** The key and trust store settings under {@code x}'s property names (all prefixed "zookeeper."). */
    private static java.util.Map<String, String> stores(X509Util x, DcsConfig.Tls tls) {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        // Without a key store, "" (no certificate) rather than whatever a server in this JVM set.
        m.put(x.getSslKeystoreLocationProperty(), tls.keystore() == null ? "" : tls.keystore());
        if (tls.keystore() != null) m.put(x.getSslKeystoreTypeProperty(), storeType(tls.keystore()));
        m.put(x.getSslKeystorePasswdProperty(), tls.keystorePassword() == null ? "" : tls.keystorePassword());
        m.put(x.getSslTruststoreLocationProperty(), tls.truststore());
        m.put(x.getSslTruststoreTypeProperty(), storeType(tls.truststore()));
        // "" is ZooKeeper's own default; stated so that no password of an earlier server in this JVM applies.
        m.put(x.getSslTruststorePasswdProperty(), tls.truststorePassword() == null ? "" : tls.truststorePassword());
        return m;
    }

    /** ZooKeeper's store type for a file name (the config reader admits only these endings). */
    static String storeType(String file) {
        String f = file.toLowerCase(Locale.ROOT);
        if (f.endsWith(".p12") || f.endsWith(".pfx")) return "PKCS12";
        if (f.endsWith(".jks")) return "JKS";
        return "PEM";
    }

    @Override
    public String toString() {
        return "ZooKeeperAccess[auth=" + (auth == null ? "none" : "digest:" + auth.username()) + ", readers="
                + (clusterAcl.size() - 1) + ", tls=" + (tls != null) + "]";
    }
}
