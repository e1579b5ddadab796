package io.pgha.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.ConfigException;
import io.pgha.core.config.RouterConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Role;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.Members;
import io.pgha.testkit.StubDcs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code router.transport}: every transport this machine runs relays sessions to the primary and
 * to a standby, forwards cancel requests and leaves no session behind; {@code auto} takes io_uring
 * where it runs; a name that is no transport, or one this machine cannot run, is refused with the key.
 */
class TransportTest {

    @ParameterizedTest
    @EnumSource(Transport.class)
    void everyTransportThisMachineRunsRelaysSessionsAndCancels(Transport transport) throws Exception {
        Assumptions.assumeTrue(transport.available(), transport + " does not run on this machine");
        StubDcs dcs = new StubDcs();
        try (FakeBackend primary = new FakeBackend(1001);
                FakeBackend standby = new FakeBackend(2002)) {
            dcs.set(new ClusterState(
                    "1",
                    "p",
                    Map.of(
                            "p", Members.running("p", primary.port(), Role.PRIMARY),
                            "s", Members.running("s", standby.port(), Role.STANDBY)),
                    DynamicConfig.DEFAULT,
                    null,
                    new Lsn(100),
                    List.of()));
            RouterConfig cfg = new RouterConfig(
                            "r1",
                            "127.0.0.1",
                            0,
                            FreePorts.one(),
                            1024,
                            false,
                            800,
                            500,
                            4096,
                            null,
                            null,
                            "127.0.0.1",
                            0)
                    .withTransport(transport.toString());
            Router router = new Router("test", cfg, dcs).start();
            try {
                await().until(() -> "p".equals(router.view().leader()));
                int rw = router.readWriteAddress().getPort();
                int ro = router.readOnlyAddress().getPort();
                try (RawClient c = new RawClient(rw)) {
                    c.send(RawClient.startup("alice"));
                    assertThat(c.readUntilReady().type()).isEqualTo('Z');
                    for (int i = 0; i < 50; i++) {
                        c.send(RawClient.query("select " + i));
                        assertThat(c.read().type()).isEqualTo('C');
                        assertThat(c.read().type()).isEqualTo('Z');
                    }
                    try (RawClient cancel = new RawClient(rw)) { // pid 1001, key 77
                        cancel.send(new byte[] {
                            0, 0, 0, 16, 4, (byte) 0xd2, 0x16, 0x2e, 0, 0, 0x03, (byte) 0xe9, 0, 0, 0, 77
                        });
                        assertThat(cancel.closedByPeer()).isTrue();
                    }
                    await().until(() -> primary.cancels.size() == 1);
                }
                try (RawClient c = new RawClient(ro)) {
                    c.send(RawClient.startup("bob"));
                    assertThat(c.readUntilReady().type()).isEqualTo('Z');
                    c.send(RawClient.query("select 'standby'"));
                    assertThat(c.readUntilReady().type()).isEqualTo('Z');
                }
                assertThat(primary.received).contains("Q:select 49");
                assertThat(standby.received).contains("Q:select 'standby'");
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> router.sessions().isEmpty());
            } finally {
                router.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "AUTO", " auto "})
    void autoTakesIoUringWhereItRunsThenEpoll(String name) {
        Transport best = Transport.IO_URING.available()
                ? Transport.IO_URING
                : Transport.EPOLL.available() ? Transport.EPOLL : Transport.NIO;
        assertThat(Transport.named(name)).isEqualTo(best);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aTransportThisMachineCannotRunIsRefusedByName(Transport transport) {
        if (transport.available()) {
            assertThat(Transport.named(transport.toString())).isEqualTo(transport);
        } else {
            assertThatThrownBy(() -> Transport.named(transport.toString()))
                    .hasMessageContaining("router.transport: " + transport + " is not available on this machine")
                    .hasMessageContaining("use auto");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kqueue", "", "io-uring"})
    void aNameThatIsNoTransportIsRefusedWithTheKey(String name) {
        assertThatThrownBy(() -> Transport.named(name)).hasMessageContaining("router.transport: '" + name + "'");
        assertThatThrownBy(() -> new RouterConfig(
                                "r1", "127.0.0.1", 0, 0, 1024, false, 800, 500, 4096, null, null, "127.0.0.1", 0)
                        .withTransport(name))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("router.transport: '" + name + "' must be one of auto, io_uring, epoll, nio");
    }
}
