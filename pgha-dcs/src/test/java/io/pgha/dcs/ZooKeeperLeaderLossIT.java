package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.DcsConfig;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-peer ensemble loses its leader while a member holds the lease at the default ttl. Every
 * server drops its clients and the two left elect a new leader; the member's client must find a
 * serving server while its session (and the leader key with it) is still alive. ZooKeeper's own
 * client waited a random 0-1 s before each attempt and 1 s after each round in vain, which at ttl
 * 2.5 s could cost the lease (a stopped primary in the fault campaign); {@link ZkHosts} does not.
 */
class ZooKeeperLeaderLossIT {
    @TempDir
    Path dir;

    @Test
    void aMemberKeepsItsSessionAndLeaseWhenTheEnsemblesLeaderDies() throws Exception {
        List<DcsConfig.Peer> peers = new ArrayList<>();
        for (int id = 1; id <= 3; id++)
            peers.add(new DcsConfig.Peer(id, "127.0.0.1", TestPorts.free(), TestPorts.free(), TestPorts.free()));
        EmbeddedZooKeeper[] servers = new EmbeddedZooKeeper[3];
        try {
            for (int i = 0; i < 3; i++) servers[i] = EmbeddedZooKeeper.start(i + 1, peers, dir.resolve("zk" + (i + 1)));
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> leader(peers) > 0);
            String connect = String.join(
                    ",", peers.stream().map(p -> "127.0.0.1:" + p.clientPort()).toList());
            try (ZooKeeperDcs member = ZooKeeperDcs.connectMember(connect, "/pgha-test", "c", 2500)) {
                assertThat(member.awaitConnected(30_000)).isTrue();
                assertThat(member.acquireLeader("a")).isTrue();
                long session = member.handle().getSessionId();
                int leader = leader(peers);
                servers[leader - 1].close();
                servers[leader - 1] = null;
                long lost = System.nanoTime();
                try {
                    Awaitility.await()
                            .atMost(Duration.ofSeconds(30))
                            .ignoreExceptions()
                            .until(() -> member.renewLeader("a"));
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    // What a failure needs to be told apart: a session that expired during the election
                    // (a new id, or none), or an ensemble that never served again.
                    throw new AssertionError(
                            "no renewal within 30 s after peer " + leader + " (the leader) was closed; session "
                                    + Long.toHexString(session) + ", now " + describe(member) + "; peers: "
                                    + srvr(peers) + "; "
                                    + (System.nanoTime() - lost) / 1_000_000 + " ms since",
                            e);
                }
                assertThat(member.handle().getSessionId())
                        .as("the same session: it was not lost while the ensemble elected a leader")
                        .isEqualTo(session);
                assertThat(member.hosts().pausedMs())
                        .as("pauses between rounds of attempts (ZooKeeper's own client: 1000 ms each)")
                        .isLessThan(1000);
            }
        } finally {
            for (EmbeddedZooKeeper s : servers) if (s != null) s.close();
        }
    }

    private static String describe(ZooKeeperDcs member) {
        try {
            var h = member.handle();
            return Long.toHexString(h.getSessionId()) + " " + h.getState();
        } catch (Exception e) {
            return "no handle (" + e + ")";
        }
    }

    /** Each peer's mode from its srvr answer, for a failure message. */
    private static String srvr(List<DcsConfig.Peer> peers) {
        StringBuilder b = new StringBuilder();
        for (DcsConfig.Peer p : peers) {
            b.append(p.id()).append('=');
            try (Socket s = new Socket("127.0.0.1", p.clientPort())) {
                s.setSoTimeout(2000);
                s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                int at = answer.indexOf("Mode: ");
                b.append(
                        at < 0
                                ? "not serving"
                                : answer.substring(at + 6).lines().findFirst().orElse("?"));
            } catch (IOException e) {
                b.append("closed");
            }
            b.append(' ');
        }
        return b.toString().trim();
    }

    /** The peer whose srvr answer says it leads, or 0. */
    private static int leader(List<DcsConfig.Peer> peers) {
        for (DcsConfig.Peer p : peers) {
            try (Socket s = new Socket("127.0.0.1", p.clientPort())) {
                s.setSoTimeout(2000);
                s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
                if (new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).contains("Mode: leader"))
                    return p.id();
            } catch (IOException e) {
                // not serving
            }
        }
        return 0;
    }
}
