package io.pgha.postgres;

/** A PostgreSQL command or query failed; the message says which and why (never a password). */
public final class PostgresException extends Exception {
    private static final long serialVersionUID = 1L;

    public PostgresException(String message) {
        super(message);
    }

    public PostgresException(String message, Throwable cause) {
        super(message, cause);
    }
}
