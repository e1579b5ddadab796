package io.pgha.wire.frontend;

import io.netty.buffer.ByteBuf;
import io.pgha.wire.ProtocolViolation;
import io.pgha.wire.SqlState;

/**
 * The first packet of a connection, which has a length but no type byte: a {@link StartupMessage},
 * an {@link SslRequest}, a {@link GssEncRequest} or a {@link CancelRequest}. Anything else (an
 * unknown request code, a length out of range) is a {@link ProtocolViolation}, as in PostgreSQL.
 */
public sealed interface StartupPacket permits StartupMessage, SslRequest, GssEncRequest, CancelRequest {
    /** PostgreSQL's MAX_STARTUP_PACKET_LENGTH. */
    int MAX_LENGTH = 10_000;

    int CANCEL_CODE = 80877102;
    int SSL_CODE = 80877103;
    int GSSENC_CODE = 80877104;

    void encode(ByteBuf out);

    /**
     * Decodes one packet from {@code in}, consuming it; null (nothing consumed) until all of it has
     * arrived.
     */
    static StartupPacket decode(ByteBuf in) throws ProtocolViolation {
        if (in.readableBytes() < 4) return null;
        int length = in.getInt(in.readerIndex());
        if (length < 8 || length > MAX_LENGTH)
            throw ProtocolViolation.of("invalid length of startup packet: " + Integer.toUnsignedString(length));
        if (in.readableBytes() < length) return null;
        int code = in.getInt(in.readerIndex() + 4);
        ByteBuf body = in.slice(in.readerIndex() + 8, length - 8);
        StartupPacket p = switch (code) {
            case SSL_CODE -> SslRequest.decode(body);
            case GSSENC_CODE -> GssEncRequest.decode(body);
            case CANCEL_CODE -> CancelRequest.decode(body);
            default -> {
                int major = code >>> 16;
                if (major != 3) {
                    throw new ProtocolViolation(
                            SqlState.FEATURE_NOT_SUPPORTED,
                            "unsupported frontend protocol " + major + "." + (code & 0xffff)
                                    + ": server supports 3.0 to 3.2");
                }
                yield StartupMessage.decode(code, body);
            }
        };
        in.skipBytes(length);
        return p;
    }
}
