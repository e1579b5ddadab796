package io.pgha.postgres;

import io.pgha.core.config.NodeConfig;
import io.pgha.postgres.ConfigFiles.Upstream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;

/**
 * The local server's fixed facts (config, binaries, directories, the environment of its programs)
 * and pgha's one SQL session to it, shared by the parts of {@link LocalPostgres}. Also what the
 * agent last pointed a standby at. Not thread-safe, like the parts.
 *
 * <p>Files: the data directory from the config; beside it {@code <data>.log} (pg_ctl's log: the
 * server's start until its logging collector runs), {@code <data>.log.d/} (the collector's rotated
 * files, see {@link ConfigFiles}) and {@code <data>.pgpass} (libpq password file).
 */
final class PgServer {
    final NodeConfig cfg;
    final Binaries bin;
    final OsCommand os;
    final Path dataDir;
    final Path stateDir;
    final ConfigFiles files;
    final Map<String, String> env;
    /** The member this standby was last pointed at by this agent, or null. */
    volatile String following;
    /** Where this standby streams from (what pgha.conf says), or null. */
    volatile Upstream upstream;

    private Connection connection;

    PgServer(NodeConfig cfg, Binaries bin) {
        this.cfg = cfg;
        this.bin = bin;
        this.os = new OsCommand(cfg.osUser());
        this.dataDir = Path.of(cfg.dataDir());
        this.stateDir = dataDir.getParent();
        Path passFile = sibling(".pgpass");
        this.files = new ConfigFiles(cfg, os, passFile);
        this.env = Map.of("PGPASSFILE", passFile.toString(), "PGCONNECT_TIMEOUT", "3");
    }

    Path sibling(String suffix) {
        return stateDir.resolve(dataDir.getFileName() + suffix);
    }

    /** The live postmaster's pid from postmaster.pid, or -1. */
    long postmasterPid() {
        return Processes.postmasterPid(dataDir);
    }

    String localHost() {
        String l = cfg.postgresql().listen().split(",")[0].trim();
        return l.equals("*") || l.equals("0.0.0.0") ? "127.0.0.1" : l.equals("::") ? "::1" : l;
    }

    Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = connect(localHost(), cfg.postgresql().port(), "postgres");
        }
        return connection;
    }

    /** A superuser connection to any member, with pgha's timeouts. The caller closes it. */
    Connection connect(String host, int port, String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", cfg.postgresql().superuser().username());
        if (cfg.postgresql().superuser().hasPassword())
            p.setProperty("password", cfg.postgresql().superuser().password());
        p.setProperty("connectTimeout", "3");
        p.setProperty("socketTimeout", "10");
        p.setProperty("loginTimeout", "5");
        p.setProperty("ApplicationName", "pgha");
        p.setProperty("sslmode", "disable");
        return DriverManager.getConnection("jdbc:postgresql://" + hostForUrl(host) + ":" + port + "/" + database, p);
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already broken
            }
            connection = null;
        }
    }

    void execute(String sql) throws PostgresException {
        try (Statement st = connection().createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            closeConnection();
            throw new PostgresException("SQL failed: " + e.getMessage(), e);
        }
    }

    static void sleep(long ms) throws PostgresException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostgresException("interrupted", e);
        }
    }
}
