package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.config.DcsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd serving clients over TLS only and asking them for a certificate ({@code --client-cert-auth}),
 * with the PEM files pgha's ZooKeeper TLS takes (key and certificate in one file, the certificate
 * to trust): pgha's TLS clients pass the DCS contract; a plain client, one that does not trust the
 * server's certificate and one without a certificate of its own cannot read anything.
 */
class EtcdTlsIT extends DcsContract {
    private static LocalEtcd etcd;
    private static DcsConfig.Tls tls;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startEtcd() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Path both = ZooKeeperTlsIT.selfSigned(certs, "pgha");
        Path cert = certs.resolve("pgha-cert.pem");
        tls = new DcsConfig.Tls(both.toString(), null, cert.toString(), null);
        etcd = LocalEtcd.start(
                Files.createDirectories(dir.resolve("etcd")),
                LocalEtcd.freePorts(1),
                new LocalEtcd.Tls(cert, certs.resolve("pgha-key.pem"), cert, true));
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) etcd.close();
    }

    private static DcsConfig config(DcsConfig.Tls with) {
        return new DcsConfig(
                null, null, new DcsConfig.Etcd(List.of(etcd.endpoints().split(","))), "/pgha-test", null, with);
    }

    @Override
    protected Dcs connect(String cluster) throws Exception {
        EtcdDcs d = EtcdDcs.connectMember(config(tls), cluster, 2000);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    private static void cannotRead(String what, DcsConfig.Tls with) {
        try (EtcdDcs d = EtcdDcs.connect(config(with), "tls", 2000)) {
            assertThatThrownBy(d::read)
                    .as(what)
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("cannot read the cluster: etcd");
            assertThat(d.connection()).as(what).isNotEqualTo(Dcs.Connection.CONNECTED);
        }
    }

    @Test
    void aClientWithoutTlsCannotRead() {
        cannotRead("plain TCP", null);
    }

    @Test
    void aClientThatDoesNotTrustTheServerCannotRead() throws Exception {
        Path other = ZooKeeperTlsIT.selfSigned(Files.createDirectories(dir.resolve("other")), "other");
        cannotRead(
                "trusts another certificate",
                new DcsConfig.Tls(
                        tls.keystore(),
                        null,
                        other.getParent().resolve("other-cert.pem").toString(),
                        null));
    }

    @Test
    void aClientWithoutACertificateCannotRead() {
        cannotRead("no client certificate", new DcsConfig.Tls(null, null, tls.truststore(), null));
    }

    @Test
    void anUnreadableTrustStoreIsNamed() {
        assertThatThrownBy(() -> EtcdDcs.connect(
                        config(new DcsConfig.Tls(
                                null, null, dir.resolve("missing.pem").toString(), null)),
                        "tls",
                        2000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dcs.tls: cannot load the trust store")
                .hasMessageContaining("missing.pem");
    }
}
