package io.pgha.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.RouterConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.Role;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.StubDcs;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router's session handling against a stand-in backend and a cluster view the test sets:
 * bad bytes at every stage, the wait for a primary, and how sessions end on a switchover (at a
 * transaction boundary) and on a lost lease (at once). The same router serves every test; after
 * each, it must hold no session (nothing leaks) and still answer a good client.
 */
class RouterSessionTest {
    /** A 32-byte cancel secret, as PostgreSQL 18 sends in protocol 3.2. */
    private static final byte[] LONG_SECRET =
            java.util.HexFormat.of().parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

    private static StubDcs dcs;
    private static FakeBackend primary;
    private static FakeBackend standby;
    private static Router router;
    private static int rw;
    private static int ro;

    @BeforeAll
    static void start() throws Exception {
        dcs = new StubDcs();
        primary = new FakeBackend(1001);
        standby = new FakeBackend(2002, LONG_SECRET); // as PostgreSQL 18 answers a protocol 3.2 client
        int roPort = FreePorts.one();
        router = new Router(
                        "test",
                        new RouterConfig(
                                "r1", "127.0.0.1", 0, roPort, 1024, false, 800, 500, 4096, null, null, "127.0.0.1", 0),
                        dcs)
                .start();
        rw = router.readWriteAddress().getPort();
        ro = router.readOnlyAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        if (router != null) router.close();
        if (primary != null) primary.close();
        if (standby != null) standby.close();
    }

    private static Member member(String name, Role role, int port) {
        return io.pgha.testkit.Members.running(name, port, role);
    }

    private static ClusterState view(String leader, FailoverRequest fr) {
        return new ClusterState(
                "1",
                leader,
                Map.of("p", member("p", Role.PRIMARY, primary.port()), "s", member("s", Role.STANDBY, standby.port())),
                DynamicConfig.DEFAULT,
                fr,
                new Lsn(100),
                List.of());
    }

    @BeforeEach
    void healthyCluster() {
        dcs.set(view("p", null));
        await().until(() -> "p".equals(router.view().leader()) && router.view().failover() == null);
    }

    @AfterEach
    void nothingLeaks() throws Exception {
        dcs.set(view("p", null));
        await().atMost(Duration.ofSeconds(5)).until(() -> router.sessions().isEmpty());
        assertThat(router.waitingSessions()).isZero();
        try (RawClient c = new RawClient(rw)) {
            c.send(RawClient.startup("alice"));
            assertThat(c.readUntilReady().type()).isEqualTo('Z');
        }
    }

    /** What {@code backend} received after its first {@code from} messages (a copy: it keeps receiving). */
    private static List<String> after(FakeBackend backend, int from) {
        List<String> all = List.copyOf(backend.received);
        return all.subList(from, all.size());
    }

    private static void assertRefused(RawClient c, String sqlState, String text) throws Exception {
        RawClient.Message m = c.read();
        assertThat(m.type()).isEqualTo('E');
        assertThat(m.error().sqlState()).isEqualTo(sqlState);
        assertThat(m.error().severity()).isEqualTo("FATAL");
        assertThat(m.error().message()).contains(text);
        assertThat(c.closedByPeer()).isTrue();
    }

    @Test
    void garbageInsteadOfAStartupPacketGetsAnErrorAndTheConnectionIsClosed() throws Exception {
        try (RawClient c = new RawClient(rw)) {
            c.send("GET / HTTP/1.1\r\nHost: db\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertRefused(c, "08P01", "invalid length of startup packet");
        }
        try (RawClient c = new RawClient(rw)) {
            c.send(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff
            }); // would be a 2 GB packet: no waiting for it
            assertRefused(c, "08P01", "invalid length of startup packet");
        }
        try (RawClient c = new RawClient(ro)) {
            c.send(new byte[] {0, 0, 0, 8, 0, 2, 0, 0});
            assertRefused(c, "0A000", "unsupported frontend protocol 2.0");
        }
        try (RawClient c = new RawClient(rw)) {
            c.send(new byte[] {0, 0, 0, 9, 0, 3, 0, 0, 0});
            assertRefused(c, "28000", "no PostgreSQL user name");
        }
        assertThat(primary.received).doesNotContain("startup:never");
    }

    @Test
    void aSilentOrTruncatedClientIsDroppedAfterTheStartupTimeout() throws Exception {
        try (RawClient silent = new RawClient(rw);
                RawClient truncated = new RawClient(rw)) {
            truncated.send(new byte[] {0, 0, 0, 40, 0, 3, 0, 0, 'u'});
            assertRefused(silent, "08P01", "no startup packet within 500 ms");
            assertRefused(truncated, "08P01", "no startup packet within 500 ms");
        }
    }

    @Test
    void aClientThatHangsUpMidStartupLeavesNothingBehind() throws Exception {
        for (int i = 0; i < 20; i++) {
            try (RawClient c = new RawClient(rw)) {
                c.send(new byte[] {0, 0, 0, 40, 0, 3});
            }
        }
        // nothingLeaks() checks that all 20 sessions are gone
    }

    @Test
    void sslAndGssEncryptionRequestsAreAnsweredNoWithoutACertificate() throws Exception {
        try (RawClient c = new RawClient(rw)) {
            c.send(new byte[] {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f});
            assertThat(c.in.read()).isEqualTo('N');
            c.send(RawClient.startup("alice"));
            assertThat(c.readUntilReady().type()).isEqualTo('Z');
        }
        try (RawClient c = new RawClient(rw)) {
            c.send(new byte[] {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x30});
            assertThat(c.in.read()).isEqualTo('N');
            c.send(new byte[] {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f});
            assertRefused(c, "08P01", "encryption was already negotiated");
        }
        try (RawClient c = new RawClient(rw)) {
            byte[] ssl = {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f};
            byte[] both = new byte[ssl.length + RawClient.startup("x").length];
            System.arraycopy(ssl, 0, both, 0, ssl.length);
            System.arraycopy(RawClient.startup("x"), 0, both, ssl.length, both.length - ssl.length);
            c.send(both);
            assertRefused(c, "08P01", "received unencrypted data after SSL request");
        }
    }

    @Test
    void badMessagesAfterTheStartupAreNeverForwarded() throws Exception {
        int before = primary.received.size();
        try (RawClient c = new RawClient(rw)) {
            c.send(RawClient.startup("alice"));
            assertThat(c.readUntilReady().type()).isEqualTo('Z');
            c.send(new byte[] {'!', 0, 0, 0, 4});
            assertRefused(c, "08P01", "invalid frontend message type '!'");
        }
        try (RawClient c = new RawClient(rw)) {
            c.send(RawClient.startup("alice"));
            c.readUntilReady();
            c.send(RawClient.message('Q', new byte[5000]));
            assertRefused(c, "54000", "max_message_size of 4096");
        }
        try (RawClient c = new RawClient(rw)) {
            c.send(RawClient.startup("alice"));
            c.readUntilReady();
            c.send(new byte[] {'Q', 0, 0, 0, 2});
            assertRefused(c, "08P01", "invalid message length 2");
        }
        // Each of the three backends was told Terminate, and got nothing else after its startup.
        await().until(() -> after(primary, before).stream().filter("X"::equals).count() == 3);
        assertThat(after(primary, before)).containsOnly("startup", "X").doesNotContain("!", "Q:");
    }

    @Test
    void cancelRequestsReachTheBackendThatIssuedTheKeyAndUnknownKeysAreDropped() throws Exception {
        try (RawClient session = new RawClient(rw)) {
            session.send(RawClient.startup("alice"));
            session.readUntilReady();
            try (RawClient cancel = new RawClient(rw)) {
                cancel.send(new byte[] {0, 0, 0, 16, 4, (byte) 0xd2, 0x16, 0x2e, 0, 0, 0x03, (byte) 0xe9, 0, 0, 0, 77
                }); // pid 1001, key 77
                assertThat(cancel.closedByPeer()).isTrue();
            }
            await().until(() -> primary.cancels.size() == 1);
            try (RawClient cancel = new RawClient(rw)) {
                cancel.send(new byte[] {0, 0, 0, 16, 4, (byte) 0xd2, 0x16, 0x2e, 0, 0, 0x03, (byte) 0xe9, 0, 0, 0, 78});
                assertThat(cancel.closedByPeer()).isTrue();
            }
            Thread.sleep(200);
            assertThat(primary.cancels).hasSize(1);
            assertThat(standby.cancels).isEmpty();
        }
        assertThat(router.metrics().scrape())
                .contains("pgha_router_cancel_requests_total{result=\"forwarded\"} 1.0")
                .contains("pgha_router_cancel_requests_total{result=\"unknown_key\"} 1.0");
    }

    /**
     * Protocol 3.2 (PostgreSQL 18): the backend's BackendKeyData carries a 32-byte secret, and the
     * client's CancelRequest sends all of it back. The router forwards it byte for byte to the
     * backend that issued it, and still drops a request whose long secret differs in its last byte.
     */
    @Test
    void longCancelKeysOfProtocol32AreForwardedWhole() throws Exception {
        byte[] startup32 = RawClient.startup("alice");
        startup32[7] = 2; // protocol 3.2
        try (RawClient session = new RawClient(ro)) {
            session.send(startup32);
            boolean keySeen = false;
            RawClient.Message m;
            do {
                m = session.read();
                if (m.type() == 'K') {
                    assertThat(m.body()).hasSize(4 + 32);
                    keySeen = true;
                }
            } while (m.type() != 'Z');
            assertThat(keySeen).isTrue();
            String key = "000007d2" + java.util.HexFormat.of().formatHex(LONG_SECRET); // pid 2002
            byte[] cancel = java.util.HexFormat.of().parseHex("0000002c04d2162e" + key);
            int before = standby.cancelKeys.size();
            try (RawClient c = new RawClient(ro)) {
                c.send(cancel);
                assertThat(c.closedByPeer()).isTrue();
            }
            await().until(() -> standby.cancelKeys.size() == before + 1);
            assertThat(standby.cancelKeys.get(before)).isEqualTo(key);
            cancel[cancel.length - 1] ^= 1;
            try (RawClient c = new RawClient(ro)) {
                c.send(cancel);
                assertThat(c.closedByPeer()).isTrue();
            }
            await().during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(2))
                    .alias("the cancel with a wrong secret is never forwarded")
                    .until(() -> standby.cancelKeys.size() == before + 1);
        }
    }

    @Test
    void withoutALeaseHolderNewSessionsWaitThenGetCannotConnectNow() throws Exception {
        dcs.set(view(null, null));
        await().until(() -> router.view().leader() == null);
        try (RawClient c = new RawClient(rw)) {
            c.send(RawClient.startup("alice"));
            await().until(() -> router.waitingSessions() == 1);
            assertRefused(c, "57P03", "no read-write backend within 800 ms: no member holds the leader lease");
        }
    }

    @Test
    void aWaitingSessionGoesToTheNewPrimaryAsSoonAsItHoldsTheLease() throws Exception {
        dcs.set(view(null, null));
        await().until(() -> router.view().leader() == null);
        try (RawClient c = new RawClient(rw)) {
            c.send(RawClient.startup("alice"));
            await().until(() -> router.waitingSessions() == 1);
            dcs.set(view("p", null));
            assertThat(c.readUntilReady().type()).isEqualTo('Z');
        }
    }

    @Test
    void aSwitchoverClosesIdleSessionsAtOnceAndOthersOnlyAfterTheirTransaction() throws Exception {
        try (RawClient idle = new RawClient(rw);
                RawClient busy = new RawClient(rw)) {
            idle.send(RawClient.startup("alice"));
            idle.readUntilReady();
            busy.send(RawClient.startup("bob"));
            busy.readUntilReady();
            busy.send(RawClient.query("begin"));
            assertThat(busy.readUntilReady().body()[0]).isEqualTo((byte) 'T');

            dcs.set(view("p", new FailoverRequest("p", "s", 0, System.currentTimeMillis(), null, true)));
            assertRefused(idle, "57P01", "this session was idle and is closed");

            busy.send(RawClient.query("in-tx work"));
            assertThat(busy.readUntilReady().body()[0])
                    .as("the transaction goes on")
                    .isEqualTo((byte) 'T');
            busy.send(RawClient.query("commit"));
            RawClient.Message ready = busy.readUntilReady();
            assertThat(ready.body()[0])
                    .as("the commit's answer arrives before the close")
                    .isEqualTo((byte) 'I');
            assertRefused(busy, "57P01", "handing over to a new primary");
            // New sessions wait during the switchover instead of reaching the old primary.
            try (RawClient fresh = new RawClient(rw)) {
                fresh.send(RawClient.startup("carol"));
                await().until(() -> router.waitingSessions() == 1);
            }
        }
        assertThat(router.metrics().scrape()).contains("pgha_router_sessions_closed_total{reason=\"switchover\"}");
    }

    @Test
    void aPipelinedQueryIsNotMistakenForABoundary() throws Exception {
        try (RawClient c = new RawClient(rw)) {
            c.send(RawClient.startup("alice"));
            c.readUntilReady();
            dcs.set(view("p", new FailoverRequest("p", "s", 0, System.currentTimeMillis(), null, true)));
            // closed at once: it was idle
            assertRefused(c, "57P01", "idle");
        }
        dcs.set(view("p", null));
        await().until(() -> router.view().failover() == null);
        try (RawClient c = new RawClient(rw)) {
            c.send(RawClient.startup("alice"));
            c.readUntilReady();
            c.send(RawClient.query("begin"));
            c.readUntilReady();
            dcs.set(view("p", new FailoverRequest("p", "s", 0, System.currentTimeMillis(), null, true)));
            await().until(() -> router.view().failover() != null);
            // two statements in one write: commit then another; the session is idle only after the second
            byte[] a = RawClient.query("commit");
            byte[] b = RawClient.query("select 1");
            byte[] both = new byte[a.length + b.length];
            System.arraycopy(a, 0, both, 0, a.length);
            System.arraycopy(b, 0, both, a.length, b.length);
            c.send(both);
            assertThat(c.readUntilReady().body()[0]).isEqualTo((byte) 'I');
            assertThat(c.readUntilReady().body()[0])
                    .as("the second answer is not cut off")
                    .isEqualTo((byte) 'I');
            assertRefused(c, "57P01", "handing over");
        }
    }

    @Test
    void sessionsOnAPrimaryThatLostTheLeaseAreClosedAtOnceEvenInATransaction() throws Exception {
        try (RawClient c = new RawClient(rw);
                RawClient reader = new RawClient(ro)) {
            c.send(RawClient.startup("alice"));
            c.readUntilReady();
            c.send(RawClient.query("begin"));
            c.readUntilReady();
            reader.send(RawClient.startup("alice"));
            reader.readUntilReady();
            dcs.set(view("s", null)); // s took over (and its record will say primary later)
            assertRefused(c, "57P01", "p no longer holds the leader lease");
            reader.send(RawClient.query("select 1"));
            assertThat(reader.readUntilReady().type())
                    .as("read-only sessions on a standby stay")
                    .isEqualTo('Z');
        }
        assertThatThrownBy(() -> {
                    try (RawClient c = new RawClient(rw)) {
                        c.send(RawClient.startup("alice"));
                        c.read(); // waits: s is not yet running as primary, then refused
                        c.read();
                    }
                })
                .isInstanceOf(EOFException.class);
    }

    @Test
    void readOnlySessionsGoToTheStandby() throws Exception {
        int before = standby.received.size();
        try (RawClient c = new RawClient(ro)) {
            c.send(RawClient.startup("alice"));
            c.readUntilReady();
            c.send(RawClient.query("select 1"));
            c.readUntilReady();
        }
        assertThat(after(standby, before)).contains("startup", "Q:select 1");
    }
}
