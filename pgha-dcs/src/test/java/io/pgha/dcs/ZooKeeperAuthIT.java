package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.config.Credentials;
import io.pgha.core.config.DcsConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
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
 * A read-only identity of {@code dcs.readers} reads the cluster and changes nothing, and is
 * admitted to nodes made before it was added once a member starts with it.
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
        // An operator's own ACL: more than read for another identity (read-only digest identities
        // besides pgha's are what dcs.readers makes, and pgha replaces them, see readersChange...).
        List<ACL> custom = new ArrayList<>(List.of(
                new ACL(ZooDefs.Perms.ALL, ZooKeeperAccess.digestId(AUTH)),
                new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.WRITE, new Id("digest", "monitor:x"))));
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

    static final Credentials OPS = new Credentials("ops", "ops-password-1");
    static final Credentials MONITOR = new Credentials("monitor", "monitor-password-1");
    /** The agents' access with two readers: ops by its password, monitor by its digest alone. */
    static final ZooKeeperAccess WITH_READERS = ZooKeeperAccess.of(
            AUTH,
            null,
            List.of(
                    new DcsConfig.Reader(OPS.username(), OPS.password(), null),
                    new DcsConfig.Reader(
                            MONITOR.username(), null, ZooKeeperAccess.digest(MONITOR.username(), MONITOR.password()))));

    /** An agent of {@code cluster} (a member's client) with {@code access}. */
    private Dcs agent(String cluster, ZooKeeperAccess access) throws Exception {
        ZooKeeperDcs d = ZooKeeperDcs.connect(zk.connectString(), "/pgha-test", cluster, 2000, true, access);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return opened(d);
    }

    /** A CLI command's client ({@code pgha list -c client.yml}) with {@code auth}. */
    private Dcs cli(String cluster, Credentials auth) throws Exception {
        ZooKeeperDcs d = ZooKeeperDcs.connect(
                zk.connectString(), "/pgha-test", cluster, 2000, false, ZooKeeperAccess.of(auth, null));
        assertThat(d.awaitConnected(10_000)).isTrue();
        return opened(d);
    }

    /** The primary's agent writes the cluster: leader key, sync record, config, member, a failover request. */
    private String clusterOf(ZooKeeperAccess access) throws Exception {
        String cluster = "r" + System.nanoTime();
        Dcs primary = agent(cluster, access);
        assertThat(primary.acquireLeader("a")).isTrue();
        assertThat(primary.writeSync("a", SyncState.of("a", 1, List.of("b")))).isTrue();
        primary.updateConfig(c -> c.withSynchronous(SyncMode.QUORUM, true, 1));
        primary.publishMember(member("a"));
        assertThat(primary.requestFailover(new FailoverRequest("a", "b", 0, 1, null)))
                .isTrue();
        return cluster;
    }

    private static void readOnly(String what, org.assertj.core.api.ThrowableAssert.ThrowingCallable change) {
        assertThatThrownBy(change)
                .as(what)
                .isInstanceOf(DcsException.class)
                .hasMessageContaining("refused this change (noauth)")
                .hasMessageContaining("the credential of dcs.auth (user 'ops') may not change the cluster's nodes")
                .hasMessageContaining("a read-only credential (one of the agents' dcs.readers) can only read");
    }

    @Test
    void aReaderReadsTheClusterButChangesNothing() throws Exception {
        String cluster = clusterOf(WITH_READERS);
        for (Credentials reader : List.of(OPS, MONITOR)) {
            var state = cli(cluster, reader).read();
            assertThat(state.leader()).as(reader.username()).isEqualTo("a");
            assertThat(state.members()).containsKey("a");
            assertThat(state.config().synchronousMode()).isEqualTo(SyncMode.QUORUM);
            assertThat(state.sync()).isEqualTo(SyncState.of("a", 1, List.of("b")));
            assertThat(state.failover()).isNotNull();
            assertThat(state.unreadable()).isEmpty();
        }
        Dcs ops = cli(cluster, OPS);
        readOnly("acquire the leader key", () -> ops.acquireLeader("b"));
        readOnly("claim initialize", () -> ops.claimInitialize("b"));
        readOnly("change the config", () -> ops.updateConfig(c -> c.withPaused(true)));
        readOnly("change the failover request", () -> ops.updateFailover(FailoverRequest::withDraining));
        readOnly("delete the failover request", ops::clearFailover);
        readOnly("publish a member", () -> ops.publishMember(member("b")));
        readOnly(
                "append history",
                () -> ops.appendHistory(new io.pgha.core.model.HistoryEntry(1, new Lsn(0x3000000L), "x", 1, "b")));
        try (ZooKeeper raw = new ZooKeeper(zk.connectString(), 5000, e -> {})) {
            raw.addAuthInfo("digest", "ops:ops-password-1".getBytes(StandardCharsets.UTF_8));
            String root = "/pgha-test/" + cluster;
            assertThat(raw.getData(root + "/leader", false, null)).isEqualTo("a".getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> raw.setACL(root + "/leader", ZooDefs.Ids.OPEN_ACL_UNSAFE, -1))
                    .as("a reader cannot open a node up")
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> raw.delete(root + "/leader", -1))
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> raw.getData("/pgha-test", false, null))
                    .as("the namespace above the cluster admits pgha alone")
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }
        assertThatThrownBy(() ->
                        cli(cluster, new Credentials("ops", "wrong-password")).read())
                .isInstanceOf(DcsException.class)
                .hasMessageContaining("noauth");
        refusedWithoutAuthentication(
                "read the leader", z -> z.getData("/pgha-test/" + cluster + "/leader", false, null));
        assertUnchanged(cluster);
        assertThat(opened(connect(cluster)).read().failover().candidate()).isEqualTo("b");
    }

    @Test
    void readersChangeWithTheAgentsThatStartWithThem() throws Exception {
        String cluster = clusterOf(ACCESS);
        String root = "/pgha-test/" + cluster;
        assertThatThrownBy(() -> cli(cluster, OPS).read())
                .as("nodes made before the reader was added")
                .isInstanceOf(DcsException.class)
                .hasMessageContaining("cannot read the cluster: ZooKeeper refused access (noauth) to " + root)
                .hasMessageContaining("must be in every agent's dcs.readers");

        // an agent (re)started with the reader brings every node of the cluster in line
        agent(cluster, WITH_READERS).publishMember(member("b"));
        var state = cli(cluster, OPS).read();
        assertThat(state.leader()).isEqualTo("a");
        assertThat(state.members()).containsOnlyKeys("a", "b");
        assertThat(cli(cluster, MONITOR).read().config().synchronousModeStrict())
                .isTrue();
        try (ZooKeeper zkc = authenticated()) {
            for (String p : List.of(root, root + "/members", root + "/members/a", root + "/leader", root + "/config"))
                assertThat(new java.util.HashSet<>(zkc.getACL(p, null)))
                        .as(p)
                        .isEqualTo(new java.util.HashSet<>(WITH_READERS.acl()));
            assertThat(zkc.getACL("/pgha-test", null)).isEqualTo(ACCESS.ownerAcl());
        }

        // a node that a CLI command with pgha's credential creates (whose config names no readers)
        // gets the cluster node's ACL, so the readers see it too
        Dcs admin = cli(cluster, AUTH);
        admin.clearFailover();
        assertThat(admin.requestFailover(new FailoverRequest("a", "c", 0, 2, null)))
                .isTrue();
        assertThat(cli(cluster, OPS).read().failover().candidate()).isEqualTo("c");

        // an agent started without the reader takes it out again
        agent(cluster, ACCESS).publishMember(member("c"));
        assertThatThrownBy(() -> cli(cluster, OPS).read())
                .isInstanceOf(DcsException.class)
                .hasMessageContaining("noauth");
        assertUnchanged(cluster);
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
