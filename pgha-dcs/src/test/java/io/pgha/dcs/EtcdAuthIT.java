package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.Credentials;
import io.pgha.core.config.DcsConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.SyncMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * etcd with authentication on: pgha's user may read and write its namespace only. Clients with
 * {@code dcs.auth} pass the DCS contract; a wrong password, no credentials at all, or a namespace the
 * user has no permission on are refused with a message that says which. A read-only user (role
 * {@code pgha-reader}, as docs/security.md sets it up) reads the cluster and changes nothing.
 */
class EtcdAuthIT extends DcsContract {
    static final Credentials PGHA = new Credentials("pgha", "s3cret-pgha");
    private static LocalEtcd etcd;

    @TempDir
    static Path dir;

    @BeforeAll
    static void startEtcd() throws Exception {
        etcd = LocalEtcd.start(dir, 1);
        etcd.enableAuth("/pgha-auth", PGHA, "root-password", null);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) etcd.close();
    }

    private static DcsConfig config(String namespace, Credentials auth) {
        return new DcsConfig(
                null, null, new DcsConfig.Etcd(List.of(etcd.endpoints().split(","))), namespace, auth, null);
    }

    @Override
    protected Dcs connect(String cluster) throws Exception {
        EtcdDcs d = EtcdDcs.connectMember(config("/pgha-auth", PGHA), cluster, 2000);
        assertThat(d.awaitConnected(10_000)).isTrue();
        d.checkSession(1000);
        return d;
    }

    @Test
    void aWrongPasswordIsRefusedClearly() throws Exception {
        try (EtcdDcs d = EtcdDcs.connectMember(config("/pgha-auth", new Credentials("pgha", "wrong")), "c", 2000)) {
            assertThat(d.awaitConnected(10_000)).isTrue();
            assertThat(d.connection()).isEqualTo(Dcs.Connection.REFUSED);
            assertThatThrownBy(() -> d.checkSession(1000))
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("etcd refused the credentials of dcs.auth")
                    .hasMessageNotContaining("wrong,");
            assertThatThrownBy(d::read)
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("refused the credentials of dcs.auth");
            assertThat(d.toString()).doesNotContain("wrong");
        }
    }

    @Test
    void noCredentialsAreRefusedClearly() throws Exception {
        try (EtcdDcs d = EtcdDcs.connect(config("/pgha-auth", null), "c", 2000)) {
            assertThat(d.awaitConnected(10_000)).isTrue();
            assertThatThrownBy(d::read)
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("requires authentication")
                    .hasMessageContaining("dcs.auth");
        }
    }

    @Test
    void aNamespaceOutsideTheUsersPermissionIsDenied() throws Exception {
        try (EtcdDcs d = EtcdDcs.connectMember(config("/elsewhere", PGHA), "c", 2000)) {
            assertThat(d.awaitConnected(10_000)).isTrue();
            assertThatThrownBy(d::read)
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("cannot read the cluster: etcd permission denied");
            assertThatThrownBy(() -> d.acquireLeader("a"))
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("permission denied");
        }
    }

    @Test
    void aReadOnlyUserReadsTheClusterButChangesNothing() throws Exception {
        String cluster = "r" + System.nanoTime();
        Dcs primary = connect(cluster);
        try {
            assertThat(primary.acquireLeader("a")).isTrue();
            primary.updateConfig(c -> c.withSynchronous(SyncMode.QUORUM, true, 1));
            primary.publishMember(member("a"));
            assertThat(primary.requestFailover(new FailoverRequest("a", "b", 0, 1, null)))
                    .isTrue();

            // made after the cluster's keys: the role's permission is on the prefix, so it reads them all
            Credentials ops = new Credentials("ops", "ops-password-1");
            etcd.addReader("/pgha-auth", ops, "root-password", null);
            try (EtcdDcs reader = EtcdDcs.connect(config("/pgha-auth", ops), cluster, 2000)) {
                assertThat(reader.awaitConnected(10_000)).isTrue();
                assertThat(reader.connection()).isEqualTo(Dcs.Connection.CONNECTED);
                var state = reader.read();
                assertThat(state.leader()).isEqualTo("a");
                assertThat(state.members()).containsOnlyKeys("a");
                assertThat(state.config().synchronousMode()).isEqualTo(SyncMode.QUORUM);
                assertThat(state.failover().candidate()).isEqualTo("b");
                assertThat(reader.routers()).isEmpty();

                readOnly("acquire the leader key", () -> reader.acquireLeader("b"));
                readOnly("claim initialize", () -> reader.claimInitialize("b"));
                readOnly("change the config", () -> reader.updateConfig(c -> c.withPaused(true)));
                readOnly("delete the failover request", reader::clearFailover);
                readOnly("publish a member", () -> reader.publishMember(member("b")));
            }
            try (EtcdDcs anonymous = EtcdDcs.connect(config("/pgha-auth", null), cluster, 2000)) {
                assertThat(anonymous.awaitConnected(10_000)).isTrue();
                assertThatThrownBy(anonymous::read)
                        .isInstanceOf(DcsException.class)
                        .hasMessageContaining("requires authentication");
            }
            var state = primary.read();
            assertThat(state.leader()).isEqualTo("a");
            assertThat(state.members()).containsOnlyKeys("a");
            assertThat(state.config().paused()).isFalse();
            assertThat(state.config().synchronousModeStrict()).isTrue();
            assertThat(state.failover().candidate()).isEqualTo("b");
        } finally {
            primary.close();
        }
    }

    private static void readOnly(String what, org.assertj.core.api.ThrowableAssert.ThrowingCallable change) {
        assertThatThrownBy(change)
                .as(what)
                .isInstanceOf(DcsException.class)
                .hasMessageContaining("etcd permission denied: the user of dcs.auth ('ops') may not change /pgha-auth/")
                .hasMessageContaining("a read-only user");
    }

    @Test
    void aClientAuthenticatesAgainAfterTheServerRestarted() throws Exception {
        Dcs a = client();
        assertThat(a.acquireLeader("a")).isTrue();
        etcd.stop(0);
        etcd.startMember(0);
        // the server forgot its tokens; the client gets a new one and its lease lived on
        await().atMost(Duration.ofSeconds(15)).until(() -> a.connection() == Dcs.Connection.CONNECTED);
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> a.renewLeader("a"));
        assertThat(client().read().leader()).isEqualTo("a");
    }
}
