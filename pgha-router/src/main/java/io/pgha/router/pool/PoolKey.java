package io.pgha.router.pool;

/** A pool: the server connections of one database and user. */
record PoolKey(String database, String user) {}
