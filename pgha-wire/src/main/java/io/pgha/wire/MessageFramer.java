package io.pgha.wire;

import io.netty.buffer.ByteBuf;
import io.pgha.wire.frontend.FrontendType;
import java.util.function.IntPredicate;

/**
 * Finds message boundaries in one direction of a session after the startup phase, without copying
 * or holding the stream: the relay forwards every buffer as it is, and the framer only follows the
 * headers (one type byte, a four-byte length) across buffer edges.
 *
 * <p>The bodies of the few message types a caller asks for ({@code capture}, small messages only,
 * such as ReadyForQuery) are collected and handed to the {@link Sink}. In the frontend direction
 * every type byte and length is checked: an unknown type, a length below four, a body on a message
 * that has none or a body above {@code maxBody} is a {@link ProtocolViolation}, raised before any
 * byte of that message would be forwarded by a caller that stops at the first violation.
 *
 * <p>Not thread-safe: one framer per direction of one session, used on its event loop.
 */
public final class MessageFramer {
    /** Largest body that is ever captured; longer captured messages are reported without a body. */
    public static final int MAX_CAPTURE = 4096;

    /** Receives each complete message header, and the body when it was captured. */
    @FunctionalInterface
    public interface Sink {
        void message(byte type, int bodyLength, byte[] body);
    }

    private final boolean frontend;
    private final long maxBody;
    private final IntPredicate capture;
    private final Sink sink;

    private final byte[] header = new byte[5];
    private int headerFill;
    private long remaining = -1;
    private byte type;
    private int bodyLength;
    private byte[] body;
    private int bodyFill;
    private long messages;

    private MessageFramer(boolean frontend, long maxBody, IntPredicate capture, Sink sink) {
        this.frontend = frontend;
        this.maxBody = maxBody;
        this.capture = capture;
        this.sink = sink;
    }

    /** For bytes a client sends: types and lengths are checked against {@code maxBody}. */
    public static MessageFramer frontend(long maxBody, IntPredicate capture, Sink sink) {
        return new MessageFramer(true, maxBody, capture, sink);
    }

    /** For bytes a PostgreSQL server sends, which are trusted: only lengths are checked. */
    public static MessageFramer backend(IntPredicate capture, Sink sink) {
        return new MessageFramer(false, Integer.MAX_VALUE, capture, sink);
    }

    /**
     * Follows the readable bytes of {@code buf} without moving its reader index. After a violation
     * the stream cannot be followed any further: the caller forwards nothing of {@code buf} and ends
     * the session.
     */
    public void scan(ByteBuf buf) throws ProtocolViolation {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (i < end) {
            if (remaining < 0) {
                header[headerFill++] = buf.getByte(i++);
                if (headerFill == 5) startBody();
            } else {
                int n = (int) Math.min(remaining, end - i);
                if (body != null) {
                    buf.getBytes(i, body, bodyFill, n);
                    bodyFill += n;
                }
                i += n;
                remaining -= n;
            }
            if (remaining == 0) finish();
        }
    }

    private void startBody() throws ProtocolViolation {
        type = header[0];
        long length = ((header[1] & 0xffL) << 24)
                | ((header[2] & 0xff) << 16)
                | ((header[3] & 0xff) << 8)
                | (header[4] & 0xff);
        if (length < 4)
            throw ProtocolViolation.of(
                    "invalid message length " + length + " for message type " + FrontendType.describe(type));
        long len = length - 4;
        if (frontend) check(len);
        bodyLength = (int) Math.min(len, Integer.MAX_VALUE);
        remaining = len;
        body = capture.test(type) && len <= MAX_CAPTURE ? new byte[(int) len] : null;
        bodyFill = 0;
    }

    private void check(long len) throws ProtocolViolation {
        if (!FrontendType.known(type))
            throw ProtocolViolation.of("invalid frontend message type " + FrontendType.describe(type));
        if (FrontendType.empty(type) && len != 0) {
            throw ProtocolViolation.of(
                    "invalid message length " + (len + 4) + " for message type " + FrontendType.describe(type));
        }
        if (len > maxBody) {
            throw new ProtocolViolation(
                    SqlState.PROGRAM_LIMIT_EXCEEDED,
                    "message of type " + FrontendType.describe(type) + " is " + len
                            + " bytes, more than the router's max_message_size of " + maxBody);
        }
    }

    private void finish() {
        byte[] b = body;
        body = null;
        remaining = -1;
        headerFill = 0;
        messages++;
        sink.message(type, bodyLength, b);
    }

    /** Whether the stream so far ends exactly at a message boundary. */
    public boolean atBoundary() {
        return headerFill == 0 && remaining < 0;
    }

    public long messages() {
        return messages;
    }
}
