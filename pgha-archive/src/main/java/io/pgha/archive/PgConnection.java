package io.pgha.archive;

import io.pgha.core.net.HostPort;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Connection options as PostgreSQL's own tools take them: host, port, user, database, or a
 * libpq-style connection string ({@code "host=db1 port=5432 user=postgres"}) whose keys win. The
 * password comes from the connection string or $PGPASSWORD and is never printed.
 */
public record PgConnection(String host, int port, String user, String database, String password) {

    public static PgConnection of(String host, int port, String user, String database, String connString) {
        String pw = System.getenv("PGPASSWORD");
        if (connString != null && connString.contains("=")) {
            Map<String, String> kv = parse(connString);
            for (String k : kv.keySet()) {
                if (!java.util.Set.of("host", "port", "user", "dbname", "password")
                        .contains(k)) {
                    throw new IllegalArgumentException(
                            "connection string key '" + k + "' is not supported (host, port, user, dbname, password)");
                }
            }
            host = kv.getOrDefault("host", host);
            try {
                if (kv.containsKey("port")) port = HostPort.port(kv.get("port"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("connection string: " + e.getMessage());
            }
            user = kv.getOrDefault("user", user);
            database = kv.getOrDefault("dbname", database);
            pw = kv.getOrDefault("password", pw);
        } else if (connString != null) {
            database = connString;
        }
        return new PgConnection(host, port, user, database, pw);
    }

    static Map<String, String> parse(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : s.trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("connection string: '" + part + "' is not key=value");
            out.put(part.substring(0, eq), part.substring(eq + 1));
        }
        return out;
    }

    public Connection open() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) p.setProperty("password", password);
        p.setProperty("connectTimeout", "10");
        p.setProperty("ApplicationName", "pgha backup");
        return DriverManager.getConnection("jdbc:postgresql://" + HostPort.join(host, port) + "/" + database, p);
    }

    @Override
    public String toString() {
        return HostPort.join(host, port);
    }
}
