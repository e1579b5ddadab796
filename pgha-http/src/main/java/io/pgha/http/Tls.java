package io.pgha.http;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.pgha.core.config.ApiListener;
import java.io.File;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/** TLS contexts from the PEM files of an {@link ApiListener}: the server's, and one for calls to peers. */
public final class Tls {
    private Tls() {}

    /** The server side; null when {@code l} has no certificate. */
    public static SslContext server(ApiListener l) {
        if (!l.tls()) return null;
        try {
            SslContextBuilder b = SslContextBuilder.forServer(new File(l.certFile()), new File(l.keyFile()))
                    .sslProvider(SslProvider.JDK)
                    .clientAuth(clientAuth(l.verifyClient()));
            if (l.caFile() != null) b.trustManager(new File(l.caFile()));
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "TLS certificate " + l.certFile() + " or key " + l.keyFile()
                            + " cannot be used (the key must be unencrypted PKCS#8 PEM): " + e.getMessage(),
                    e);
        }
    }

    /**
     * For HTTPS calls to other members' APIs ({@link java.net.http.HttpClient#newBuilder()}{@code
     * .sslContext}): trusts {@code l.caFile()} or, without one, the system's trust store; shows this
     * member's own certificate when the listener asks clients for certificates (the peers then
     * expect one too). Host names are verified by the HTTP client.
     */
    public static SSLContext client(ApiListener l) {
        try {
            if (l.caFile() == null && l.verifyClient() == ApiListener.VerifyClient.NONE) return SSLContext.getDefault();
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK);
            if (l.caFile() != null) b.trustManager(new File(l.caFile()));
            if (l.verifyClient() != ApiListener.VerifyClient.NONE)
                b.keyManager(new File(l.certFile()), new File(l.keyFile()));
            return ((JdkSslContext) b.build()).context();
        } catch (SSLException | NoSuchAlgorithmException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "TLS files for calls to other members cannot be used: " + e.getMessage(), e);
        }
    }

    private static ClientAuth clientAuth(ApiListener.VerifyClient v) {
        return switch (v) {
            case NONE -> ClientAuth.NONE;
            case OPTIONAL -> ClientAuth.OPTIONAL;
            case REQUIRED -> ClientAuth.REQUIRE;
        };
    }
}
