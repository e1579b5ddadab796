package io.pgha.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.pgha.wire.backend.ErrorResponse;
import io.pgha.wire.frontend.StartupPacket;

/**
 * Coverage-guided fuzzing of the decoders that read untrusted client bytes (Jazzer). A plain {@code
 * mvn test} replays the corpus kept under {@code src/test/resources/io/pgha/wire/WireFuzzTestInputs};
 * {@code JAZZER_FUZZ=1 mvn test -pl pgha-wire -Dtest=WireFuzzTest#METHOD} fuzzes one target (see
 * docs/router.md). The properties: a decoder either decodes, waits for more bytes, or raises a
 * {@link ProtocolViolation}; never any other exception, never a hang; what it decodes re-encodes to
 * the same packet; and the framer accounts for every byte it was given.
 */
class WireFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void startupPacket(byte[] data) {
        ByteBuf in = Unpooled.wrappedBuffer(data);
        try {
            StartupPacket p = StartupPacket.decode(in);
            if (p == null) {
                assertThat(in.readerIndex()).isZero();
                return;
            }
            ByteBuf again = Unpooled.buffer();
            p.encode(again);
            assertThat(StartupPacket.decode(again)).isEqualTo(p);
            assertThat(again.isReadable()).isFalse();
        } catch (ProtocolViolation expected) {
            assertThat(expected.sqlState()).isNotBlank();
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @FuzzTest(maxDuration = "60s")
    void frontendFramer(FuzzedDataProvider in) {
        int maxBody = in.consumeInt(0, 1 << 16);
        long[] framed = {0};
        MessageFramer f = MessageFramer.frontend(maxBody, t -> t == 'Q' || t == 'S', (type, length, body) -> {
            if (body != null) assertThat(body.length).isEqualTo(length);
            framed[0] += 5L + length;
        });
        long given = 0;
        try {
            while (in.remainingBytes() > 0) {
                byte[] chunk = in.consumeBytes(in.consumeInt(1, 64));
                f.scan(Unpooled.wrappedBuffer(chunk));
                given += chunk.length;
            }
            // Every byte is either in a whole message or in the one still open.
            assertThat(framed[0]).isLessThanOrEqualTo(given);
            if (f.atBoundary()) assertThat(framed[0]).isEqualTo(given);
        } catch (ProtocolViolation expected) {
            assertThat(expected.sqlState()).isIn(SqlState.PROTOCOL_VIOLATION, SqlState.PROGRAM_LIMIT_EXCEEDED);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void backendFramerAndErrorResponse(byte[] data) throws ProtocolViolation {
        MessageFramer f = MessageFramer.backend(t -> t == 'E' || t == 'Z' || t == 'K', (type, length, body) -> {
            if (type == 'E' && body != null) ErrorResponse.decode(body);
        });
        try {
            f.scan(Unpooled.wrappedBuffer(data));
        } catch (ProtocolViolation expected) {
            assertThat(expected.getMessage()).contains("invalid message length");
        }
        ErrorResponse.decode(data);
    }
}
