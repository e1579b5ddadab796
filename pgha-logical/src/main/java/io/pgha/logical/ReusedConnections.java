package io.pgha.logical;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * {@link SetServers} that keeps one connection per node and database open for the length of one
 * operation (a move): while a set refuses writes, every step would otherwise pay for a DCS read to
 * find the node's primary and a new session (TCP, authentication, start-up) several times over.
 * {@code close()} on a connection handed out rolls back what it left open and keeps it; a connection
 * that broke is replaced at the next {@link #connect}. {@link #close()} closes them all, not the
 * servers underneath.
 */
final class ReusedConnections implements SetServers {
    private final SetServers servers;
    private final Map<String, Connection> open = new HashMap<>();

    ReusedConnections(SetServers servers) {
        this.servers = servers;
    }

    @Override
    public synchronized Connection connect(String node, String database) throws SQLException {
        String key = node + "\u0000" + database;
        Connection c = open.get(key);
        if (c != null && (c.isClosed() || !c.isValid(5))) {
            quietly(c);
            open.remove(key);
            c = null;
        }
        if (c == null) {
            c = servers.connect(node, database);
            open.put(key, c);
        }
        return kept(c);
    }

    /** {@code c} behind a proxy whose close() only ends what the caller left open. */
    private static Connection kept(Connection c) {
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("close") && method.getParameterCount() == 0) {
                if (!c.isClosed() && !c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
                return null;
            }
            try {
                return method.invoke(c, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Connection)
                Proxy.newProxyInstance(ReusedConnections.class.getClassLoader(), new Class<?>[] {Connection.class}, h);
    }

    private static void quietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // already broken
        }
    }

    @Override
    public String conninfo(String node) {
        return servers.conninfo(node);
    }

    @Override
    public boolean isCluster(String node) {
        return servers.isCluster(node);
    }

    @Override
    public void keepSlot(String node, String slot, String database, boolean keep) throws Exception {
        servers.keepSlot(node, slot, database, keep);
    }

    @Override
    public synchronized void close() {
        open.values().forEach(ReusedConnections::quietly);
        open.clear();
    }
}
