package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.DcsConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-peer embedded ensemble as the demo runs it: peers talk TLS to each other and to clients,
 * with a PKCS#12 key store and a PEM trust store made by the JDK's keytool, and clients
 * authenticate. A write through one peer is read through another, which needs a quorum formed
 * over TLS.
 */
class ZooKeeperTlsQuorumIT {
    @TempDir
    Path dir;

    @Test
    void anEnsembleFormsOverTlsAndServesAuthenticatedTlsClients() throws Exception {
        String password = "store-password-1";
        Path keystore = dir.resolve("zk.p12");
        Path truststore = dir.resolve("ca.pem");
        keytool(
                "-genkeypair",
                "-alias",
                "pgha",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=pgha test",
                "-ext",
                "san=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                keystore.toString(),
                "-storepass",
                password,
                "-keypass",
                password);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "pgha",
                "-keystore",
                keystore.toString(),
                "-storepass",
                password,
                "-file",
                truststore.toString());
        ZooKeeperAccess access = ZooKeeperAccess.of(
                ZooKeeperAuthIT.AUTH, new DcsConfig.Tls(keystore.toString(), password, truststore.toString(), null));
        List<DcsConfig.Peer> peers = new ArrayList<>();
        for (int id = 1; id <= 3; id++)
            peers.add(new DcsConfig.Peer(id, "127.0.0.1", TestPorts.free(), TestPorts.free(), TestPorts.free()));
        List<EmbeddedZooKeeper> servers = new ArrayList<>();
        try {
            for (DcsConfig.Peer p : peers) {
                servers.add(EmbeddedZooKeeper.start(
                        p.id(), peers, Files.createDirectories(dir.resolve("zk" + p.id())), access));
            }
            try (ZooKeeperDcs first =
                            ZooKeeperDcs.connect(peers.get(0).clientAddress(), "/pgha-test", "q", 4000, true, access);
                    ZooKeeperDcs third = ZooKeeperDcs.connect(
                            peers.get(2).clientAddress(), "/pgha-test", "q", 4000, false, access)) {
                assertThat(first.awaitConnected(60_000))
                        .as("a session through peer 1 (needs a quorum)")
                        .isTrue();
                assertThat(first.acquireLeader("a")).isTrue();
                assertThat(third.awaitConnected(30_000)).isTrue();
                assertThat(third.read().leader()).as("read through peer 3").isEqualTo("a");
            }
            // the peers elected with pgha's longest wait between rounds of votes, not ZooKeeper's 60 s
            assertThat(electionField("maxNotificationInterval")).isEqualTo(EmbeddedZooKeeper.MAX_NOTIFICATION_MS);
        } finally {
            servers.forEach(EmbeddedZooKeeper::close);
        }
    }

    private static int electionField(String name) throws Exception {
        var f = org.apache.zookeeper.server.quorum.FastLeaderElection.class.getDeclaredField(name);
        f.setAccessible(true);
        return f.getInt(null);
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as("keytool " + args[0])
                .isTrue();
    }
}
