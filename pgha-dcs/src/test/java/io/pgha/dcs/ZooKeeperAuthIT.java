package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.config.Credentials;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An embedded ZooKeeper with {@code dcs.auth}: pgha's clients with the credential pass the DCS
 * contract; a client without it, or with a wrong password, can neither read nor change the leader
 * key, the synchronous record or the config; nodes left open from before authentication are closed.
 */
class ZooKeeperAuthIT extends DcsContract {
    static final Credentials AUTH = new Credentials("pgha", "right-password-123");
    static final ZooKeeperAccess ACCESS = ZooKeeperAccess.of(AUTH, null);
    private static EmbeddedZooKeeper zk;

    @TempDir
    static Path dir;

    private final List<Dcs> opened = new ArrayList<>();

    @BeforeAll
    static void startZooKeeper() throws Exception {
        int port = TestPorts.free();
        zk = EmbeddedZooKeeper.standalone(port, dir, ACCESS);
    }

    @AfterAll
    static void stopZooKeeper() {
        if (zk != null) zk.close();
    }

    @Override
    protected Dcs connect(String cluster) throws Exception {
        ZooKeeperDcs d = ZooKeeperDcs.connect(zk.connectString(), "/pgha-test", cluster, 2000, true, ACCESS);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    /** A cluster with a leader key, a synchronous record and a config, written by its primary. */
    private String clusterWithSecrets() throws Exception {
        String cluster = "s" + System.nanoTime();
        Dcs primary = opened(connect(cluster));
        assertThat(primary.acquireLeader("a")).isTrue();
        assertThat(primary.writeSync("a", SyncState.of("a", 1, List.of("b")))).isTrue();
        primary.updateConfig(c -> c.withSynchronous(SyncMode.QUORUM, true, 1));
        primary.publishMember(member("a"));
        return cluster;
    }

    private static List<String> secrets(String cluster) {
        String root = "/pgha-test/" + cluster;
        return List.of(root + "/leader", root + "/sync", root + "/config");
    }

    /** An operation of a new client that never authenticated. */
    private interface Anonymous {
        void run(ZooKeeper zk) throws Exception;
    }

    /** The server refuses the operation and closes the session: no client may act before it authenticated. */
    private static void refusedWithoutAuthentication(String what, Anonymous op) throws Exception {
        try (ZooKeeper anonymous = new ZooKeeper(zk.connectString(), 5000, e -> {})) {
            assertThatThrownBy(() -> op.run(anonymous))
                    .as(what)
                    .isInstanceOf(KeeperException.SessionClosedRequireAuthException.class);
        }
    }

    @Test
    void anUnauthenticatedClientCanNeitherReadNorWrite() throws Exception {
        String cluster = clusterWithSecrets();
        byte[] forged = "b".getBytes(StandardCharsets.UTF_8);
        for (String path : secrets(cluster)) {
            refusedWithoutAuthentication("read " + path, z -> z.getData(path, false, null));
            refusedWithoutAuthentication("write " + path, z -> z.setData(path, forged, -1));
            refusedWithoutAuthentication("delete " + path, z -> z.delete(path, -1));
            refusedWithoutAuthentication("open " + path, z -> z.setACL(path, ZooDefs.Ids.OPEN_ACL_UNSAFE, -1));
        }
        refusedWithoutAuthentication("list the root", z -> z.getChildren("/", false));
        refusedWithoutAuthentication(
                "create a node", z -> z.create("/x", forged, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        try (ZooKeeperDcs withoutAuth = ZooKeeperDcs.connect(zk.connectString(), "/pgha-test", cluster, 2000)) {
            assertThatThrownBy(withoutAuth::read)
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("cannot read the cluster")
                    .hasMessageContaining("dcs.auth");
        }
        assertUnchanged(cluster);
    }

    @Test
    void aWrongPasswordIsRefusedByTheAcl() throws Exception {
        String cluster = clusterWithSecrets();
        try (ZooKeeper intruder = new ZooKeeper(zk.connectString(), 5000, e -> {})) {
            intruder.addAuthInfo("digest", "pgha:wrong-password".getBytes(StandardCharsets.UTF_8));
            for (String path : secrets(cluster)) {
                assertThatThrownBy(() -> intruder.getData(path, false, null))
                        .as("read " + path)
                        .isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> intruder.setData(path, "b".getBytes(StandardCharsets.UTF_8), -1))
                        .as("write " + path)
                        .isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> intruder.setACL(path, ZooDefs.Ids.OPEN_ACL_UNSAFE, -1))
                        .as("open " + path)
                        .isInstanceOf(KeeperException.NoAuthException.class);
            }
            String root = "/pgha-test/" + cluster;
            // Deleting a child needs DELETE on its parent; creating one, CREATE.
            assertThatThrownBy(() -> intruder.delete(root + "/leader", -1))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> intruder.create(
                            root + "/failover", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> intruder.getChildren(root + "/members", false))
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }
        ZooKeeperAccess wrong = ZooKeeperAccess.of(new Credentials("pgha", "wrong-password"), null);
        try (ZooKeeperDcs d = ZooKeeperDcs.connect(zk.connectString(), "/pgha-test", cluster, 2000, false, wrong)) {
            assertThatThrownBy(d::read).isInstanceOf(DcsException.class).hasMessageContaining("noauth");
        }
        assertUnchanged(cluster);
    }

    @Test
    void everyNodePghaCreatesIsForItsIdentityAlone() throws Exception {
        String cluster = clusterWithSecrets();
        List<ACL> only = List.of(new ACL(ZooDefs.Perms.ALL, ZooKeeperAccess.digestId(AUTH)));
        try (ZooKeeper zkc = authenticated()) {
            String root = "/pgha-test/" + cluster;
            for (String p : List.of(
                    "/pgha-test",
                    root,
                    root + "/members",
                    root + "/members/a",
                    root + "/leader",
                    root + "/sync",
                    root + "/config")) {
                assertThat(zkc.getACL(p, null)).as(p).isEqualTo(only);
            }
        }
    }

    @Test
    void aMemberClosesNodesLeftOpenFromBeforeAuthentication() throws Exception {
        List<ACL> custom = new ArrayList<>(List.of(
                new ACL(ZooDefs.Perms.ALL, ZooKeeperAccess.digestId(AUTH)),
                new ACL(ZooDefs.Perms.READ, new Id("digest", "monitor:x"))));
        try (ZooKeeper zkc = authenticated()) {
            for (String p : List.of(
                    "/legacy", "/legacy/old", "/legacy/old/config", "/legacy/old/members", "/legacy/old/members/b")) {
                zkc.create(
                        p, "{}".getBytes(StandardCharsets.UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            }
            zkc.create("/legacy/old/history", "[]".getBytes(StandardCharsets.UTF_8), custom, CreateMode.PERSISTENT);
            try (ZooKeeperDcs member = ZooKeeperDcs.connect(zk.connectString(), "/legacy", "old", 2000, true, ACCESS)) {
                assertThat(member.awaitConnected(10_000)).isTrue();
                member.publishMember(member("a"));
            }
            for (String p : List.of(
                    "/legacy", "/legacy/old", "/legacy/old/config", "/legacy/old/members", "/legacy/old/members/b")) {
                assertThat(zkc.getACL(p, null)).as(p).isEqualTo(ACCESS.acl());
            }
            assertThat(zkc.getACL("/legacy/old/history", null))
                    .as("an ACL the operator chose is kept")
                    .isEqualTo(custom);
        }
    }

    private static ZooKeeper authenticated() throws Exception {
        ZooKeeper z = new ZooKeeper(zk.connectString(), 5000, e -> {});
        z.addAuthInfo("digest", (AUTH.username() + ":" + AUTH.password()).getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!z.getState().isConnected() && System.nanoTime() < deadline) Thread.onSpinWait();
        return z;
    }

    private void assertUnchanged(String cluster) throws Exception {
        var state = opened(connect(cluster)).read();
        assertThat(state.leader()).isEqualTo("a");
        assertThat(state.sync()).isEqualTo(SyncState.of("a", 1, List.of("b")));
        assertThat(state.config().synchronousMode()).isEqualTo(SyncMode.QUORUM);
        assertThat(state.config().synchronousModeStrict()).isTrue();
    }

    private Dcs opened(Dcs d) {
        opened.add(d);
        return d;
    }

    @AfterEach
    void closeOpened() {
        opened.forEach(Dcs::close);
    }
}
