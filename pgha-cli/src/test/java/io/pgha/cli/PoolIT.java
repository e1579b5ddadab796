package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.PoolConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Role;
import io.pgha.router.Router;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.StubDcs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router's pooled listener in front of a real PostgreSQL 15, with real clients: pgJDBC with
 * server-side prepared statements, psql and pgbench. Clients authenticate at the router with
 * SCRAM against the auth file; the pool logs in to PostgreSQL (which asks for SCRAM too) with the
 * ClientKey recovered from the client's exchange, or with the auth file's password.
 */
class PoolIT {
    private static final String PSQL = "/usr/lib/postgresql/15/bin/psql";
    private static final String PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";
    private static PlainPostgres pg;
    private static Path data;
    private static int pgPort;
    private static Path data2;
    private static int pgPort2;
    private static StubDcs dcs;
    private static Router router;
    private static int pool;
    private static PoolConfig poolConfig;
    private static Path usersFile;
    private static Path own;

    @BeforeAll
    static void start() throws Exception {
        pg = PlainPostgres.in("pgha-pool-it");
        data = pg.dir().resolve("data");
        pgPort = FreePorts.one();
        pg.initdb(data);
        PlainPostgres.prependHba(
                data, "host all alice,carol,gina 127.0.0.1/32 scram-sha-256\nhost all bob 127.0.0.1/32 md5\n");
        pg.start(data, pgPort, true, "max_connections", "40");
        String verifier;
        String md5;
        try (Connection c = direct();
                Statement st = c.createStatement()) {
            st.execute("CREATE ROLE alice LOGIN PASSWORD 'alice-pw'");
            st.execute("CREATE ROLE carol LOGIN PASSWORD 'carol-pw'");
            st.execute("SET password_encryption = 'md5'");
            st.execute("CREATE ROLE bob LOGIN PASSWORD 'bob-pw'");
            st.execute("CREATE TABLE t (id int)");
            st.execute("CREATE DATABASE other");
            st.execute("CREATE ROLE dave LOGIN");
            st.execute("RESET password_encryption");
            st.execute("CREATE ROLE gina LOGIN PASSWORD 'gina-pw'");
            // auth_query through a SECURITY DEFINER function: carol may look users up, not read pg_authid
            st.execute("CREATE FUNCTION public.pgha_lookup(u text, OUT rolname name, OUT rolpassword text)"
                    + " RETURNS record LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog"
                    + " AS $$ SELECT rolname, rolpassword FROM pg_authid WHERE rolname = u AND rolcanlogin $$");
            st.execute("REVOKE ALL ON FUNCTION public.pgha_lookup(text) FROM PUBLIC");
            st.execute("GRANT EXECUTE ON FUNCTION public.pgha_lookup(text) TO carol");
            st.execute("GRANT ALL ON t TO alice, carol");
            st.execute("GRANT ALL ON SCHEMA public TO alice");
            try (ResultSet rs = st.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'")) {
                rs.next();
                verifier = rs.getString(1);
            }
            try (ResultSet rs = st.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = 'bob'")) {
                rs.next();
                md5 = rs.getString(1);
            }
        }
        // a second server standing in for another member: alice with the same verifier, as on a replica
        data2 = pg.dir().resolve("data2");
        pgPort2 = FreePorts.one();
        pg.initdb(data2);
        PlainPostgres.prependHba(data2, "host all alice 127.0.0.1/32 scram-sha-256\n");
        pg.start(data2, pgPort2, true, "max_connections", "20");
        try (Connection c = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + pgPort2 + "/postgres?user=postgres");
                Statement st = c.createStatement()) {
            st.execute("CREATE ROLE alice LOGIN PASSWORD '" + verifier + "'");
        }
        own = PoolFixtures.ownDirectory("pgha-pool-it-files");
        Path users = own.resolve("users.txt");
        Files.writeString(
                users,
                "\"alice\" \"" + verifier + "\"\n\"bob\" \"" + md5
                        + "\"\n\"carol\" \"carol-pw\"\n\"eve\" \"eve-pw\"\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        dcs = new StubDcs();
        dcs.set(view("node1"));
        PoolConfig pc = new PoolConfig(
                        FreePorts.one(),
                        PoolConfig.Mode.TRANSACTION,
                        "scram-sha-256",
                        users.toString(),
                        2,
                        50,
                        600_000,
                        3_600_000,
                        60_000) // query_wait_timeout: generous, a loaded CI machine is slow (once 10 s was not enough
                // for pgbench)
                .withAdmin(new PoolConfig.Admin(List.of("alice"), List.of("carol")));
        poolConfig = pc;
        usersFile = users;
        router = PoolFixtures.router("r1", dcs, pc, null, null, "node1");
        pool = router.pooledAddress().getPort();
    }

    /** node1 (the first server) and node2 (the second), {@code leader} holding the lease. */
    private static ClusterState view(String leader) {
        return PoolFixtures.view(
                leader,
                PoolFixtures.member("node1", pgPort, leader.equals("node1") ? Role.PRIMARY : Role.STANDBY),
                PoolFixtures.member("node2", pgPort2, leader.equals("node2") ? Role.PRIMARY : Role.STANDBY));
    }

    /**
     * The lease moves to another member: a client between transactions carries on there with no
     * error (its prepared statement and application_name follow it); a client inside a transaction
     * on the old primary is told its transaction is gone and is disconnected.
     */
    @Test
    void whenTheLeaseMovesIdleClientsFollowAndOpenTransactionsEndClearly() throws Exception {
        try (Connection idle = pooled("alice", "alice-pw", "&prepareThreshold=1&ApplicationName=mover");
                Connection busy = pooled("alice", "alice-pw", "");
                PreparedStatement where = idle.prepareStatement(
                        "SELECT inet_server_port()::text || ' ' || current_setting('application_name')")) {
            try (ResultSet rs = where.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(pgPort + " mover");
            }
            busy.setAutoCommit(false);
            one(busy, "SELECT 1");
            dcs.set(view("node2"));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> "node2".equals(router.view().leader()));
            try (ResultSet rs = where.executeQuery()) {
                rs.next();
                assertThat(rs.getString(1)).as("the idle client, now on node2").isEqualTo(pgPort2 + " mover");
            }
            assertThatThrownBy(() -> one(busy, "SELECT 2"))
                    .isInstanceOfSatisfying(
                            SQLException.class,
                            e -> assertThat(e.getMessage())
                                    .satisfiesAnyOf(
                                            m -> assertThat(m).contains("no longer holds the leader lease"),
                                            m -> assertThat(m).contains("I/O error")));
        } finally {
            dcs.set(view("node1"));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> "node1".equals(router.view().leader()));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (router != null) router.close();
            if (pg != null) pg.stopAll();
        } finally {
            if (own != null) io.pgha.postgres.Directories.delete(own);
        }
    }

    private static Connection direct() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres?user=postgres");
    }

    private static Connection pooled(String user, String password, String extra) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pool + "/postgres?user=" + user
                + "&password=" + password + "&connectTimeout=20&socketTimeout=60" + extra);
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Four pgJDBC clients with server-side prepared statements from the first use (prepareThreshold=1)
     * share two server connections: every statement reaches whichever server the client lands on,
     * prepared there by the router when that server lacks it.
     */
    @Test
    void preparedStatementsFollowClientsAcrossSharedServers() throws Exception {
        long pins = pinsSoFar();
        List<CompletableFuture<Integer>> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int n = i;
            clients.add(CompletableFuture.supplyAsync(() -> {
                try (Connection c = pooled("alice", "alice-pw", "&prepareThreshold=1");
                        PreparedStatement add = c.prepareStatement("SELECT ?::int + 1");
                        PreparedStatement ins = c.prepareStatement("INSERT INTO t VALUES (?)")) {
                    int sum = 0;
                    for (int k = 0; k < 40; k++) {
                        add.setInt(1, k);
                        try (ResultSet rs = add.executeQuery()) {
                            rs.next();
                            sum += rs.getInt(1);
                        }
                        ins.setInt(1, n * 1000 + k);
                        ins.executeUpdate();
                    }
                    return sum;
                } catch (SQLException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (var f : clients) assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(40 * 41 / 2);
        try (Connection c = direct()) {
            assertThat(one(c, "SELECT count(*) FROM t WHERE id < 4000")).isEqualTo("160");
        }
        assertThat(router.pool().pools().get("postgres/alice")[1])
                .as("server connections")
                .isLessThanOrEqualTo(2);
        assertThat(pinsSoFar())
                .as("no client was pinned: they shared the two servers")
                .isEqualTo(pins);
    }

    /** A transaction keeps its server from BEGIN to COMMIT; outside one, the backend may change. */
    @Test
    void aTransactionStaysOnOneServer() throws Exception {
        try (Connection c = pooled("alice", "alice-pw", "");
                Connection other = pooled("alice", "alice-pw", "")) {
            c.setAutoCommit(false);
            String pid = one(c, "SELECT pg_backend_pid()");
            one(other, "SELECT 1"); // another client uses the other server meanwhile
            one(c, "SELECT 1");
            assertThat(one(c, "SELECT pg_backend_pid()")).isEqualTo(pid);
            c.commit();
        }
    }

    /** Settings a client gave at startup (application_name) hold on every server it lands on. */
    @Test
    void startupSettingsFollowTheClient() throws Exception {
        try (Connection a = pooled("alice", "alice-pw", "&ApplicationName=app-a");
                Connection b = pooled("alice", "alice-pw", "&ApplicationName=app-b")) {
            for (int i = 0; i < 10; i++) {
                assertThat(one(a, "SELECT current_setting('application_name')")).isEqualTo("app-a");
                assertThat(one(b, "SELECT current_setting('application_name')")).isEqualTo("app-b");
            }
        }
    }

    private static long pinsSoFar() {
        return router.pool().pins().values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * A session-level SET is remembered and replayed on whichever server the client lands on, and
     * undone (RESET) on a server before another client uses it; nobody is pinned for it. pgJDBC
     * itself sends SET application_name at connect.
     */
    @Test
    void setIsReplayedWhereTheClientLandsAndResetForOthers() throws Exception {
        long before = pinsSoFar();
        try (Connection a = pooled("alice", "alice-pw", "");
                Connection b = pooled("alice", "alice-pw", "")) {
            try (Statement st = a.createStatement()) {
                st.execute("SET search_path = a_schema, public");
            }
            java.util.Set<String> pids = new java.util.HashSet<>();
            for (int i = 0; i < 10; i++) {
                assertThat(one(a, "SHOW search_path")).isEqualTo("a_schema, public");
                assertThat(one(b, "SHOW search_path")).isEqualTo("\"$user\", public");
                pids.add(one(a, "SELECT pg_backend_pid()"));
                pids.add(one(b, "SELECT pg_backend_pid()"));
            }
            assertThat(pids).as("the two clients shared the pool's servers").hasSizeLessThanOrEqualTo(2);
        }
        assertThat(pinsSoFar()).as("no client was pinned").isEqualTo(before);
    }

    /** A session advisory lock pins the client; DISCARD ALL releases it before the server is lent again. */
    @Test
    void aSessionAdvisoryLockPinsAndIsReleasedBeforeTheNextClient() throws Exception {
        long before = router.pool().pins().getOrDefault("session advisory lock", 0L);
        try (Connection c = pooled("alice", "alice-pw", "")) {
            assertThat(one(c, "SELECT pg_advisory_lock(4242)::text")).isEmpty();
            String pid = one(c, "SELECT pg_backend_pid()");
            for (int i = 0; i < 3; i++)
                assertThat(one(c, "SELECT pg_backend_pid()")).isEqualTo(pid);
        }
        assertThat(router.pool().pins().get("session advisory lock")).isEqualTo(before + 1);
        assertThat(router.metrics().scrape())
                .contains("pgha_router_pool_pins_total{reason=\"session advisory lock\"}")
                .contains("pgha_router_pool_clients")
                .contains("pgha_router_pool_server_connections")
                .contains("pgha_router_pool_auth_failures_total");
        try (Connection c = direct()) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> one(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
                            .equals("0"));
        }
    }

    @Test
    void wrongPasswordsAndUnknownUsersGetTheSameRefusal() {
        for (String[] u : new String[][] {{"alice", "wrong"}, {"nobody", "x"}, {"bob", "bob-pw"}}) {
            assertThatThrownBy(() -> pooled(u[0], u[1], "").close())
                    .as(u[0])
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("28P01");
                        assertThat(e.getMessage()).contains("password authentication failed for user \"" + u[0] + "\"");
                    });
        }
    }

    /**
     * A client that vanishes inside a transaction: its server connection is closed, not lent, so
     * nobody inherits the open transaction; the pool opens another when needed.
     */
    @Test
    void aClientGoneMidTransactionTakesItsServerAlong() throws Exception {
        String pid;
        Connection c = pooled("alice", "alice-pw", "");
        c.setAutoCommit(false);
        pid = one(c, "SELECT pg_backend_pid()");
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO t VALUES (-1)");
        }
        c.unwrap(org.postgresql.PGConnection.class); // still open
        ((org.postgresql.jdbc.PgConnection) c).getQueryExecutor().abort(); // the socket closes, no ROLLBACK sent
        try (Connection d = direct()) {
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> one(d, "SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid)
                            .equals("0"));
            assertThat(one(d, "SELECT count(*) FROM t WHERE id = -1")).isEqualTo("0");
        }
        for (int i = 0; i < 3; i++) {
            try (Connection e = pooled("alice", "alice-pw", "")) {
                assertThat(one(e, "SELECT 1")).isEqualTo("1");
            }
        }
    }

    /**
     * A server connection that dies under its client (its backend terminated, as in a postmaster
     * restart) frees its place in the pool: after more such deaths than pool_size, clients still
     * get servers.
     */
    @Test
    void aServerThatDiesUnderItsClientFreesItsPlace() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (Connection c = pooled("alice", "alice-pw", "")) {
                c.setAutoCommit(false);
                String pid = one(c, "SELECT pg_backend_pid()");
                try (Connection d = direct()) {
                    one(d, "SELECT pg_terminate_backend(" + pid + ")::text");
                }
                assertThatThrownBy(() -> one(c, "SELECT 1")).isInstanceOf(SQLException.class);
            }
        }
        try (Connection c = pooled("alice", "alice-pw", "")) {
            assertThat(one(c, "SELECT 1")).isEqualTo("1");
        }
        assertThat(router.pool().pools().get("postgres/alice")[1]).isLessThanOrEqualTo(2);
    }

    /** carol's auth file entry is her password: the router checks it and logs in to PostgreSQL with it. */
    @Test
    void aPasswordFromTheAuthFileLogsInToo() throws Exception {
        try (Connection c = pooled("carol", "carol-pw", "")) {
            assertThat(one(c, "SELECT current_user")).isEqualTo("carol");
        }
    }

    @Test
    void aCancelThroughThePoolCancelsTheQuery() throws Exception {
        try (Connection c = pooled("alice", "alice-pw", "");
                Statement st = c.createStatement()) {
            CompletableFuture<Void> cancel = CompletableFuture.runAsync(() -> {
                try {
                    try (Connection d = direct()) {
                        await().atMost(Duration.ofSeconds(20))
                                .alias("the query runs on its server")
                                .until(() -> one(
                                                d,
                                                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                                                        + " AND query = 'SELECT pg_sleep(60)'")
                                        .equals("1"));
                    }
                    st.cancel();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertThatThrownBy(() -> st.execute("SELECT pg_sleep(60)"))
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("57014"));
            cancel.join();
            assertThat(one(c, "SELECT 1")).isEqualTo("1");
        }
    }

    /** psql, and pgbench with the extended and prepared protocols, through the pool. */
    @Test
    void psqlAndPgbenchThroughThePool() throws Exception {
        PlainPostgres.asPostgres(
                PGBENCH,
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(pgPort),
                "-U",
                "postgres",
                "-i",
                "-s",
                "1",
                "-q",
                "postgres");
        try (Connection c = direct();
                Statement st = c.createStatement()) {
            st.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO alice");
        }
        assertThat(fortyTwo()).isEqualTo("42");
        for (String mode : new String[] {"simple", "extended", "prepared"})
            assertThat(pgbench(mode, 4, false)).as(mode).contains("number of transactions actually processed: 200/200");
        // the other pooling modes, by a per-user setting: select-only in statement mode (its
        // transactions are single statements), TPC-B in session mode
        try {
            for (PoolConfig.Mode m : new PoolConfig.Mode[] {PoolConfig.Mode.STATEMENT, PoolConfig.Mode.SESSION}) {
                router.pool().reconfigure(withUser("alice", new PoolConfig.Settings(m, null, null, null, null), 5_000));
                assertThat(fortyTwo()).as(m.name()).isEqualTo("42");
                for (String protocol : new String[] {"extended", "prepared"})
                    assertThat(pgbench(protocol, 2, m == PoolConfig.Mode.STATEMENT))
                            .as(m + " " + protocol)
                            .contains("number of transactions actually processed: 100/100");
            }
        } finally {
            router.pool().reconfigure(poolConfig);
        }
    }

    /** {@code bin} (psql or pgbench) with the options that reach the pool as alice. */
    private static List<String> asAlice(String bin) {
        return new ArrayList<>(List.of(bin, "-h", "127.0.0.1", "-p", String.valueOf(pool), "-U", "alice"));
    }

    /** psql through the pool as alice: SELECT 40 + 2. */
    private static String fortyTwo() throws Exception {
        List<String> cmd = asAlice(PSQL);
        cmd.addAll(List.of("-d", "postgres", "-Atc", "SELECT 40 + 2"));
        return run(cmd.toArray(new String[0]));
    }

    /**
     * pgbench through the pool as alice, 50 transactions per client, select-only when {@code
     * selectOnly}. One thread per client: pgbench -M prepared prepares synchronously, and a thread
     * blocked preparing for one client would stall its other client inside a transaction holding
     * one of the two servers (a deadlock PgBouncer has as well).
     */
    private static String pgbench(String protocol, int clients, boolean selectOnly) throws Exception {
        List<String> cmd = asAlice(PGBENCH);
        cmd.addAll(List.of(
                "-n", "-M", protocol, "-c", String.valueOf(clients), "-j", String.valueOf(clients), "-t", "50"));
        if (selectOnly) cmd.add("-S");
        cmd.add("postgres");
        return run(cmd.toArray(new String[0]));
    }

    // ------------------------------------------------------------------ the admin console

    /** psql on the console as {@code user}: [exit code, output]. */
    private static String[] console(String user, String password, String command) throws Exception {
        ProcessBuilder p = new ProcessBuilder(
                        PSQL, "-h", "127.0.0.1", "-p", String.valueOf(pool), "-U", user, "-d", "pgha", "-c", command)
                .redirectErrorStream(true);
        p.environment().clear();
        p.environment().put("PGPASSWORD", password);
        p.environment().put("PGSSLMODE", "disable");
        Process run = p.start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new String[] {String.valueOf(run.exitValue()), out};
    }

    private static String admin(String command) throws Exception {
        String[] r = console("alice", "alice-pw", command);
        assertThat(r[0]).as(command + ": " + r[1]).isEqualTo("0");
        return r[1];
    }

    /**
     * psql on the virtual database pgha: SHOW answers with result sets; a stats user may only SHOW; a
     * user in neither list, and an unknown command, are refused with the reason.
     */
    @Test
    void theAdminConsoleAnswersPsql() throws Exception {
        try (Connection held = pooled("alice", "alice-pw", "")) {
            held.setAutoCommit(false);
            one(held, "SELECT 1"); // holds a server: active in SHOW CLIENTS, SERVERS and POOLS
            assertThat(admin("SHOW POOLS")).contains("database", "cl_active", "sv_idle", "primary", "transaction");
            assertThat(admin("SHOW CLIENTS")).contains("alice", "active", "127.0.0.1", "console");
            assertThat(admin("SHOW SERVERS")).contains("node1", "primary", "active");
            held.commit();
        }
        assertThat(admin("SHOW STATS")).contains("total_xact_count", "postgres");
        assertThat(admin("show config;")).contains("pool_size", "load_balance", "SIGHUP", "restart");
        assertThat(admin("SHOW LISTS")).contains("used_clients", "free_servers");
        assertThat(admin("SHOW VERSION")).contains("pgha");
        assertThat(admin("SHOW HELP")).contains("WAIT_CLOSE");
        assertThat(console("carol", "carol-pw", "SHOW POOLS")[0])
                .as("a stats user may SHOW")
                .isEqualTo("0");
        assertThat(console("carol", "carol-pw", "PAUSE")[1]).contains("PAUSE needs an admin user");
        assertThat(console("eve", "eve-pw", "SHOW POOLS")[1]).contains("may not use the admin console");
        assertThat(console("alice", "alice-pw", "DROP TABLE t")[1])
                .contains("unknown command 'DROP'; SHOW HELP lists the commands");
        assertThat(console("alice", "wrong", "SHOW POOLS")[1]).contains("password authentication failed");
    }

    /**
     * PAUSE answers once the transaction in flight has ended (and closes the servers); a transaction
     * begun meanwhile waits, and runs after RESUME.
     */
    @Test
    void pauseWaitsForTransactionsInFlightAndHoldsNewOnesUntilResume() throws Exception {
        try (Connection inFlight = pooled("alice", "alice-pw", "");
                Connection later = pooled("alice", "alice-pw", "")) {
            inFlight.setAutoCommit(false);
            one(inFlight, "SELECT 1");
            CompletableFuture<String> pause = CompletableFuture.supplyAsync(() -> {
                try {
                    return admin("PAUSE postgres");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            org.awaitility.Awaitility.await()
                    .during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !pause.isDone());
            inFlight.commit();
            assertThat(pause.get(30, TimeUnit.SECONDS)).contains("PAUSE");
            assertThat(router.pool().pools().get("postgres/alice")[1])
                    .as("servers closed once paused")
                    .isZero();
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return one(later, "SELECT 'after resume'");
                } catch (SQLException e) {
                    throw new RuntimeException(e);
                }
            });
            org.awaitility.Awaitility.await()
                    .during(Duration.ofMillis(500))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !waiting.isDone());
            admin("RESUME");
            assertThat(waiting.get(30, TimeUnit.SECONDS)).isEqualTo("after resume");
        } finally {
            admin("RESUME");
        }
    }

    /** KILL disconnects the clients of one database; RECONNECT retires servers, WAIT_CLOSE answers once they are closed. */
    @Test
    void killReconnectAndWaitClose() throws Exception {
        try (Connection there = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pool
                        + "/other?user=alice&password=alice-pw&connectTimeout=20&socketTimeout=60");
                Connection here = pooled("alice", "alice-pw", "")) {
            one(there, "SELECT 1");
            one(here, "SELECT 1");
            assertThat(admin("KILL other")).contains("1 client(s) disconnected");
            assertThatThrownBy(() -> one(there, "SELECT 2"))
                    .isInstanceOfSatisfying(
                            SQLException.class,
                            e -> assertThat(e.getMessage())
                                    .satisfiesAnyOf(
                                            m -> assertThat(m).contains("KILL on the admin console"),
                                            m -> assertThat(m).contains("I/O error")));
            assertThat(one(here, "SELECT 'still here'"))
                    .as("another database's client")
                    .isEqualTo("still here");
            here.setAutoCommit(false);
            one(here, "SELECT 1");
            admin("RECONNECT postgres");
            CompletableFuture<String> waitClose = CompletableFuture.supplyAsync(() -> {
                try {
                    return admin("WAIT_CLOSE postgres");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            org.awaitility.Awaitility.await()
                    .during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !waitClose.isDone());
            here.commit();
            assertThat(waitClose.get(30, TimeUnit.SECONDS)).contains("WAIT_CLOSE");
            assertThat(one(here, "SELECT 'new server'")).isEqualTo("new server");
        }
    }

    /**
     * auth_query: a user the auth file does not have is looked up on the primary as auth_user
     * (through a SECURITY DEFINER function), then authenticated with SCRAM against the verifier
     * found, and logged in to PostgreSQL with the recovered key; a wrong password and an unknown
     * user are refused alike.
     */
    @Test
    void authQueryLooksUpUsersTheFileDoesNotHave() throws Exception {
        assertThatThrownBy(() -> pooled("gina", "gina-pw", "").close())
                .hasMessageContaining("password authentication failed");
        try {
            router.pool()
                    .reconfigure(poolConfig.withAdmin(new PoolConfig.Admin(
                            List.of("alice"), List.of("carol"), "carol", "SELECT * FROM public.pgha_lookup($1)")));
            try (Connection c = pooled("gina", "gina-pw", "")) {
                assertThat(one(c, "SELECT current_user")).isEqualTo("gina");
            }
            assertThatThrownBy(() -> pooled("gina", "wrong", "").close())
                    .hasMessageContaining("password authentication failed for user \"gina\"");
            assertThatThrownBy(() -> pooled("nobody", "x", "").close())
                    .hasMessageContaining("password authentication failed for user \"nobody\"");
            try (Connection c = pooled("alice", "alice-pw", "")) {
                assertThat(one(c, "SELECT current_user"))
                        .as("the file's users as before")
                        .isEqualTo("alice");
            }
        } finally {
            router.pool().reconfigure(poolConfig);
        }
    }

    private static PoolConfig withUser(String user, PoolConfig.Settings settings, long reserveTimeoutMs) {
        return poolConfig.withPools(
                new PoolConfig.Pools(0, 0, reserveTimeoutMs, java.util.Map.of(), java.util.Map.of(user, settings)));
    }

    /** Server connections of {@code user} on the first server, counted by PostgreSQL. */
    private static int backendsOf(String user) throws SQLException {
        try (Connection c = direct()) {
            return Integer.parseInt(one(c, "SELECT count(*) FROM pg_stat_activity WHERE usename = '" + user + "'"));
        }
    }

    /**
     * auth_type trust (PgBouncer's): no password is asked, a wrong one does not matter, but a user
     * missing from the auth file is refused; the server login still uses the file's secret.
     */
    @Test
    void trustAsksNoPasswordButOnlyLetsInTheUsersOfTheAuthFile() throws Exception {
        PoolConfig trust = new PoolConfig(
                FreePorts.one(),
                PoolConfig.Mode.TRANSACTION,
                "trust",
                usersFile.toString(),
                2,
                50,
                600_000,
                3_600_000,
                60_000);
        Router r = PoolFixtures.router("r-trust", dcs, trust, null, null, "node1");
        try {
            String url =
                    "jdbc:postgresql://127.0.0.1:" + r.pooledAddress().getPort() + "/postgres?connectTimeout=20&user=";
            try (Connection c = DriverManager.getConnection(url + "carol&password=not-carols")) {
                assertThat(one(c, "SELECT current_user")).isEqualTo("carol");
            }
            assertThatThrownBy(() -> DriverManager.getConnection(url + "mallory&password=x"))
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28000"))
                    .hasMessageContaining("no such user \"mallory\" in the router's auth file");
        } finally {
            r.close();
        }
    }

    /**
     * Statement mode (here carol's, by a per-user setting): statements, prepared statements and
     * multi-statement queries run, but a transaction block (here a driver with autocommit off) is
     * rolled back and the client disconnected with an error naming the mode, before anything it
     * meant to run inside the transaction runs on its own. Other users keep transaction mode.
     */
    @Test
    void statementModeRefusesTransactionBlocksAndRollsThemBack() throws Exception {
        try {
            router.pool()
                    .reconfigure(withUser(
                            "carol",
                            new PoolConfig.Settings(PoolConfig.Mode.STATEMENT, null, null, null, null),
                            5_000));
            try (Connection c = pooled("carol", "carol-pw", "&prepareThreshold=1");
                    Connection a = pooled("alice", "alice-pw", "")) {
                assertThat(one(c, "SELECT 1")).isEqualTo("1");
                try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO t VALUES (-7); DELETE FROM t WHERE id = -7"); // one implicit transaction
                }
                c.setAutoCommit(false);
                assertThatThrownBy(() -> {
                            try (Statement st = c.createStatement()) {
                                st.execute("INSERT INTO t VALUES (-42)");
                            }
                        })
                        .isInstanceOfSatisfying(
                                SQLException.class,
                                e -> assertThat(e.getSQLState()).isEqualTo("0A000"))
                        .hasMessageContaining("transaction blocks are not allowed in statement mode");
                assertThat(c.isValid(5)).as("disconnected").isFalse();
                try (Connection d = direct()) {
                    assertThat(one(d, "SELECT count(*) FROM t WHERE id = -42"))
                            .as("rolled back")
                            .isEqualTo("0");
                }
                try (Connection again = pooled("carol", "carol-pw", "&prepareThreshold=1");
                        PreparedStatement ps = again.prepareStatement("SELECT ?::int + 1")) {
                    for (int i = 0; i < 3; i++) {
                        ps.setInt(1, i);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            assertThat(rs.getInt(1)).isEqualTo(i + 1);
                        }
                    }
                }
                assertThat(admin("SHOW POOLS")).contains("statement");
                a.setAutoCommit(false);
                one(a, "SELECT 1");
                a.commit(); // alice stays in transaction mode
            }
        } finally {
            router.pool().reconfigure(poolConfig);
        }
    }

    /**
     * A per-user pool_size of 1: a second client waits while the first holds the server in a
     * transaction, until the first commits. With reserve_pool_size 1 it gets a reserve connection
     * once it has waited reserve_pool_timeout, and SHOW POOLS counts it.
     */
    @Test
    void perUserPoolSizeAndTheReservePool() throws Exception {
        try {
            router.pool().reconfigure(withUser("carol", new PoolConfig.Settings(null, 1, null, 0, null), 300));
            admin("RECONNECT");
            try (Connection first = pooled("carol", "carol-pw", "")) {
                first.setAutoCommit(false);
                one(first, "SELECT 1");
                CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> {
                    try (Connection c = pooled("carol", "carol-pw", "")) {
                        return one(c, "SELECT 2");
                    } catch (SQLException e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
                // no second server for carol (pool_size 1): the second client waits while the first holds it
                await().during(Duration.ofMillis(1500))
                        .atMost(Duration.ofSeconds(5))
                        .until(() -> !second.isDone());
                first.commit();
                assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo("2");
            }
            router.pool().reconfigure(withUser("carol", new PoolConfig.Settings(null, 1, null, 1, null), 300));
            try (Connection first = pooled("carol", "carol-pw", "")) {
                first.setAutoCommit(false);
                one(first, "SELECT 1");
                try (Connection second = pooled("carol", "carol-pw", "")) {
                    assertThat(one(second, "SELECT 2"))
                            .as("on a reserve connection")
                            .isEqualTo("2");
                }
                String row = admin("SHOW POOLS")
                        .lines()
                        .filter(l -> l.contains("carol") && l.contains("primary"))
                        .findFirst()
                        .orElseThrow();
                String[] cells = row.split("\\|");
                assertThat(cells[cells.length - 2].strip())
                        .as("pool_size in " + row)
                        .isEqualTo("1");
                assertThat(Integer.parseInt(cells[cells.length - 1].strip()))
                        .as("reserve_used in " + row)
                        .isPositive();
                first.commit();
            }
        } finally {
            router.pool().reconfigure(poolConfig);
        }
    }

    /**
     * min_pool_size keeps server connections open for a pool a client has used, also past
     * server_idle_timeout, which closes the ones beyond it.
     */
    @Test
    void minPoolSizeKeepsServersOpenPastTheIdleTimeout() throws Exception {
        PoolConfig quick = new PoolConfig(
                        poolConfig.port(),
                        poolConfig.mode(),
                        poolConfig.authType(),
                        poolConfig.authFile(),
                        3,
                        poolConfig.maxClientConn(),
                        1_000,
                        poolConfig.serverLifetimeMs(),
                        poolConfig.queryWaitTimeoutMs())
                .withAdmin(poolConfig.admin());
        try {
            admin("RECONNECT");
            router.pool()
                    .reconfigure(quick.withPools(new PoolConfig.Pools(
                            0,
                            0,
                            5_000,
                            java.util.Map.of(),
                            java.util.Map.of("carol", new PoolConfig.Settings(null, null, 2, null, null)))));
            try (Connection c = pooled("carol", "carol-pw", "")) {
                one(c, "SELECT 1");
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> backendsOf("carol") == 2);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> backendsOf("carol") == 2);
            // without min_pool_size the idle timeout closes them all
            router.pool().reconfigure(quick);
            await().atMost(Duration.ofSeconds(10)).until(() -> backendsOf("carol") == 0);
        } finally {
            router.pool().reconfigure(poolConfig);
        }
    }

    /** RELOAD (and SIGHUP, through reconfigure) read the auth file again: a user added to it can log in. */
    @Test
    void reloadReadsTheAuthFileAgain() throws Exception {
        String before = Files.readString(usersFile);
        try {
            assertThatThrownBy(() -> pooled("dave", "dave-pw", "").close())
                    .hasMessageContaining("password authentication failed");
            Files.writeString(usersFile, before + "\"dave\" \"dave-pw\"\n");
            admin("RELOAD");
            try (Connection c = pooled("dave", "dave-pw", "")) {
                assertThat(one(c, "SELECT current_user")).isEqualTo("dave");
            }
        } finally {
            Files.writeString(usersFile, before);
            router.pool().reconfigure(poolConfig);
        }
    }

    /**
     * The limits (applied by reconfigure, as SIGHUP does): clients per address, connection attempts
     * per second, and clients that never authenticate, which are also dropped after
     * client_login_timeout. A change of port is reported as needing a restart.
     */
    @Test
    void limitsRefuseFloodsWithTheReason() throws Exception {
        try {
            assertThat(router.pool().reconfigure(poolConfig.withLimits(new PoolConfig.Limits(2, 0, 100, 60_000))))
                    .isEmpty();
            try (Connection a = pooled("alice", "alice-pw", "");
                    Connection b = pooled("alice", "alice-pw", "")) {
                assertThatThrownBy(() -> pooled("alice", "alice-pw", "").close())
                        .hasMessageContaining("too many clients from 127.0.0.1 (max_client_conn_per_address 2)");
            }
            router.pool().reconfigure(poolConfig.withLimits(new PoolConfig.Limits(0, 3, 100, 60_000)));
            // the two clients above are gone (their close is seen on the pool's loop)
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> router.pool().clients() == 0);
            List<java.net.Socket> flood = new ArrayList<>();
            int refused = 0;
            try {
                for (int i = 0; i < 10; i++) {
                    java.net.Socket s = new java.net.Socket("127.0.0.1", pool);
                    flood.add(s);
                }
                for (java.net.Socket s : flood) {
                    s.setSoTimeout(300);
                    try {
                        String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                        if (answer.contains("too many connection attempts")) refused++;
                    } catch (java.net.SocketTimeoutException e) {
                        // admitted: it waits for a startup packet
                    }
                }
            } finally {
                for (java.net.Socket s : flood) s.close();
            }
            assertThat(refused).as("of 10 attempts at once, with 3 a second").isGreaterThanOrEqualTo(4);
            router.pool().reconfigure(poolConfig.withLimits(new PoolConfig.Limits(0, 0, 1, 700)));
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> router.pool().clients() == 0);
            try (java.net.Socket silent = new java.net.Socket("127.0.0.1", pool);
                    java.net.Socket second = new java.net.Socket("127.0.0.1", pool)) {
                second.setSoTimeout(10_000);
                assertThat(new String(second.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                        .contains("too many clients still authenticating (max_unauthenticated 1)");
                silent.setSoTimeout(10_000);
                assertThat(new String(silent.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                        .as("dropped after client_login_timeout")
                        .contains("canceling authentication due to timeout");
            }
            PoolConfig moved = new PoolConfig(
                    poolConfig.port() + 1,
                    poolConfig.mode(),
                    poolConfig.authType(),
                    poolConfig.authFile(),
                    poolConfig.poolSize(),
                    poolConfig.maxClientConn(),
                    poolConfig.serverIdleTimeoutMs(),
                    poolConfig.serverLifetimeMs(),
                    poolConfig.queryWaitTimeoutMs());
            assertThat(router.pool().reconfigure(moved)).containsExactly("router.pool.port");
        } finally {
            router.pool().reconfigure(poolConfig);
        }
    }

    private static String run(String... cmd) throws Exception {
        ProcessBuilder p = new ProcessBuilder(cmd).redirectErrorStream(true);
        p.environment().put("PGPASSWORD", "alice-pw");
        p.environment().put("PGSSLMODE", "prefer");
        Process run = p.start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).as(out).isZero();
        return out;
    }
}
