package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.DcsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An embedded ZooKeeper serving clients over TLS only, with PEM files (a key and its certificate in
 * one file, and the certificate to trust), and with {@code dcs.auth}: pgha's TLS clients pass the
 * DCS contract; a client without TLS, one that does not trust the server's certificate and one
 * without a certificate of its own cannot even connect.
 */
class ZooKeeperTlsIT extends DcsContract {
    private static EmbeddedZooKeeper zk;
    private static DcsConfig.Tls tls;
    private static ZooKeeperAccess access;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        Path key = selfSigned(certs, "pgha");
        tls = new DcsConfig.Tls(
                key.toString(), null, certs.resolve("pgha-cert.pem").toString(), null);
        access = ZooKeeperAccess.of(ZooKeeperAuthIT.AUTH, tls);
        int port = TestPorts.free();
        zk = EmbeddedZooKeeper.standalone(port, Files.createDirectories(dir.resolve("zk")), access);
    }

    /**
     * A self-signed certificate for 127.0.0.1 made with openssl: {@code <name>-cert.pem}, and
     * {@code <name>.pem} holding the unencrypted key and the certificate (returned).
     */
    static Path selfSigned(Path certs, String name) throws IOException, InterruptedException {
        Path key = certs.resolve(name + "-key.pem");
        Path cert = certs.resolve(name + "-cert.pem");
        Process openssl = new ProcessBuilder(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-days",
                        "2",
                        "-subj",
                        "/CN=" + name,
                        "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout",
                        key.toString(),
                        "-out",
                        cert.toString())
                .redirectErrorStream(true)
                .start();
        openssl.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertThat(openssl.waitFor(60, TimeUnit.SECONDS) && openssl.exitValue() == 0)
                .as("openssl made a test certificate")
                .isTrue();
        Path both = certs.resolve(name + ".pem");
        Files.writeString(both, Files.readString(key) + Files.readString(cert));
        return both;
    }

    @AfterAll
    static void stopZooKeeper() {
        if (zk != null) zk.close();
    }

    @Override
    protected Dcs connect(String cluster) throws Exception {
        ZooKeeperDcs d = ZooKeeperDcs.connect(zk.connectString(), "/pgha-test", cluster, 2000, true, access);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    private static void cannotConnect(String what, ZooKeeperAccess with) throws Exception {
        try (ZooKeeperDcs d = ZooKeeperDcs.connect(zk.connectString(), "/pgha-test", "tls", 2000, false, with)) {
            // a short wait is enough: a client that did connect later would still be caught by the read
            assertThat(d.awaitConnected(1000)).as(what).isFalse();
            assertThatThrownBy(d::read).as(what).isInstanceOf(DcsException.class);
        }
    }

    @Test
    void aClientWithoutTlsCannotConnect() throws Exception {
        cannotConnect("plain TCP with the right password", ZooKeeperAccess.of(ZooKeeperAuthIT.AUTH, null));
    }

    @Test
    void aClientThatDoesNotTrustTheServerCannotConnect() throws Exception {
        Path other = selfSigned(Files.createDirectories(dir.resolve("other")), "other");
        cannotConnect(
                "trusts another certificate",
                ZooKeeperAccess.of(
                        ZooKeeperAuthIT.AUTH,
                        new DcsConfig.Tls(
                                tls.keystore(),
                                null,
                                other.getParent().resolve("other-cert.pem").toString(),
                                null)));
    }

    @Test
    void aClientWithoutACertificateCannotConnect() throws Exception {
        cannotConnect(
                "no client certificate",
                ZooKeeperAccess.of(ZooKeeperAuthIT.AUTH, new DcsConfig.Tls(null, null, tls.truststore(), null)));
    }

    @Test
    void aTlsClientWithoutThePasswordIsStillRefused() throws Exception {
        try (ZooKeeperDcs d = ZooKeeperDcs.connect(
                zk.connectString(), "/pgha-test", "tls", 2000, false, ZooKeeperAccess.of(null, tls))) {
            // the TLS handshake may take longer than one operation's wait on a loaded machine: a session
            // first, then the request that the server refuses for want of authentication
            assertThat(d.awaitConnected(10_000)).isTrue();
            // a connection loss on a loaded machine is not the answer asked for: ask again until the
            // server itself answers, and that answer must be the refusal
            AtomicReference<Throwable> refusal = new AtomicReference<>();
            await().atMost(20, TimeUnit.SECONDS)
                    .pollInterval(200, TimeUnit.MILLISECONDS)
                    .until(() -> {
                        Throwable t = catchThrowable(d::read);
                        refusal.set(t);
                        return t == null || !String.valueOf(t.getMessage()).contains("connectionloss");
                    });
            assertThat(refusal.get()).isInstanceOf(DcsException.class).hasMessageContaining("dcs.auth");
        }
    }

    @Test
    void aTlsClientReadsWhatAnotherWrote() throws Exception {
        Dcs a = client();
        assertThat(a.acquireLeader("a")).isTrue();
        a.publishMember(member("a"));
        assertThat(client().read().leader()).isEqualTo("a");
        assertThat(client().read().members()).containsOnlyKeys("a");
    }
}
