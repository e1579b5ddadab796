package io.pgha.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.util.Properties;

/**
 * A client that writes on its own thread through a JDBC URL (usually the multi-host URL that finds
 * the primary) until it is closed, reconnecting 20 ms after any error. Subclasses write with one
 * connection in {@link #writeWith} and remember what was acknowledged.
 */
public abstract class Workload implements AutoCloseable {
    private final String url;
    private final Thread thread;
    private volatile boolean running = true;

    protected Workload(String url, String name) {
        this.url = url;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
    }

    /** A connection with short timeouts, so that a dead primary is left quickly. */
    protected final Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("connectTimeout", "2");
        p.setProperty("socketTimeout", "5");
        p.setProperty("loginTimeout", "3");
        return DriverManager.getConnection(url, p);
    }

    /** Writes through {@code c} while {@link #running()}; returns or throws when the connection fails. */
    protected abstract void writeWith(Connection c) throws SQLException, InterruptedException;

    /** After a failed connection: the write in flight may or may not have committed. */
    protected abstract void failed();

    protected final boolean running() {
        return running;
    }

    protected final void begin() {
        thread.start();
    }

    private void loop() {
        while (running) {
            try (Connection c = connect()) {
                writeWith(c);
            } catch (SQLException e) {
                failed();
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** PostgreSQL's WARNING when a commit stopped waiting for its synchronous standby (a cancel). */
    public static boolean cancelledSyncWait(SQLWarning w) {
        for (; w != null; w = w.getNextWarning()) {
            if (String.valueOf(w.getMessage()).contains("synchronous replication")) return true;
        }
        return false;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
