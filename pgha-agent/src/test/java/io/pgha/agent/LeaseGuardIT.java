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

    /** Member "b" takes the key as soon as it can; the holder must have stopped its primary before. */
    private static void stoppedBeforeTaken(AtomicLong stoppedAt, ZooKeeperDcs other) {
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
    }

    /** The guard of member "a" on {@code dcs}, noting in {@code stoppedAt} when it stopped its primary. */
    private static LeaseGuard guard(io.pgha.dcs.Dcs dcs, Lease lease, Timing timing, AtomicLong stoppedAt) {
        return new LeaseGuard(
                "a",
                dcs,
                lease,
                timing,
                () -> {
                    stoppedAt.compareAndSet(0, System.nanoTime());
                    return true;
                },
                () -> {},
                new Watchdog(io.pgha.core.config.WatchdogConfig.off()));
    }

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
            try (LeaseGuard guard = guard(holder, lease, timing, stoppedAt)) {
                guard.start();
                // Renewals keep the lease valid well past one validity period.
                Thread.sleep(timing.leaseValidityMs(holder.sessionTimeoutMs()) * 2);
                assertThat(lease.valid()).isTrue();
                assertThat(stoppedAt.get()).isZero();

                relay.cut();
                stoppedBeforeTaken(stoppedAt, other);
                assertThat(lease.held()).isFalse();
            }
        }
    }

    /**
     * The lease ended by another member instead of the session's expiry (the holder's renewals stop
     * while its ZooKeeper client keeps the session alive, as when the renewer hangs or the ensemble's
     * new leader restarted the session's timeout): the holder still stops its primary before the
     * other member can take the key, and the key is taken while the holder's session lives on.
     */
    @Test
    void aHolderWhoseRenewalsStopWithItsSessionAliveStopsBeforeAnotherTakesTheKey() throws Exception {
        Timing timing = Timing.DEFAULT;
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.standalone(FreePorts.one(), zkDir);
                ZooKeeperDcs holder = ZooKeeperDcs.connectMember(zk.connectString(), "/t", "stall", timing.ttlMs());
                ZooKeeperDcs other = ZooKeeperDcs.connectMember(zk.connectString(), "/t", "stall", timing.ttlMs())) {
            assertThat(holder.awaitConnected(10_000)).isTrue();
            assertThat(other.awaitConnected(10_000)).isTrue();
            other.onChange(() -> {}); // an agent's watch
            java.util.concurrent.CountDownLatch stall = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
            // the holder's renewals hang once stalled; everything else reaches ZooKeeper
            io.pgha.dcs.Dcs hanging = (io.pgha.dcs.Dcs) java.lang.reflect.Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[] {io.pgha.dcs.Dcs.class}, (proxy, method, args) -> {
                        if (method.getName().equals("renewLeader") && stalled.get()) stall.await();
                        try {
                            return method.invoke(holder, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            Lease lease = new Lease(System::nanoTime);
            AtomicLong stoppedAt = new AtomicLong();
            long sent = System.nanoTime();
            assertThat(holder.acquireLeader("a")).isTrue();
            // the holder's member record lives as long as its session
            holder.publishMember(new io.pgha.core.model.Member(
                    "a",
                    "http://x",
                    "127.0.0.1",
                    5432,
                    io.pgha.core.model.Role.PRIMARY,
                    io.pgha.core.model.MemberState.RUNNING,
                    1,
                    io.pgha.core.model.Lsn.parse("0/10"),
                    io.pgha.core.model.Lsn.parse("0/10"),
                    null,
                    false,
                    io.pgha.core.model.Tags.NONE,
                    "test",
                    1));
            lease.confirmed(sent, timing.leaseValidityMs(holder.sessionTimeoutMs()));
            try (LeaseGuard guard = guard(hanging, lease, timing, stoppedAt)) {
                guard.start();
                Thread.sleep(timing.leaseValidityMs(holder.sessionTimeoutMs()) * 2);
                assertThat(lease.valid()).isTrue();
                assertThat(stoppedAt.get()).isZero();

                stalled.set(true);
                stoppedBeforeTaken(stoppedAt, other);
                assertThat(holder.connected()).isTrue();
                assertThat(other.read().members())
                        .as("the key was ended by the other member while the holder's session lived on")
                        .containsKey("a");
            } finally {
                stall.countDown();
            }
        }
    }
}
