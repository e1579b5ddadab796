package io.pgha.wire.frontend;

import io.netty.buffer.ByteBuf;
import io.pgha.wire.ProtocolViolation;
import io.pgha.wire.SqlState;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * StartupMessage: protocol version and the connection parameters (user, database, options, ...).
 * The router reads them to route and forwards the packet unchanged.
 */
public record StartupMessage(int protocol, Map<String, String> parameters) implements StartupPacket {
    public static final int PROTOCOL_3_0 = 196608;

    public StartupMessage {
        parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    static StartupMessage decode(int protocol, ByteBuf body) throws ProtocolViolation {
        Map<String, String> params = new LinkedHashMap<>();
        int i = body.readerIndex();
        int end = body.writerIndex();
        while (true) {
            if (i >= end) throw ProtocolViolation.of("invalid startup packet layout: expected terminator as last byte");
            if (body.getByte(i) == 0) {
                if (i != end - 1)
                    throw ProtocolViolation.of("invalid startup packet layout: data after the terminator");
                break;
            }
            int nameEnd = body.indexOf(i, end, (byte) 0);
            if (nameEnd < 0) throw ProtocolViolation.of("invalid startup packet layout: unterminated parameter name");
            int valueEnd = body.indexOf(nameEnd + 1, end, (byte) 0);
            if (valueEnd < 0)
                throw ProtocolViolation.of("invalid startup packet layout: missing value of " + text(body, i, nameEnd));
            params.put(text(body, i, nameEnd), text(body, nameEnd + 1, valueEnd));
            i = valueEnd + 1;
        }
        String user = params.get("user");
        if (user == null || user.isEmpty()) {
            throw new ProtocolViolation(
                    SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                    "no PostgreSQL user name specified in startup packet");
        }
        return new StartupMessage(protocol, params);
    }

    private static String text(ByteBuf b, int from, int to) {
        return b.toString(from, to - from, StandardCharsets.UTF_8);
    }

    public String user() {
        return parameters.get("user");
    }

    /** The database asked for; PostgreSQL defaults it to the user name. */
    public String database() {
        return parameters.getOrDefault("database", user());
    }

    /** A physical or logical replication connection ({@code replication=true|database|...}). */
    public boolean replication() {
        String r = parameters.get("replication");
        return r != null
                && !r.equalsIgnoreCase("false")
                && !r.equals("0")
                && !r.equalsIgnoreCase("off")
                && !r.equalsIgnoreCase("no");
    }

    @Override
    public void encode(ByteBuf out) {
        int start = out.writerIndex();
        out.writeInt(0).writeInt(protocol);
        for (var e : parameters.entrySet()) {
            out.writeCharSequence(e.getKey(), StandardCharsets.UTF_8);
            out.writeByte(0);
            out.writeCharSequence(e.getValue(), StandardCharsets.UTF_8);
            out.writeByte(0);
        }
        out.writeByte(0);
        out.setInt(start, out.writerIndex() - start);
    }
}
