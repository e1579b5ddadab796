package io.pgha.router.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@SuppressWarnings("FutureReturnValueIgnored") // the writes are checked through the channel
class CoalescerTest {
    private static List<ByteBuf> sent(EmbeddedChannel ch) {
        List<ByteBuf> out = new ArrayList<>();
        for (Object o; (o = ch.readOutbound()) != null; ) out.add((ByteBuf) o);
        return out;
    }

    private static String hex(ByteBuf b) {
        String s = ByteBufUtil.hexDump(b);
        b.release();
        return s;
    }

    @Test
    void theMessagesOfOneFlushLeaveAsOneBufferInTheirOrder() {
        EmbeddedChannel ch = new EmbeddedChannel(new Coalescer());
        ch.write(Frame.of('T', new byte[] {1, 2}));
        ch.write(Unpooled.wrappedBuffer(new byte[] {'D', 0, 0, 0, 4}));
        ChannelFuture last = ch.write(Frame.of('Z', new byte[] {'I'}));
        assertThat(sent(ch)).as("nothing leaves before the flush").isEmpty();
        ch.flush();
        List<ByteBuf> out = sent(ch);
        assertThat(out).hasSize(1);
        assertThat(hex(out.get(0))).isEqualTo("5400000006" + "0102" + "4400000004" + "5a00000005" + "49");
        assertThat(last.isSuccess())
                .as("the promise of a gathered write completes with its buffer")
                .isTrue();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aLargeBufferIsPassedOnAfterWhatWasGatheredBeforeIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new Coalescer());
        ch.write(Frame.of('C', "SELECT 1\0".getBytes(StandardCharsets.US_ASCII)));
        ByteBuf large = Unpooled.buffer(10_000).writeZero(10_000);
        ch.write(large);
        ch.write(Frame.of('Z', new byte[] {'I'}));
        ch.flush();
        List<ByteBuf> out = sent(ch);
        assertThat(out).hasSize(3);
        assertThat(out.get(0).readByte()).isEqualTo((byte) 'C');
        assertThat(out.get(1)).isSameAs(large);
        assertThat(out.get(2).readByte()).isEqualTo((byte) 'Z');
        out.forEach(ByteBuf::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void aLongAnswerGoesOnInPiecesBeforeTheFlush() {
        EmbeddedChannel ch = new EmbeddedChannel(new Coalescer());
        byte[] row = new byte[1000];
        int rows = 3 * Coalescer.LIMIT / row.length;
        for (int i = 0; i < rows; i++) ch.write(Frame.of('D', row));
        ch.flush();
        List<ByteBuf> out = sent(ch);
        assertThat(out.size()).isBetween(3, 4);
        assertThat(out.stream().mapToInt(ByteBuf::readableBytes).sum()).isEqualTo(rows * 1005);
        out.forEach(ByteBuf::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void whatIsGatheredButNotFlushedIsDroppedByTheCloseAndItsPromisesFail() {
        EmbeddedChannel ch = new EmbeddedChannel(new Coalescer());
        ChannelFuture f = ch.write(Frame.of('Z', new byte[] {'I'}));
        ch.close();
        assertThat(f.isDone()).isTrue();
        assertThat(f.isSuccess()).isFalse();
        assertThat(sent(ch)).isEmpty();
    }
}
