package io.pgha.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgha.wire.backend.BackendKeyData;
import io.pgha.wire.backend.ReadyForQuery;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageFramerTest {
    record Seen(char type, int length, String body) {}

    private static ByteBuf stream() {
        ByteBuf b = Unpooled.buffer();
        b.writeByte('R').writeInt(8).writeInt(0); // AuthenticationOk
        new BackendKeyData(CancelKey.of(4242, 0x01020304)).encode(b);
        b.writeByte('S').writeInt(4 + 9).writeBytes("a\0b\0c\0d\0\0".getBytes(StandardCharsets.US_ASCII), 0, 9);
        new ReadyForQuery(ReadyForQuery.IDLE).encode(b);
        b.writeByte('D').writeInt(4 + 5000).writeZero(5000);
        new ReadyForQuery(ReadyForQuery.IN_TRANSACTION).encode(b);
        return b;
    }

    @Test
    void backendMessagesAreFoundWhereverTheStreamIsCut() {
        ByteBuf whole = stream();
        byte[] bytes = new byte[whole.readableBytes()];
        whole.getBytes(0, bytes);
        for (int cut = 0; cut <= bytes.length; cut++) {
            for (int cut2 = cut; cut2 <= bytes.length; cut2 += 97) {
                List<Seen> seen = new ArrayList<>();
                MessageFramer f = MessageFramer.backend(
                        t -> t == 'Z' || t == 'K',
                        (t, len, body) -> seen.add(new Seen((char) t, len, body == null ? null : toHex(body))));
                scan(f, bytes, 0, cut);
                scan(f, bytes, cut, cut2);
                scan(f, bytes, cut2, bytes.length);
                assertThat(seen)
                        .as("cut at %d and %d", cut, cut2)
                        .containsExactly(
                                new Seen('R', 4, null),
                                new Seen('K', 8, "0000109201020304"),
                                new Seen('S', 9, null),
                                new Seen('Z', 1, "49"),
                                new Seen('D', 5000, null),
                                new Seen('Z', 1, "54"));
                assertThat(f.atBoundary()).isTrue();
            }
        }
    }

    @Test
    void theBoundaryIsKnownMidMessage() throws Exception {
        MessageFramer f = MessageFramer.backend(t -> false, (t, l, b) -> {});
        assertThat(f.atBoundary()).isTrue();
        f.scan(Unpooled.wrappedBuffer(new byte[] {'Z', 0, 0}));
        assertThat(f.atBoundary()).isFalse();
        f.scan(Unpooled.wrappedBuffer(new byte[] {0, 5}));
        assertThat(f.atBoundary()).isFalse();
        f.scan(Unpooled.wrappedBuffer(new byte[] {'I'}));
        assertThat(f.atBoundary()).isTrue();
        assertThat(f.messages()).isEqualTo(1);
    }

    @Test
    void scanningDoesNotMoveTheReaderIndex() throws Exception {
        ByteBuf b = stream();
        MessageFramer.backend(t -> true, (t, l, body) -> {}).scan(b);
        assertThat(b.readerIndex()).isZero();
    }

    @Test
    void frontendTypesAndLengthsAreChecked() throws Exception {
        assertFrontendViolation(new byte[] {'Q', 0, 0, 0, 3}, "08P01", "invalid message length 3");
        assertFrontendViolation(new byte[] {'z', 0, 0, 0, 4}, "08P01", "invalid frontend message type 'z'");
        assertFrontendViolation(new byte[] {0, 0, 0, 0, 4}, "08P01", "invalid frontend message type 0x00");
        assertFrontendViolation(
                new byte[] {'S', 0, 0, 0, 5, 0}, "08P01", "invalid message length 5 for message type 'S'");
        assertFrontendViolation(
                new byte[] {'Q', 0, 0, 0x10, 0x05}, "54000", "more than the router's max_message_size of 4096");
        assertFrontendViolation(
                new byte[] {'Q', (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}, "54000", "max_message_size");
        // within the limit: fine
        List<Character> types = new ArrayList<>();
        MessageFramer ok = MessageFramer.frontend(4096, t -> false, (t, l, b) -> types.add((char) t));
        ok.scan(Unpooled.wrappedBuffer(new byte[] {'Q', 0, 0, 0, 6, 'x', 0, 'S', 0, 0, 0, 4, 'X', 0, 0, 0, 4}));
        assertThat(types).containsExactly('Q', 'S', 'X');
    }

    private static void assertFrontendViolation(byte[] bytes, String state, String message) {
        MessageFramer f = MessageFramer.frontend(4096, t -> false, (t, l, b) -> {});
        assertThatThrownBy(() -> f.scan(Unpooled.wrappedBuffer(bytes)))
                .isInstanceOfSatisfying(
                        ProtocolViolation.class, v -> assertThat(v.sqlState()).isEqualTo(state))
                .hasMessageContaining(message);
    }

    private static void scan(MessageFramer f, byte[] bytes, int from, int to) {
        try {
            f.scan(Unpooled.wrappedBuffer(bytes, from, to - from));
        } catch (ProtocolViolation e) {
            throw new AssertionError(e);
        }
    }

    private static String toHex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x));
        return s.toString();
    }
}
