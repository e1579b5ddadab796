package io.pgha.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * {@code log.format: json}: one JSON object per line, for log shippers that would otherwise have
 * to parse pgha's text lines (and split multi-line stack traces). Fields: {@code timestamp}
 * (ISO-8601 with the local offset, as in the text lines), {@code level}, {@code logger} (the full
 * name, the one {@code log.loggers} takes), {@code node}, {@code thread}, {@code message} and, when
 * the event carries one, {@code exception} (the stack trace as one string).
 *
 * <p>Written by hand rather than with a JSON library so that logging never depends on one more
 * jar being on the class path; the escaping is JSON's (RFC 8259), and a line break inside a
 * message never breaks the one-object-per-line rule.
 */
public final class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
    /** The same shape as the text lines' {@code %d}: a full timestamp with the zone offset. */
    static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxxx").withZone(ZoneId.systemDefault());

    private static final byte[] NONE = new byte[0];
    private String node = "pgha";

    /** The node (or router) name put in every line. */
    public void setNode(String node) {
        this.node = node == null || node.isBlank() ? "pgha" : node;
    }

    @Override
    public byte[] headerBytes() {
        return NONE;
    }

    @Override
    public byte[] footerBytes() {
        return NONE;
    }

    @Override
    public byte[] encode(ILoggingEvent e) {
        return line(e).getBytes(StandardCharsets.UTF_8);
    }

    String line(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(256);
        b.append('{');
        field(b, "timestamp", TIMESTAMP.format(e.getInstant()));
        b.append(',');
        field(b, "level", e.getLevel().toString());
        b.append(',');
        field(b, "logger", e.getLoggerName());
        b.append(',');
        field(b, "node", node);
        b.append(',');
        field(b, "thread", e.getThreadName());
        b.append(',');
        field(b, "message", e.getFormattedMessage());
        IThrowableProxy t = e.getThrowableProxy();
        if (t != null) {
            b.append(',');
            field(b, "exception", ThrowableProxyUtil.asString(t));
        }
        return b.append("}\n").toString();
    }

    private static void field(StringBuilder b, String name, String value) {
        b.append('"').append(name).append("\":");
        if (value == null) {
            b.append("null");
            return;
        }
        b.append('"');
        escape(b, value);
        b.append('"');
    }

    /**
     * Appends {@code s} as the inside of a JSON string: quote, backslash and control characters
     * escaped, and also U+2028/U+2029 (line breaks to JavaScript) and any unpaired surrogate, which
     * UTF-8 cannot carry and which would otherwise become a '?'. Everything else is written as is.
     */
    static void escape(StringBuilder b, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        unicode(b, c);
                    } else if (Character.isHighSurrogate(c)
                            && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        b.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        unicode(b, c);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
    }

    private static void unicode(StringBuilder b, char c) {
        String hex = Integer.toHexString(c);
        b.append("\\u");
        for (int k = hex.length(); k < 4; k++) b.append('0');
        b.append(hex);
    }
}
