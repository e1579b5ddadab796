package io.pgha.wire.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Locale;

/**
 * SCRAM channel binding of type {@code tls-server-end-point} (RFC 5929), the one PostgreSQL
 * supports: the hash of the server's certificate, with the hash of the certificate's signature
 * algorithm (SHA-256 for MD5 and SHA-1). A client that binds its proof to it knows that the TLS
 * connection ends at the holder of that certificate, not at a man in the middle.
 */
public final class ChannelBinding {
    public static final String TYPE = "tls-server-end-point";

    private ChannelBinding() {}

    /**
     * The binding data of a connection whose server certificate is {@code cert}; null when its
     * signature algorithm has no hash to use (Ed25519, for one: PostgreSQL offers no binding then).
     */
    public static byte[] tlsServerEndPoint(X509Certificate cert) {
        String alg = cert.getSigAlgName().toUpperCase(Locale.ROOT).replace("-", "");
        String digest;
        if (alg.startsWith("SHA384")) digest = "SHA-384";
        else if (alg.startsWith("SHA512")) digest = "SHA-512";
        else if (alg.startsWith("SHA256")
                || alg.startsWith("SHA1")
                || alg.startsWith("MD5")
                || alg.startsWith("SHA224")) digest = alg.startsWith("SHA224") ? "SHA-224" : "SHA-256";
        else return null;
        try {
            return MessageDigest.getInstance(digest).digest(cert.getEncoded());
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            return null;
        }
    }

    /**
     * What a client-final-message's {@code c=} attribute carries, before base64: the gs2 header, and
     * the binding data when the exchange is bound ({@code data} null: not bound).
     */
    static byte[] attribute(String gs2Header, byte[] data) {
        byte[] h = gs2Header.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (data == null) return h;
        byte[] c = java.util.Arrays.copyOf(h, h.length + data.length);
        System.arraycopy(data, 0, c, h.length, data.length);
        return c;
    }

    /** The binding data of a TLS session's first certificate ({@code certs}, peer or local); null without one. */
    public static byte[] of(java.security.cert.Certificate[] certs) {
        if (certs == null || certs.length == 0 || !(certs[0] instanceof X509Certificate x)) return null;
        return tlsServerEndPoint(x);
    }
}
