package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member refuses a session whose timeout the server did not grant as asked (timing.ttl): an
 * external server with tickTime 2000 grants at least 4 s, one with a small tick at most 20 ticks.
 * Observers (CLI, router) take what they get.
 */
class ZooKeeperSessionTimeoutIT {
    @TempDir
    Path dir;

    private static boolean ipv6Loopback() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void aServerWhoseMinimumExceedsTheTtlIsRefusedWithWhatToChange() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.standalone("127.0.0.1", TestPorts.free(), dir, 2000);
                ZooKeeperDcs member = ZooKeeperDcs.connectMember(zk.connectString(), "/pgha-test", "c", 2500);
                ZooKeeperDcs observer = ZooKeeperDcs.connect(zk.connectString(), "/pgha-test", "c", 2500)) {
            assertThatThrownBy(() -> member.checkSession(10_000))
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("ZooKeeper granted a session timeout of 4000 ms but timing.ttl is 2500 ms")
                    .hasMessageContaining(
                            "raise timing.ttl to 4000 ms or more, or lower the server's minSessionTimeout");
            assertThatThrownBy(() -> member.acquireLeader("db1"))
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("granted");
            assertThatThrownBy(member::read).isInstanceOf(DcsException.class).hasMessageContaining("granted");
            assertThat(member.connected())
                    .as("a refused session counts as no DCS")
                    .isFalse();
            assertThat(observer.awaitConnected(10_000)).isTrue();
            assertThat(observer.sessionTimeoutMs()).isEqualTo(4000);
            assertThat(observer.read().leader()).as("observers read on").isNull();
        }
    }

    @Test
    void aServerWhoseMaximumIsBelowTheTtlIsRefused() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.standalone("127.0.0.1", TestPorts.free(), dir, 100);
                ZooKeeperDcs member = ZooKeeperDcs.connectMember(zk.connectString(), "/pgha-test", "c", 3000)) {
            assertThatThrownBy(() -> member.checkSession(10_000))
                    .isInstanceOf(DcsException.class)
                    .hasMessageContaining("granted a session timeout of 2000 ms but timing.ttl is 3000 ms")
                    .hasMessageContaining("raise the server's maxSessionTimeout");
        }
    }

    @Test
    void aServerThatGrantsTheTtlIsUsedWithThatValue() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.standalone("127.0.0.1", TestPorts.free(), dir, 1000);
                ZooKeeperDcs member = ZooKeeperDcs.connectMember(zk.connectString(), "/pgha-test", "c", 2500)) {
            member.checkSession(10_000);
            assertThat(member.sessionTimeoutMs()).isEqualTo(2500);
            assertThat(member.acquireLeader("db1")).isTrue();
            assertThat(member.renewLeader("db1")).isTrue();
        }
    }

    @Test
    void anIpv6ServerIsReachedThroughABracketedConnectString() throws Exception {
        Assumptions.assumeTrue(ipv6Loopback(), "no IPv6 loopback on this machine");
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.standalone("::1", TestPorts.free(), dir, 200)) {
            assertThat(zk.connectString()).startsWith("[::1]:");
            try (ZooKeeperDcs member = ZooKeeperDcs.connectMember(zk.connectString(), "/pgha-test", "c", 2000)) {
                member.checkSession(10_000);
                // the connection listener runs on Curator's thread, a moment after the session exists
                org.awaitility.Awaitility.await()
                        .atMost(java.time.Duration.ofSeconds(10))
                        .until(member::connected);
                member.publishMember(DcsContract.member("db1"));
                assertThat(member.read().members()).containsOnlyKeys("db1");
            }
        }
    }
}
