package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DCS contract against a real ZooKeeper server embedded in the test JVM. */
class ZooKeeperDcsIT extends DcsContract {
    private static EmbeddedZooKeeper zk;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        zk = EmbeddedZooKeeper.standalone(TestPorts.free(), dir);
    }

    @AfterAll
    static void stopZooKeeper() {
        if (zk != null) zk.close();
    }

    @Override
    protected Dcs connect(String cluster) throws Exception {
        ZooKeeperDcs d = ZooKeeperDcs.connectMember(zk.connectString(), "/pgha-test", cluster, 2000);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    @Test
    void usesTheNegotiatedSessionTimeout() throws Exception {
        assertThat(client().sessionTimeoutMs())
                .as("granted exactly as asked, or refused")
                .isEqualTo(2000L);
    }

    @Test
    void anUnreachableServerIsAnErrorNotAnEmptyCluster() throws Exception {
        int dead = TestPorts.free();
        try (ZooKeeperDcs d = ZooKeeperDcs.connect("127.0.0.1:" + dead, "/pgha-test", "x", 2000)) {
            assertThatThrownBy(d::read)
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("cannot read the cluster");
            assertThatThrownBy(() -> d.acquireLeader("a")).isInstanceOf(DcsException.class);
        }
    }
}
