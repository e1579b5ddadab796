package io.pgha.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.pgha.wire.frontend.CancelRequest;
import io.pgha.wire.frontend.GssEncRequest;
import io.pgha.wire.frontend.SslRequest;
import io.pgha.wire.frontend.StartupMessage;
import io.pgha.wire.frontend.StartupPacket;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StartupPacketTest {
    private static ByteBuf hex(String h) {
        return Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(h.replace(" ", "")));
    }

    private static String hexOf(StartupPacket p) {
        ByteBuf b = Unpooled.buffer();
        p.encode(b);
        return ByteBufUtil.hexDump(b);
    }

    @Test
    void sslGssAndCancelRequestsAreDecodedAndEncodedByteForByte() throws Exception {
        assertThat(StartupPacket.decode(hex("00000008 04d2162f"))).isEqualTo(new SslRequest());
        assertThat(StartupPacket.decode(hex("00000008 04d21630"))).isEqualTo(new GssEncRequest());
        assertThat(StartupPacket.decode(hex("00000010 04d2162e 00003039 7fffffff")))
                .isEqualTo(new CancelRequest(CancelKey.of(12345, 0x7fffffff)));
        assertThat(hexOf(new SslRequest())).isEqualTo("0000000804d2162f");
        assertThat(hexOf(new CancelRequest(CancelKey.of(1, -1)))).isEqualTo("0000001004d2162e00000001ffffffff");
    }

    /** Protocol 3.2 (PostgreSQL 18): a secret of up to 256 bytes, kept byte for byte. */
    @Test
    void longCancelKeysOfProtocol32AreDecodedAndEncodedByteForByte() throws Exception {
        String secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"; // 32 bytes
        StartupPacket p = StartupPacket.decode(hex("0000002c 04d2162e 00003039 " + secret));
        assertThat(p)
                .isEqualTo(new CancelRequest(new CancelKey(12345, HexFormat.of().parseHex(secret))));
        assertThat(((CancelRequest) p).key().secretHex()).isEqualTo(secret);
        assertThat(hexOf(p)).isEqualTo("0000002c04d2162e00003039" + secret);
        assertThat(p.toString()).doesNotContain(secret).contains("32-byte secret");
        String longest = "ab".repeat(256);
        assertThat(StartupPacket.decode(hex(String.format("%08x", 12 + 256) + " 04d2162e 00000001 " + longest)))
                .isEqualTo(new CancelRequest(new CancelKey(1, HexFormat.of().parseHex(longest))));
        assertViolation(
                String.format("%08x", 12 + 257) + " 04d2162e 00000001 " + "ab".repeat(257),
                "08P01",
                "invalid length of CancelRequest");
        // a 3.2 startup is read (the backend answers NegotiateProtocolVersion if it speaks less)
        assertThat(StartupPacket.decode(hex("00000014 00030002 75736572 00616c69 63650000")))
                .isEqualTo(new StartupMessage(0x30002, Map.of("user", "alice")));
    }

    @Test
    void startupMessageKeepsItsParametersInOrderAndReencodesIdentically() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "alice");
        params.put("database", "shop");
        params.put("application_name", "psql");
        StartupMessage m = new StartupMessage(StartupMessage.PROTOCOL_3_0, params);
        ByteBuf b = Unpooled.buffer();
        m.encode(b);
        String wire = ByteBufUtil.hexDump(b);
        StartupMessage back = (StartupMessage) StartupPacket.decode(b);
        assertThat(back).isEqualTo(m);
        assertThat(b.isReadable()).isFalse();
        assertThat(hexOf(back)).isEqualTo(wire);
        assertThat(back.user()).isEqualTo("alice");
        assertThat(back.database()).isEqualTo("shop");
        assertThat(back.replication()).isFalse();
    }

    @Test
    void databaseDefaultsToTheUserAndReplicationIsRecognised() throws Exception {
        StartupMessage m = startup("user", "bob", "replication", "database");
        assertThat(m.database()).isEqualTo("bob");
        assertThat(m.replication()).isTrue();
        assertThat(startup("user", "bob", "replication", "false").replication()).isFalse();
    }

    private static StartupMessage startup(String... kv) throws Exception {
        Map<String, String> p = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        ByteBuf b = Unpooled.buffer();
        new StartupMessage(StartupMessage.PROTOCOL_3_0, p).encode(b);
        return (StartupMessage) StartupPacket.decode(b);
    }

    @Test
    void anIncompletePacketIsNotConsumed() throws Exception {
        ByteBuf b = hex("00000010 04d2162e 0000");
        assertThat(StartupPacket.decode(b)).isNull();
        assertThat(b.readerIndex()).isZero();
        assertThat(StartupPacket.decode(hex("0000"))).isNull();
    }

    @Test
    void badPacketsAreProtocolViolationsWithTheirSqlState() {
        assertViolation("00000004 00000000", "08P01", "invalid length of startup packet");
        assertViolation("47455420 2f204854", "08P01", "invalid length of startup packet"); // "GET / HT"
        assertViolation("00002711 00030000", "08P01", "invalid length of startup packet"); // 10001 bytes
        assertViolation("00000008 00020000", "0A000", "unsupported frontend protocol 2.0");
        assertViolation("0000000c 04d2162f 00000000", "08P01", "invalid length of SSLRequest");
        assertViolation("0000000c 04d2162e 00000000", "08P01", "invalid length of CancelRequest");
        assertViolation("0000000d 00030000 75736572 00", "08P01", "missing value of user");
        assertViolation("0000000c 00030000 61626364", "08P01", "unterminated parameter name");
        assertViolation("00000009 00030000 00", "28000", "no PostgreSQL user name");
        assertViolation("0000000e 00030000 75007800 0000", "08P01", "data after the terminator");
        assertViolation("0000000f 00030000 75736572 000000", "28000", "no PostgreSQL user name"); // user ""
    }

    private static void assertViolation(String hex, String state, String message) {
        assertThatThrownBy(() -> StartupPacket.decode(hex(hex)))
                .isInstanceOfSatisfying(
                        ProtocolViolation.class, v -> assertThat(v.sqlState()).isEqualTo(state))
                .hasMessageContaining(message);
    }
}
