package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.zookeeper.client.HostProvider;
import org.junit.jupiter.api.Test;

/** How fast a pgha ZooKeeper client goes round the servers after losing its own. */
class ZkHostsTest {
    /** Three servers in a fixed order; records the spin delays it is asked for. */
    private static final class Three implements HostProvider {
        final List<Long> spins = new ArrayList<>();
        int index = -1;

        @Override
        public int size() {
            return 3;
        }

        @Override
        public InetSocketAddress next(long spinDelay) {
            spins.add(spinDelay);
            index = (index + 1) % 3;
            return InetSocketAddress.createUnresolved("s" + index, 2181);
        }

        @Override
        public void onConnected() {}

        @Override
        public boolean updateServerList(Collection<InetSocketAddress> serverAddresses, InetSocketAddress currentHost) {
            return false;
        }
    }

    @Test
    void everyServerIsTriedAtOnceAndRoundsInVainPauseBriefly() {
        Three servers = new Three();
        List<Long> slept = new ArrayList<>();
        ZkHosts hosts = new ZkHosts(servers, slept::add);
        for (int i = 0; i < 3; i++) hosts.next(1000);
        assertThat(slept).as("no pause within the first round").isEmpty();
        hosts.next(1000);
        assertThat(slept).as("after a round in vain").containsExactly(ZkHosts.FIRST_PAUSE_MS);
        for (int i = 0; i < 30; i++) hosts.next(1000);
        assertThat(slept)
                .as("doubling, never above the cap")
                .startsWith(20L, 40L, 80L, 160L, 250L)
                .allMatch(ms -> ms <= ZkHosts.MAX_PAUSE_MS);
        assertThat(servers.spins).as("ZooKeeper's 1 s spin is not passed on").containsOnly(0L);
        assertThat(hosts.pausedMs())
                .isEqualTo(slept.stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void aConnectionStartsTheRoundsAfresh() {
        List<Long> slept = new ArrayList<>();
        ZkHosts hosts = new ZkHosts(new Three(), slept::add);
        for (int i = 0; i < 7; i++) hosts.next(1000);
        assertThat(slept).containsExactly(20L, 40L);
        hosts.onConnected();
        slept.clear();
        for (int i = 0; i < 3; i++) hosts.next(1000);
        assertThat(slept).as("a lost connection: every server at once").isEmpty();
    }

    @Test
    void pausesDoubleUpToTheCap() {
        assertThat(ZkHosts.pauseAfter(1)).isEqualTo(20);
        assertThat(ZkHosts.pauseAfter(4)).isEqualTo(160);
        assertThat(ZkHosts.pauseAfter(5)).isEqualTo(250);
        assertThat(ZkHosts.pauseAfter(1000)).isEqualTo(250);
    }
}
