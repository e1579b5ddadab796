package io.pgha.wire.frontend;

/**
 * The type bytes of messages a client may send after the startup phase, and the limits the router
 * enforces on each. Any other byte is a protocol violation (PostgreSQL answers the same way).
 */
public final class FrontendType {
    public static final byte BIND = 'B';
    public static final byte CLOSE = 'C';
    public static final byte COPY_DATA = 'd';
    public static final byte COPY_DONE = 'c';
    public static final byte COPY_FAIL = 'f';
    public static final byte DESCRIBE = 'D';
    public static final byte EXECUTE = 'E';
    public static final byte FLUSH = 'H';
    public static final byte FUNCTION_CALL = 'F';
    public static final byte PARSE = 'P';
    /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share this byte. */
    public static final byte PASSWORD = 'p';

    public static final byte QUERY = 'Q';
    public static final byte SYNC = 'S';
    public static final byte TERMINATE = 'X';

    private FrontendType() {}

    public static boolean known(byte type) {
        return switch (type) {
            case BIND,
                    CLOSE,
                    COPY_DATA,
                    COPY_DONE,
                    COPY_FAIL,
                    DESCRIBE,
                    EXECUTE,
                    FLUSH,
                    FUNCTION_CALL,
                    PARSE,
                    PASSWORD,
                    QUERY,
                    SYNC,
                    TERMINATE -> true;
            default -> false;
        };
    }

    /** Messages that carry no body at all. */
    public static boolean empty(byte type) {
        return type == SYNC || type == FLUSH || type == TERMINATE || type == COPY_DONE;
    }

    /** Messages after which the server answers with ReadyForQuery (one each). */
    public static boolean endsCycle(byte type) {
        return type == QUERY || type == SYNC || type == FUNCTION_CALL;
    }

    public static String describe(byte type) {
        return type >= 0x20 && type < 0x7f ? "'" + (char) type + "'" : String.format("0x%02x", type & 0xff);
    }
}
