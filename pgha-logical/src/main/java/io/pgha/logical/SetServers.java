package io.pgha.logical;

import java.sql.Connection;
import java.sql.SQLException;

/** How pgha reaches the nodes of the sets: the SQL connections and, for pgha clusters, their DCS. */
public interface SetServers extends AutoCloseable {
    /** An autocommit connection to the node's primary, in {@code database}. */
    Connection connect(String node, String database) throws SQLException;

    /** How a subscriber reaches {@code node}: a libpq connection string without dbname. */
    String conninfo(String node);

    /** Whether {@code node} is a pgha cluster (its set slots are then kept as permanent slots). */
    boolean isCluster(String node);

    /**
     * On a pgha cluster: keeps (or stops keeping) {@code slot} as a permanent logical slot, so the
     * agents copy it to the standbys and it survives the cluster's failovers. Nothing on a plain
     * server.
     */
    void keepSlot(String node, String slot, String database, boolean keep) throws Exception;

    @Override
    void close();
}
