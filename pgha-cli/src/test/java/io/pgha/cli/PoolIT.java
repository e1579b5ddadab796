package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.PoolConfig;
import io.pgha.core.config.RouterConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;
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
import java.util.Map;
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

    @BeforeAll
    static void start() throws Exception {
        pg = PlainPostgres.in("pgha-pool-it");
        data = pg.dir().resolve("data");
        pgPort = FreePorts.one();
        pg.initdb(data);
        Path hba = data.resolve("pg_hba.conf");
        String before = Files.readString(hba);
        Files.writeString(
                hba, "host all alice,carol 127.0.0.1/32 scram-sha-256\nhost all bob 127.0.0.1/32 md5\n" + before);
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
        Files.writeString(
                data2.resolve("pg_hba.conf"),
                "host all alice 127.0.0.1/32 scram-sha-256\n" + Files.readString(data2.resolve("pg_hba.conf")));
        pg.start(data2, pgPort2, true, "max_connections", "20");
        try (Connection c = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + pgPort2 + "/postgres?user=postgres");
                Statement st = c.createStatement()) {
            st.execute("CREATE ROLE alice LOGIN PASSWORD '" + verifier + "'");
        }
        Path users = pg.dir().resolve("users.txt");
        Files.writeString(users, "\"alice\" \"" + verifier + "\"\n\"bob\" \"" + md5 + "\"\n\"carol\" \"carol-pw\"\n");
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
                60_000); // query_wait_timeout: generous, a loaded CI machine is slow (once 10 s was not enough for
        // pgbench)
        router = new Router(
                        "pool-it",
                        new RouterConfig(
                                        "r1",
                                        "127.0.0.1",
                                        0,
                                        0,
                                        1 << 24,
                                        true,
                                        5000,
                                        5000,
                                        RouterConfig.DEFAULT_MAX_MESSAGE_SIZE,
                                        null,
                                        null,
                                        "127.0.0.1",
                                        0)
                                .withPool(pc),
                        dcs)
                .start();
        pool = router.pooledAddress().getPort();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> "node1".equals(router.view().leader()));
    }

    /** node1 (the first server) and node2 (the second), {@code leader} holding the lease. */
    private static ClusterState view(String leader) {
        Member n1 = member("node1", pgPort, leader);
        Member n2 = member("node2", pgPort2, leader);
        return new ClusterState(
                "1", leader, Map.of("node1", n1, "node2", n2), DynamicConfig.DEFAULT, null, new Lsn(100), List.of());
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

    private static Member member(String name, int port, String leader) {
        Role role = name.equals(leader) ? Role.PRIMARY : Role.STANDBY;
        return new Member(
                name,
                "http://" + name,
                "127.0.0.1",
                port,
                role,
                MemberState.RUNNING,
                1,
                new Lsn(100),
                new Lsn(100),
                null,
                true,
                Tags.NONE,
                "",
                0);
    }

    @AfterAll
    static void stop() throws Exception {
        if (router != null) router.close();
        if (pg != null) pg.stopAll();
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
        assertThat(run(
                        PSQL,
                        "-h",
                        "127.0.0.1",
                        "-p",
                        String.valueOf(pool),
                        "-U",
                        "alice",
                        "-d",
                        "postgres",
                        "-Atc",
                        "SELECT 40 + 2"))
                .isEqualTo("42");
        for (String mode : new String[] {"simple", "extended", "prepared"}) {
            String out = run(
                    PGBENCH,
                    "-h",
                    "127.0.0.1",
                    "-p",
                    String.valueOf(pool),
                    "-U",
                    "alice",
                    "-n",
                    "-M",
                    mode,
                    "-c",
                    "4",
                    "-j",
                    "2",
                    "-t",
                    "50",
                    "postgres");
            assertThat(out).as(mode).contains("number of transactions actually processed: 200/200");
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
