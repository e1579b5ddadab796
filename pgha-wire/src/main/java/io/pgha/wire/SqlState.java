package io.pgha.wire;

/** The SQLSTATE codes the router answers with (PostgreSQL's Appendix A names). */
public final class SqlState {
    public static final String PROTOCOL_VIOLATION = "08P01";
    public static final String FEATURE_NOT_SUPPORTED = "0A000";
    public static final String INVALID_AUTHORIZATION_SPECIFICATION = "28000";
    public static final String CANNOT_CONNECT_NOW = "57P03";
    public static final String ADMIN_SHUTDOWN = "57P01";
    public static final String CONNECTION_FAILURE = "08006";
    public static final String PROGRAM_LIMIT_EXCEEDED = "54000";

    private SqlState() {}
}
