package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-member etcd (OS processes) losing members: one stopped, the others still serve every
 * call; two stopped, no quorum: calls fail, the connection is SUSPENDED, and when the members come
 * back the same lease and leader key are still this client's (etcd extends leases across an
 * election rather than expiring them); none answering, closing a client still returns at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdQuorumIT {
    private static LocalEtcd etcd;
    private final List<Dcs> clients = new ArrayList<>();

    @TempDir
    static Path dir;

    @BeforeAll
    static void startEtcd() throws Exception {
        etcd = LocalEtcd.start(dir, 3);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) etcd.close();
    }

    @AfterEach
    void closeClients() throws Exception {
        clients.forEach(Dcs::close);
        etcd.startStopped();
    }

    private EtcdDcs client(String cluster) throws Exception {
        EtcdDcs d = EtcdDcs.connectMember(EtcdDcsIT.config(etcd.endpoints()), cluster, 2000);
        clients.add(d);
        assertThat(d.awaitConnected(10_000)).isTrue();
        return d;
    }

    @Test
    @Order(1)
    void oneMemberStoppedTheOthersServe() throws Exception {
        EtcdDcs a = client("one");
        EtcdDcs b = client("one");
        assertThat(a.acquireLeader("a")).isTrue();
        etcd.stop(0);
        for (int i = 0; i < 5; i++) {
            assertThat(a.renewLeader("a")).isTrue();
            Thread.sleep(300);
        }
        a.publishMember(DcsContract.member("a"));
        assertThat(b.acquireLeader("b")).isFalse();
        assertThat(b.read().leader()).isEqualTo("a");
        assertThat(a.connection()).isEqualTo(Dcs.Connection.CONNECTED);
        etcd.startMember(0);
        assertThat(a.renewLeader("a")).isTrue();
    }

    @Test
    @Order(2)
    void withoutQuorumCallsFailAndTheLeaseSurvivesTheOutage() throws Exception {
        EtcdDcs a = client("two");
        EtcdDcs b = client("two");
        assertThat(a.acquireLeader("a")).isTrue();
        long lease = a.leaseId();
        etcd.stop(0);
        etcd.stop(1);
        // A member stopping gracefully hands its leadership on: the survivor leads alone until it
        // notices it lost its quorum (about two election timeouts). A renewal must fail meanwhile.
        assertThatThrownBy(() -> a.renewLeader("a"))
                .isInstanceOf(DcsException.class)
                .hasMessageContaining("cannot renew the leader key: etcd");
        assertThatThrownBy(b::read).isInstanceOf(DcsException.class).hasMessageContaining("cannot read the cluster");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.connection() == Dcs.Connection.SUSPENDED);
        etcd.startMember(0);
        etcd.startMember(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> a.connection() == Dcs.Connection.CONNECTED);
        assertThat(a.leaseId()).isEqualTo(lease);
        assertThat(a.renewLeader("a")).isTrue();
        assertThat(b.read().leader()).isEqualTo("a");
    }

    @Test
    @Order(3)
    void closingWhileNoMemberAnswersReturnsPromptly() throws Exception {
        EtcdDcs a = client("three");
        assertThat(a.acquireLeader("a")).isTrue();
        etcd.killAll();
        long start = System.nanoTime();
        a.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThatThrownBy(a::read).isInstanceOf(DcsException.class);
    }
}
