package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

class DemoCertificateTest {
    @Test
    void aSelfSignedCertificateWithTheNamesAskedFor() throws Exception {
        DemoCertificate.Made m = DemoCertificate.make(
                "pgha demo", "ip:127.0.0.1,dns:localhost,ip:::1,dns:db.example", Duration.ofDays(3650));
        X509Certificate c = m.certificate();
        assertThat(c.getVersion()).isEqualTo(3);
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("CN=pgha demo");
        assertThat(c.getIssuerX500Principal()).isEqualTo(c.getSubjectX500Principal());
        assertThat(c.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(c.getPublicKey()).isEqualTo(m.keys().getPublic());
        c.verify(m.keys().getPublic());
        c.checkValidity();
        assertThat(c.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(3649)));
        assertThat(c.getSubjectAlternativeNames().stream().map(n -> n.get(0) + "=" + n.get(1)))
                .containsExactly("7=127.0.0.1", "2=localhost", "7=0:0:0:0:0:0:0:1", "2=db.example");
        // the key identifier is SHA-1 of the key's bits, wrapped in two OCTET STRINGs
        byte[] ski = c.getExtensionValue("2.5.29.14");
        byte[] spki = c.getPublicKey().getEncoded();
        byte[] point = Arrays.copyOfRange(spki, spki.length - 65, spki.length); // uncompressed P-256 point
        assertThat(HexFormat.of().formatHex(Arrays.copyOfRange(ski, 4, ski.length)))
                .isEqualTo(HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-1").digest(point)));
    }

    @Test
    void validityPast2049IsAGeneralizedTime() throws Exception {
        X509Certificate c = DemoCertificate.make("x", "dns:localhost", Duration.ofDays(365 * 40))
                .certificate();
        assertThat(c.getNotAfter().toInstant()).isAfter(Instant.parse("2060-01-01T00:00:00Z"));
    }

    @Test
    void badNamesAreRefusedNamingTheEntry() {
        assertThatThrownBy(() -> DemoCertificate.make("x", "ip:db.example", Duration.ofDays(1)))
                .hasMessageContaining("not an IP address: db.example");
        assertThatThrownBy(() -> DemoCertificate.make("x", "uri:x", Duration.ofDays(1)))
                .hasMessageContaining("unknown kind: uri:x");
    }

    @Test
    void derLengthsAndObjectIdentifiers() {
        assertThat(HexFormat.of().formatHex(DemoCertificate.oid("1.2.840.10045.4.3.2")))
                .isEqualTo("06082a8648ce3d040302");
        assertThat(HexFormat.of().formatHex(DemoCertificate.tlv(0x04, new byte[200])))
                .startsWith("0481c8");
        assertThat(HexFormat.of().formatHex(DemoCertificate.tlv(0x04, new byte[300])))
                .startsWith("0482012c");
    }

    /** A TLS client that trusts only this certificate and checks the address reaches a server that uses it. */
    @Test
    void aTlsHandshakeToTheAddressInTheCertificate() throws Exception {
        DemoCertificate.Made m = DemoCertificate.make("pgha demo", "ip:127.0.0.1,dns:localhost", Duration.ofDays(1));
        char[] pw = "0123456789abcdef".toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("pgha", m.keys().getPrivate(), pw, new Certificate[] {m.certificate()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, pw);
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", m.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        try (SSLServerSocket ss = (SSLServerSocket)
                server.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Integer> served = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    int b = s.getInputStream().read();
                    s.getOutputStream().write(b + 1);
                    return b;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", ss.getLocalPort())) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.getOutputStream().write(41);
                assertThat(s.getInputStream().read()).isEqualTo(42);
            }
            assertThat(served.get(10, TimeUnit.SECONDS)).isEqualTo(41);
        }
        assertThat(List.of(m.certificate()
                        .getSubjectAlternativeNames()
                        .iterator()
                        .next()
                        .get(1)))
                .containsExactly("127.0.0.1");
    }
}
