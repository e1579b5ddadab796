package io.pgha.wire;

/**
 * Bytes from a client that break the protocol. Carries the SQLSTATE of the ErrorResponse the
 * client gets before its connection is closed.
 */
public final class ProtocolViolation extends Exception {
    private final String sqlState;

    public ProtocolViolation(String sqlState, String message) {
        super(message, null, false, false);
        this.sqlState = sqlState;
    }

    public static ProtocolViolation of(String message) {
        return new ProtocolViolation(SqlState.PROTOCOL_VIOLATION, message);
    }

    public String sqlState() {
        return sqlState;
    }
}
