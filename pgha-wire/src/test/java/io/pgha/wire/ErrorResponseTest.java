package io.pgha.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.pgha.wire.backend.ErrorResponse;
import org.junit.jupiter.api.Test;

class ErrorResponseTest {
    @Test
    void encodesTheFieldsPostgresClientsRead() {
        ByteBuf b = Unpooled.buffer();
        ErrorResponse.fatal("57P03", "no").encode(b);
        // 'E', length, S FATAL, V FATAL, C 57P03, M no, terminator
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("450000001e53464154414c0056464154414c00433537503033004d6e6f0000");
    }

    @Test
    void decodesWhatItEncodes() {
        ErrorResponse e = new ErrorResponse("FATAL", "08P01", "bad message: ä", "detail");
        ByteBuf b = Unpooled.buffer();
        e.encode(b);
        assertThat(b.readByte()).isEqualTo((byte) 'E');
        int len = b.readInt();
        assertThat(len).isEqualTo(b.readableBytes() + 4);
        byte[] body = new byte[b.readableBytes()];
        b.readBytes(body);
        assertThat(ErrorResponse.decode(body)).isEqualTo(e);
    }
}
