package io.pgha.cli.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.DcsConfig;
import io.pgha.core.config.Timing;
import io.pgha.dcs.EtcdDcs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The etcd client of an agent through the faults of the campaign, without PostgreSQL: a 3-member
 * etcd, each member behind a relay. With the default etcd timing (ttl 3 s, lease validity 1.5 s,
 * a renewal every 375 ms) the leader must keep its lease while one member after another (each
 * one that is not etcd's raft leader) is killed and comes back: a renewal that waits for a dead
 * member, or for a channel still in gRPC's reconnect
 * backoff, outlives the lease and stops a healthy primary. And a client cut off from every member
 * must reach them again as soon as the network heals, not after gRPC's backoff (seconds).
 */
class EtcdClientRecoveryIT {
    private static final long TTL_MS = 3000;
    /** The agent's timing on etcd by default: ttl 3 s, safety margin 1.5 s (docs/configuration.md). */
    private static final Timing TIMING = new Timing(TTL_MS, 1000, 1500).validate();

    private static final long VALIDITY_MS = TIMING.leaseValidityMs(TTL_MS);
    private static final long RENEW_INTERVAL_MS = TIMING.renewIntervalMs(TTL_MS);
    /**
     * How soon after the network healed the client must answer again: a third of the call's time
     * (half the ttl), well before the next renewal's time runs out.
     */
    private static final long BACK_WITHIN_MS = TTL_MS / 2 / 3;

    @TempDir
    static Path dir;

    private static EtcdEnsemble etcd;

    @BeforeAll
    static void start() throws Exception {
        etcd = new EtcdEnsemble(dir.resolve("etcd"), 3, 1);
    }

    @AfterAll
    static void stop() {
        if (etcd != null) etcd.close();
    }

    private static DcsConfig config() {
        return new DcsConfig(
                null, null, new DcsConfig.Etcd(List.of(etcd.connectString(1).split(","))), "/pgha-test", null, null);
    }

    @Test
    void theLeaderKeepsItsLeaseWhileMembersAreKilledAndComeBack() throws Exception {
        try (EtcdDcs d = EtcdDcs.connectMember(config(), "kills", TTL_MS)) {
            assertThat(d.awaitConnected(10_000)).isTrue();
            assertThat(d.acquireLeader("a")).isTrue();
            Renewer renewer = new Renewer(d);
            renewer.start();
            try {
                for (int round = 0; round < 2; round++) {
                    for (int server = 1; server <= 3; server++) {
                        // etcd's raft leader is not killed here: that costs an election, in which no
                        // renewal can succeed, of up to about 1 s, most of the renewal's 1.125 s; the
                        // fault campaign kills it (LOSE_ZOOKEEPER_SERVER) and checks writes go on
                        if (server == etcd.leader()) continue;
                        etcd.kill(server);
                        Thread.sleep(2000); // the member stays down for 2 s
                        etcd.start(server);
                        Thread.sleep(1400); // as the campaign: the next fault soon after the last healed
                    }
                }
            } finally {
                renewer.stopRenewing();
            }
            assertThat(renewer.problems)
                    .as("renewals that failed or came too late")
                    .isEmpty();
            assertThat(renewer.renewals.get()).isGreaterThan(20);
        }
    }

    @Test
    void theLeaderKeepsItsLeaseWhileAMemberAnswersNothing() throws Exception {
        try (EtcdDcs d = EtcdDcs.connectMember(config(), "silent", TTL_MS)) {
            assertThat(d.awaitConnected(10_000)).isTrue();
            assertThat(d.acquireLeader("a")).isTrue();
            int silent = etcd.leader() % 3 + 1; // a follower: the others keep their quorum and leader
            Renewer renewer = new Renewer(d);
            renewer.start();
            try {
                // Calls spread over the members round robin, and the channel to a stopped member stays
                // open: a renewal sent there gets no answer. Each attempt waits a sixth of the call.
                etcd.freeze(silent, true);
                Thread.sleep(6000); // the member answers nothing for 6 s: about 16 renewals
            } finally {
                etcd.freeze(silent, false);
                renewer.stopRenewing();
            }
            assertThat(renewer.problems)
                    .as("renewals that failed or came too late")
                    .isEmpty();
            assertThat(renewer.renewals.get()).isGreaterThan(8);
        }
    }

    @Test
    void aClientCutOffFromEveryMemberIsBackAsSoonAsTheNetworkHeals() throws Exception {
        try (EtcdDcs d = EtcdDcs.connect(config(), "cut", TTL_MS)) {
            assertThat(d.awaitConnected(10_000)).isTrue();
            d.read();
            etcd.cut(1);
            // gRPC tries a lost server again after 1 s, then 1.6 s later (±20 %), then 2.6 s later:
            // healing after 3.3 s falls between the third and the fourth attempt
            Thread.sleep(3300);
            etcd.heal(1);
            long healed = System.nanoTime();
            await("etcd answering after the heal")
                    .atMost(Duration.ofSeconds(10))
                    .pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> answers(d));
            long backMs = (System.nanoTime() - healed) / 1_000_000;
            System.out.println("etcd answered " + backMs + " ms after the network healed");
            assertThat(backMs).as("ms from healing to the first answer").isBetween(0L, BACK_WITHIN_MS);
        }
    }

    private static boolean answers(EtcdDcs d) {
        try {
            d.read();
            return true;
        } catch (io.pgha.dcs.DcsException e) {
            return false;
        }
    }

    /** Renews every renew interval, as the agent's LeaseGuard does, and notes every renewal the lease could not wait for. */
    private static final class Renewer extends Thread {
        private final EtcdDcs dcs;
        private volatile boolean running = true;
        final List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger renewals = new java.util.concurrent.atomic.AtomicInteger();

        Renewer(EtcdDcs dcs) {
            super("renewer");
            this.dcs = dcs;
        }

        @Override
        public void run() {
            long lastConfirmed = System.nanoTime();
            while (running) {
                long sent = System.nanoTime();
                try {
                    boolean held = dcs.renewLeader("a");
                    long done = System.nanoTime();
                    if (!held) {
                        problems.add("the leader key was lost");
                        return;
                    }
                    long since = (done - lastConfirmed) / 1_000_000;
                    if (since > VALIDITY_MS) {
                        problems.add("a renewal confirmed the lease " + since + " ms after the last one was sent");
                    }
                    lastConfirmed = sent;
                    renewals.incrementAndGet();
                } catch (Exception e) {
                    problems.add("renewal failed after " + (System.nanoTime() - sent) / 1_000_000 + " ms: "
                            + e.getMessage());
                }
                long took = (System.nanoTime() - sent) / 1_000_000;
                try {
                    Thread.sleep(Math.max(0, RENEW_INTERVAL_MS - took));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stopRenewing() throws InterruptedException {
            running = false;
            join(5000);
        }
    }
}
