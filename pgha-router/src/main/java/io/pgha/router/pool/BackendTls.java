package io.pgha.router.pool;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.pgha.core.config.PoolConfig;
import java.io.File;

/**
 * TLS from the pool to the servers, as libpq's sslmode: {@code disable}, {@code prefer}, {@code
 * require} (encrypted, the certificate not checked), {@code verify-ca} (signed by the root
 * certificate), {@code verify-full} (and naming the host the router connects to).
 */
record BackendTls(String mode, SslContext context) {
    static final BackendTls OFF = new BackendTls("disable", null);

    static BackendTls of(PoolConfig.Tls t) {
        if (t.serverSslmode().equals("disable")) return OFF;
        try {
            SslContextBuilder b = SslContextBuilder.forClient();
            if (t.serverSslmode().startsWith("verify")) b.trustManager(new File(t.serverCaFile()));
            else b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            return new BackendTls(t.serverSslmode(), b.build());
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    "router.pool.server_tls_ca_file: cannot load " + t.serverCaFile() + ": " + e.getMessage(), e);
        }
    }

    boolean wanted() {
        return context != null;
    }

    /** Whether a server that answers the SSLRequest with N may still be used (in plain text). */
    boolean plainAllowed() {
        return mode.equals("prefer");
    }

    boolean verifyHost() {
        return mode.equals("verify-full");
    }
}
