package io.pgha.dcs;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.pgha.core.config.DcsConfig;
import java.security.KeyStore;
import javax.net.ssl.TrustManagerFactory;
import org.apache.zookeeper.common.X509Util;

/**
 * The key and trust material of {@code dcs.tls} for clients that build their own TLS context (etcd's
 * gRPC channel). The files are read with ZooKeeper's own loaders, the ones its TLS clients and the
 * embedded servers use, so that a {@code .pem} (key and certificate chain in one file),
 * {@code .p12}/{@code .pfx} or {@code .jks} file means the same whichever DCS it is given to; the
 * type follows the file name exactly as in {@link ZooKeeperAccess#storeType}.
 */
final class DcsTls {
    private DcsTls() {}

    /**
     * A gRPC client context: this process's certificate from the key store (when given, for servers
     * that ask clients for one) and the trust store's certificates as the only ones that servers'
     * certificates may chain to. Host names are checked against each endpoint's address.
     *
     * @throws IllegalArgumentException naming the file that cannot be read, and why
     */
    static SslContext grpcClientContext(DcsConfig.Tls tls) {
        SslContextBuilder b = GrpcSslContexts.forClient();
        if (tls.keystore() != null) {
            try {
                b.keyManager(X509Util.createKeyManager(
                        tls.keystore(), password(tls.keystorePassword()), ZooKeeperAccess.storeType(tls.keystore())));
            } catch (Exception e) {
                throw new IllegalArgumentException(
                        "dcs.tls: cannot load the key store " + tls.keystore() + ": " + e, e);
            }
        }
        try {
            KeyStore trusted = X509Util.loadTrustStore(
                    tls.truststore(), password(tls.truststorePassword()), ZooKeeperAccess.storeType(tls.truststore()));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
            b.trustManager(tmf);
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "dcs.tls: cannot load the trust store " + tls.truststore() + ": " + e, e);
        }
        try {
            return b.build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalArgumentException("dcs.tls: cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** ZooKeeper's loaders take "" for no password. */
    private static String password(String p) {
        return p == null ? "" : p;
    }
}
