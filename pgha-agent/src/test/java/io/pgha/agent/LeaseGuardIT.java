package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.Timing;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.dcs.ZooKeeperDcs;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.TcpRelay;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1 at the lease level: a holder cut off from ZooKeeper (a real partition through a TCP
 * relay) stops its primary before any other member can take the leader key.
 */
class LeaseGuardIT {

    @TempDir
    Path zkDir;

    @Test
    void aPartitionedHolderStopsBeforeAnotherCanTakeTheKey() throws Exception {
        Timing timing = new Timing(3000, 1000, 1000).validate();
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.standalone(FreePorts.one(), zkDir);
                TcpRelay relay = new TcpRelay(
                        FreePorts.one(), Integer.parseInt(zk.connectString().split(":")[1]));
                ZooKeeperDcs holder = ZooKeeperDcs.connect("127.0.0.1:" + relay.port(), "/t", "lease", timing.ttlMs());
                ZooKeeperDcs other = ZooKeeperDcs.connect(zk.connectString(), "/t", "lease", timing.ttlMs())) {
            assertThat(holder.awaitConnected(10_000)).isTrue();
            assertThat(other.awaitConnected(10_000)).isTrue();
            Lease lease = new Lease(System::nanoTime);
            AtomicLong stoppedAt = new AtomicLong();
            long sent = System.nanoTime();
            assertThat(holder.acquireLeader("a")).isTrue();
            lease.confirmed(sent, timing.leaseValidityMs(holder.sessionTimeoutMs()));
            try (LeaseGuard guard = new LeaseGuard(
                    "a",
                    holder,
                    lease,
                    timing,
                    () -> {
                        stoppedAt.compareAndSet(0, System.nanoTime());
                        return true;
                    },
                    () -> {},
                    new Watchdog(io.pgha.core.config.WatchdogConfig.off()))) {
                guard.start();
                // Renewals keep the lease valid well past one validity period.
                Thread.sleep(timing.leaseValidityMs(holder.sessionTimeoutMs()) * 2);
                assertThat(lease.valid()).isTrue();
                assertThat(stoppedAt.get()).isZero();

                relay.cut();
                AtomicLong takenAt = new AtomicLong();
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> {
                            if (other.acquireLeader("b")) takenAt.set(System.nanoTime());
                            return takenAt.get() != 0;
                        });
                assertThat(stoppedAt.get()).as("the holder stopped its primary").isNotZero();
                assertThat(stoppedAt.get())
                        .as("...before another member could take the key")
                        .isLessThan(takenAt.get());
                assertThat(lease.held()).isFalse();
            }
        }
    }
}
