package io.pgha.core.config;

/**
 * The router's pooled listener (section {@code router.pool}): clients authenticate at the router,
 * and share server connections to the primary.
 *
 * @param port the pooled listener
 * @param mode when a client gives its server connection back: at the end of each transaction
 *     ({@code transaction}), or when it disconnects ({@code session})
 * @param authType what clients are asked for: {@code scram-sha-256} (default) or {@code md5}
 * @param authFile users and their secrets, in PgBouncer's userlist.txt format
 * @param poolSize server connections per database and user
 * @param maxClientConn clients the listener accepts at once
 * @param serverIdleTimeoutMs an idle server connection is closed after this long
 * @param serverLifetimeMs a server connection is closed (when idle) after this long
 * @param queryWaitTimeoutMs a client waits at most this long for a server connection
 */
public record PoolConfig(
        int port,
        Mode mode,
        String authType,
        String authFile,
        int poolSize,
        int maxClientConn,
        long serverIdleTimeoutMs,
        long serverLifetimeMs,
        long queryWaitTimeoutMs) {

    /** When a server connection goes back to the pool. */
    public enum Mode {
        SESSION,
        TRANSACTION
    }

    static PoolConfig read(Section s, int otherPort, int otherReadOnlyPort) {
        int port = s.port("port", null);
        if (port == otherPort || port == otherReadOnlyPort)
            throw new ConfigException(s.key("port") + ": " + port + " is already one of the router's other ports");
        String mode = s.string("mode", "transaction");
        Mode m = switch (mode) {
            case "transaction" -> Mode.TRANSACTION;
            case "session" -> Mode.SESSION;
            default -> throw new ConfigException(s.key("mode") + ": '" + mode + "' must be transaction or session");
        };
        String auth = s.string("auth_type", "scram-sha-256");
        if (!auth.equals("scram-sha-256") && !auth.equals("md5"))
            throw new ConfigException(s.key("auth_type") + ": '" + auth + "' must be scram-sha-256 or md5");
        String file = s.string("auth_file", null);
        if (file == null)
            throw new ConfigException(s.key("auth_file") + ": is required (users and their SCRAM verifiers, md5 hashes"
                    + " or passwords, in PgBouncer's userlist.txt format)");
        int size = s.intIn("pool_size", 20, 1, 10_000);
        int max = s.intIn("max_client_conn", 1000, 1, 1_000_000);
        long idle = s.millis("server_idle_timeout", 600_000);
        long life = s.millis("server_lifetime", 3_600_000);
        long wait = s.millis("query_wait_timeout", 120_000);
        if (idle <= 0 || life <= 0 || wait <= 0)
            throw new ConfigException(
                    s.key("") + "server_idle_timeout, server_lifetime and query_wait_timeout must be positive");
        s.rejectUnknown();
        return new PoolConfig(port, m, auth, file, size, max, idle, life, wait);
    }
}
