package io.pgha.router.pool;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** One typed protocol message: its type byte and its body (the length is implied). */
record Frame(byte type, byte[] body) {
    static Frame of(char type, byte[] body) {
        return new Frame((byte) type, body);
    }

    /** The whole message (type, length, body) appended to {@code out}. */
    void encode(ByteBuf out) {
        out.writeByte(type).writeInt(4 + body.length).writeBytes(body);
    }

    char kind() {
        return (char) type;
    }

    /** A NUL-terminated string at {@code from}; its end (the NUL) is at {@code result.length + from} in UTF-8. */
    static String cstring(byte[] b, int from) {
        int end = from;
        while (end < b.length && b[end] != 0) end++;
        return new String(b, from, end - from, StandardCharsets.UTF_8);
    }

    /** Index after the NUL of the string starting at {@code from}; -1 when there is none. */
    static int skipCstring(byte[] b, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == 0) return i + 1;
        return -1;
    }

    static byte[] cstringBytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.copyOf(b, b.length + 1);
    }

    static Frame query(String sql) {
        return of('Q', cstringBytes(sql));
    }
}
