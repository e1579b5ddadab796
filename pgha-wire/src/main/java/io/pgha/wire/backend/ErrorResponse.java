package io.pgha.wire.backend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ErrorResponse ('E'): what the router sends a client it refuses or disconnects. The fields used
 * are severity (S and V), SQLSTATE (C), message (M) and optional detail (D).
 */
public record ErrorResponse(String severity, String sqlState, String message, String detail) {
    public static final byte TYPE = 'E';

    public static ErrorResponse fatal(String sqlState, String message) {
        return new ErrorResponse("FATAL", sqlState, message, null);
    }

    public void encode(ByteBuf out) {
        encode(out, TYPE);
    }

    /** The same fields as a NoticeResponse ('N'), which the client reports and goes on. */
    public void encodeAsNotice(ByteBuf out) {
        encode(out, (byte) 'N');
    }

    private void encode(ByteBuf out, byte type) {
        int start = out.writerIndex();
        out.writeByte(type).writeInt(0);
        field(out, 'S', severity);
        field(out, 'V', severity);
        field(out, 'C', sqlState);
        field(out, 'M', message);
        if (detail != null) field(out, 'D', detail);
        out.writeByte(0);
        out.setInt(start + 1, out.writerIndex() - start - 1);
    }

    public ByteBuf encode(ByteBufAllocator alloc) {
        ByteBuf b = alloc.buffer(64 + message.length() * 3);
        encode(b);
        return b;
    }

    private static void field(ByteBuf out, char code, String value) {
        out.writeByte(code);
        out.writeCharSequence(value, StandardCharsets.UTF_8);
        out.writeByte(0);
    }

    /** Decodes a body (the bytes after type and length); unknown fields are ignored. */
    public static ErrorResponse decode(byte[] body) {
        Map<Character, String> f = new LinkedHashMap<>();
        int i = 0;
        while (i < body.length && body[i] != 0) {
            char code = (char) body[i++];
            int end = i;
            while (end < body.length && body[end] != 0) end++;
            f.put(code, new String(body, i, end - i, StandardCharsets.UTF_8));
            i = end + 1;
        }
        return new ErrorResponse(f.getOrDefault('V', f.get('S')), f.get('C'), f.get('M'), f.get('D'));
    }
}
