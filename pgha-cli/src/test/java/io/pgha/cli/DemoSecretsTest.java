package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.DcsConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.apache.zookeeper.util.PemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's TLS material: made in-process, the key store owner-only from the start. */
class DemoSecretsTest {
    @TempDir
    Path dir;

    @Test
    void theKeyStoreIsOwnerOnlyAndThePemIsItsCertificate() throws Exception {
        Files.createDirectories(dir.resolve("tls"));
        Files.writeString(dir.resolve("tls/zookeeper.p12"), "an earlier version's key store");
        DcsConfig.Tls tls = DemoSecrets.tls(dir, List.of("127.0.0.1", "10.0.0.7"));
        Path keystore = Path.of(tls.keystore());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keystore)))
                .isEqualTo("rw-------");
        try (var entries = Files.list(dir.resolve("tls"))) {
            assertThat(entries.map(p -> p.getFileName().toString()))
                    .as("no scratch directory left")
                    .containsExactlyInAnyOrder("zookeeper.pem", "ca.pem", "san");
        }
        // ZooKeeper's own reader, as its TLS clients and servers open it: no password, nothing to derive
        assertThat(tls.keystorePassword()).isNull();
        KeyStore ks = PemReader.loadKeyStore(keystore.toFile(), keystore.toFile(), Optional.empty());
        String pem = Files.readString(Path.of(tls.truststore()), StandardCharsets.US_ASCII);
        assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
        X509Certificate fromPem = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        assertThat(fromPem).isEqualTo(ks.getCertificate("key"));
        assertThat(ks.getKey("key", new char[0])).isInstanceOf(java.security.interfaces.ECPrivateKey.class);
        assertThat(fromPem.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))))
                .contains("127.0.0.1", "10.0.0.7", "localhost");
        // kept as it is on the next start for the same addresses
        long made = Files.getLastModifiedTime(keystore).toMillis();
        DemoSecrets.tls(dir, List.of("127.0.0.1", "10.0.0.7"));
        assertThat(Files.getLastModifiedTime(keystore).toMillis()).isEqualTo(made);
    }
}
