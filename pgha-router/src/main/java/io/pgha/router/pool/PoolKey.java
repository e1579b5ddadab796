package io.pgha.router.pool;

/**
 * A pool: the server connections of one database and user, to the primary ({@code member} null)
 * or to one standby (the read/write split's reads).
 */
record PoolKey(String database, String user, String member) {
    PoolKey(String database, String user) {
        this(database, user, null);
    }

    boolean standby() {
        return member != null;
    }
}
