package io.pgha.http;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.pgha.core.config.ApiListener;
import java.io.File;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

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
     * For calls to other members' APIs ({@link java.net.http.HttpClient#newBuilder()}{@code
     * .sslContext}), whether {@code l} speaks TLS or plain HTTP: trusts {@code l.caFile()} or, without
     * one, the system's trust store ({@link #systemTrust()}); shows this member's own certificate
     * when the listener asks clients for certificates (the peers then expect one too). Host names are
     * verified by the HTTP client.
     */
    public static SSLContext client(ApiListener l) {
        try {
            if (l.caFile() == null && l.verifyClient() == ApiListener.VerifyClient.NONE) return systemTrust();
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

    /**
     * The system's trust store, read at the first https handshake ({@link #systemTrustOnFirstUse()});
     * the JDK's own default context where {@code javax.net.ssl.keyStore} names a key store that it
     * would present as a client certificate.
     */
    private static SSLContext systemTrust() throws NoSuchAlgorithmException {
        return System.getProperty("javax.net.ssl.keyStore") != null ? SSLContext.getDefault() : systemTrustOnFirstUse();
    }

    /**
     * Verifies as {@link SSLContext#getDefault()} does, against the system's trust store, but reads
     * that store (about 150 CA certificates, 1 MB of heap kept for good) only at the first https
     * handshake. The JDK's HTTP client takes a context when it is built, so an agent whose peers all
     * speak plain HTTP would otherwise hold the whole store.
     */
    public static SSLContext systemTrustOnFirstUse() {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, new TrustManager[] {new SystemTrustOnFirstUse()}, null);
            return c;
        } catch (NoSuchAlgorithmException | java.security.KeyManagementException e) {
            throw new IllegalStateException("this JDK has no TLS: " + e.getMessage(), e);
        }
    }

    /**
     * Makes {@link #systemTrust()} the JVM's default {@link SSLContext}. Libraries that ask for the
     * default only to learn the supported protocols (ZooKeeper's X509Util does when its class loads,
     * in every agent) then no longer read the system's trust store; a connection that uses the
     * default verifies against that store as before.
     */
    public static void defaultTrustOnFirstUse() {
        try {
            SSLContext.setDefault(systemTrust());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no TLS: " + e.getMessage(), e);
        }
    }

    /**
     * The system's trust manager, made at the first check. The six checks of the interface only
     * hand on to it.
     */
    private static final class SystemTrustOnFirstUse extends X509ExtendedTrustManager {
        private volatile X509ExtendedTrustManager system;

        private X509ExtendedTrustManager system() throws CertificateException {
            X509ExtendedTrustManager s = system;
            if (s != null) return s;
            try {
                var f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                f.init((KeyStore) null);
                for (TrustManager t : f.getTrustManagers())
                    if (t instanceof X509ExtendedTrustManager x) return system = x;
            } catch (GeneralSecurityException e) {
                throw new CertificateException("the system's trust store cannot be read: " + e.getMessage(), e);
            }
            throw new CertificateException("the system has no X.509 trust manager");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            system().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            system().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            system().checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            system().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            system().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            system().checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return system().getAcceptedIssuers();
            } catch (CertificateException e) {
                return new X509Certificate[0];
            }
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
