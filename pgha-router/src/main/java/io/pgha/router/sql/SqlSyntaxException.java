package io.pgha.router.sql;

/** PostgreSQL's parser rejected a query text; {@link #position()} is 1-based (0 when unknown), as in ErrorResponse. */
public final class SqlSyntaxException extends Exception {
    private final int position;

    public SqlSyntaxException(String message, int position) {
        super(message);
        this.position = position;
    }

    public int position() {
        return position;
    }
}
