package io.pgha.dcs;

import io.pgha.core.config.Credentials;
import io.pgha.core.config.DcsConfig;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
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
 * client adds to its session, the ACL on every node pgha creates (that identity, all permissions,
 * nobody else), and TLS for clients and for the embedded servers.
 *
 * <p>The ACL names the digest identity explicitly rather than ZooKeeper's "creator" ACL, which would
 * also admit any TLS certificate identity the creating session had. The digest is computed here
 * with ZooKeeper's {@link DigestAuthenticationProvider} (SHA-1 unless the JVM sets {@code
 * zookeeper.DigestAuthenticationProvider.digestAlg}, which must then match the servers').
 *
 * <p>TLS settings go into each client's own {@link ZKClientConfig}, never into system properties,
 * so that clients with different settings can share a JVM. The embedded server's settings are
 * another matter: ZooKeeper turns unknown server keys into JVM-wide system properties, so {@link
 * #serverProperties} states every such key on every start, plain servers included.
 */
public final class ZooKeeperAccess {
    /** No authentication, open ACLs, plain TCP. */
    public static final ZooKeeperAccess OPEN = new ZooKeeperAccess(null, null);

    private final Credentials auth;
    private final DcsConfig.Tls tls;
    private final List<ACL> acl;

    private ZooKeeperAccess(Credentials auth, DcsConfig.Tls tls) {
        this.auth = auth;
        this.tls = tls;
        // Not List.of: ZooKeeper asks the list whether it contains null, which List.of answers with an exception.
        this.acl = auth == null
                ? ZooDefs.Ids.OPEN_ACL_UNSAFE
                : Collections.singletonList(new ACL(ZooDefs.Perms.ALL, digestId(auth)));
    }

    /** The access of a config's {@code dcs.auth} and {@code dcs.tls}. */
    public static ZooKeeperAccess of(DcsConfig cfg) {
        return of(cfg.auth(), cfg.tls());
    }

    public static ZooKeeperAccess of(Credentials auth, DcsConfig.Tls tls) {
        return auth == null && tls == null ? OPEN : new ZooKeeperAccess(auth, tls);
    }

    /** The {@code digest} identity of {@code auth} as ZooKeeper stores it in ACLs: user:base64(sha1(user:password)). */
    static Id digestId(Credentials auth) {
        try {
            return new Id(
                    "digest", DigestAuthenticationProvider.generateDigest(auth.username() + ":" + auth.password()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("ZooKeeper's digest algorithm is not available in this JVM", e);
        }
    }

    public boolean authenticated() {
        return auth != null;
    }

    /** The ACL of every node pgha creates. */
    public List<ACL> acl() {
        return acl;
    }

    /** For Curator: the same ACL for every path, parents created on the way included. */
    ACLProvider aclProvider() {
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return acl;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
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
        return "ZooKeeperAccess[auth=" + (auth == null ? "none" : "digest:" + auth.username()) + ", tls="
                + (tls != null) + "]";
    }
}
