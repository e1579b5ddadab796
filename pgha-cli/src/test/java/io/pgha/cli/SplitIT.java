package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.PoolConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Role;
import io.pgha.router.Router;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.StubDcs;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pooled listener's read/write split in front of a real PostgreSQL 15 primary and two real
 * streaming standbys, one of them slowed on purpose ({@code recovery_min_apply_delay}). Reads that
 * only read go to the standbys, everything else to the primary; with read-your-writes a client never
 * reads data older than its own last commit, and without it the same load does (which shows that the
 * causality checker can fail).
 */
class SplitIT {
    private static PlainPostgres pg;
    private static Path own;
    private static int primaryPort;
    private static int fastPort;
    private static int slowPort;
    private static StubDcs dcs;
    /** load_balance with read-your-writes (and the commit token). */
    private static Router ryw;
    /** load_balance without read-your-writes. */
    private static Router plain;

    @BeforeAll
    static void start() throws Exception {
        pg = PlainPostgres.in("pgha-split-it");
        Path primary = pg.dir().resolve("primary");
        primaryPort = FreePorts.one();
        pg.initdb(primary);
        PlainPostgres.prependHba(primary, "host all alice 127.0.0.1/32 scram-sha-256\n");
        pg.start(primary, primaryPort, true, "max_connections", "60");
        String verifier;
        try (Connection c = direct(primaryPort);
                Statement st = c.createStatement()) {
            st.execute("CREATE ROLE alice LOGIN PASSWORD 'alice-pw'");
            st.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
            st.execute("CREATE SEQUENCE s");
            st.execute("INSERT INTO t VALUES (-2, 'locked')");
            st.execute("GRANT ALL ON t, s TO alice");
            try (ResultSet rs = st.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = 'alice'")) {
                rs.next();
                verifier = rs.getString(1);
            }
        }
        fastPort = standby("fast");
        slowPort = standby("slow", "recovery_min_apply_delay", "600ms");
        own = PoolFixtures.ownDirectory("pgha-split-it-files");
        Path users = own.resolve("users.txt");
        Files.writeString(users, "\"alice\" \"" + verifier + "\"\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        dcs = new StubDcs();
        dcs.set(view());
        ryw = router(users, new PoolConfig.Split(true, true, 3000, true, Map.of()));
        plain = router(users, new PoolConfig.Split(true, false, 0, false, Map.of()));
    }

    /** A standby of the primary made by pg_basebackup -R, started with {@code settings}; its port. */
    private static int standby(String name, String... settings) throws Exception {
        Path data = pg.dir().resolve(name);
        PlainPostgres.asPostgres(
                PlainPostgres.BIN + "pg_basebackup",
                "-D",
                data.toString(),
                "-R",
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(primaryPort),
                "-U",
                "postgres",
                "-X",
                "stream");
        int port = FreePorts.one();
        pg.start(data, port, true, settings);
        return port;
    }

    private static Router router(Path users, PoolConfig.Split split) throws Exception {
        PoolConfig pc = new PoolConfig(
                        FreePorts.one(),
                        PoolConfig.Mode.TRANSACTION,
                        "scram-sha-256",
                        users.toString(),
                        4,
                        100,
                        600_000,
                        3_600_000,
                        60_000)
                .withSplit(split);
        return PoolFixtures.router("r-" + split.readYourWrites(), dcs, pc, null, null, "primary");
    }

    private static ClusterState view() {
        return PoolFixtures.view(
                "primary",
                PoolFixtures.member("primary", primaryPort, Role.PRIMARY),
                PoolFixtures.member("fast", fastPort, Role.STANDBY),
                PoolFixtures.member("slow", slowPort, Role.STANDBY));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (ryw != null) ryw.close();
            if (plain != null) plain.close();
        } finally {
            try {
                if (pg != null) pg.stopAll();
            } finally {
                if (own != null) io.pgha.postgres.Directories.delete(own);
            }
        }
    }

    private static void await(java.util.concurrent.Callable<Boolean> c) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(c);
    }

    private static Connection direct(int port) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    }

    private static Connection pooled(Router r, String extra) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + r.pooledAddress().getPort()
                        + "/postgres?user=alice&password=alice-pw&connectTimeout=20&socketTimeout=20" + extra);
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Where a statement ran: "primary", "fast" or "slow", by the server's port. */
    private static String where(Connection c, String sql) throws SQLException {
        int port = Integer.parseInt(one(c, sql));
        return port == primaryPort ? "primary" : port == fastPort ? "fast" : port == slowPort ? "slow" : "?" + port;
    }

    @Test
    void readsGoToTheStandbysAndEverythingElseToThePrimary() throws Exception {
        try (Connection c = pooled(plain, "&prepareThreshold=1")) {
            Set<String> reads = new HashSet<>();
            for (int i = 0; i < 6; i++) reads.add(where(c, "SELECT inet_server_port()"));
            assertThat(reads).as("plain reads, in turn").containsExactlyInAnyOrder("fast", "slow");
            try (PreparedStatement ps = c.prepareStatement("SELECT inet_server_port() + ?")) {
                Set<String> prepared = new HashSet<>();
                for (int i = 0; i < 4; i++) {
                    ps.setInt(1, 0);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        int port = rs.getInt(1);
                        prepared.add(port == fastPort ? "fast" : port == slowPort ? "slow" : "primary");
                    }
                }
                assertThat(prepared)
                        .as("server-side prepared reads (extended protocol)")
                        .containsExactlyInAnyOrder("fast", "slow");
            }
            assertThat(where(c, "SELECT inet_server_port() FROM (SELECT nextval('s')) x"))
                    .as("nextval")
                    .isEqualTo("primary");
            assertThat(where(c, "SELECT inet_server_port() FROM t WHERE id = -2 FOR UPDATE"))
                    .as("a locking clause")
                    .isEqualTo("primary");
            assertThat(where(c, "/* pgha:primary */ SELECT inet_server_port()"))
                    .as("a hint")
                    .isEqualTo("primary");
            assertThat(where(c, "WITH x AS (INSERT INTO t VALUES (-1) RETURNING id) SELECT inet_server_port() FROM x"))
                    .as("a CTE that writes")
                    .isEqualTo("primary");
            c.setAutoCommit(false);
            assertThat(where(c, "SELECT inet_server_port()"))
                    .as("a read in a read-write transaction")
                    .isEqualTo("primary");
            c.commit();
            c.setReadOnly(true);
            String first = where(c, "SELECT inet_server_port()");
            assertThat(first).as("a read-only transaction (BEGIN READ ONLY)").isIn("fast", "slow");
            assertThat(where(c, "SELECT inet_server_port()"))
                    .as("stays on its standby")
                    .isEqualTo(first);
            c.commit();
        }
        assertThat(plain.pool().reads()[0]).isGreaterThan(0);
    }

    /**
     * A read whose standby backend is terminated before it answers (as when a standby stops) runs
     * again where reads go: the client gets its row and no error, and the retry is counted. Without
     * the retry the client would get 57P01.
     */
    @Test
    void aReadWhoseServerGoesAwayBeforeAnsweringRunsAgain() throws Exception {
        long before = plain.pool().readsRetried();
        try (Connection c = pooled(plain, "")) {
            java.util.concurrent.CompletableFuture<String> read =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return one(c, "SELECT pg_sleep(1.5)::text || 'slept ' || inet_server_port()");
                        } catch (SQLException e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    });
            await(() -> terminateSleeper(fastPort) + terminateSleeper(slowPort) > 0);
            String answer = read.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(answer).startsWith("slept ");
        }
        assertThat(plain.pool().readsRetried()).isGreaterThan(before);
    }

    /** Terminates the backends on the server at {@code port} that run the test's pg_sleep; how many. */
    private static int terminateSleeper(int port) throws SQLException {
        try (Connection c = direct(port)) {
            return Integer.parseInt(one(
                    c,
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE"
                            + " 'SELECT pg_sleep(1.5)%' AND pid <> pg_backend_pid()"));
        }
    }

    /**
     * Settings per database: the database {@code reports} weighs the standby {@code slow} 0 and
     * runs in statement mode, so its reads all go to {@code fast}; the database {@code postgres}
     * keeps the listener's weights and reads from both.
     */
    @Test
    void standbyWeightsPerDatabase() throws Exception {
        try (Connection c = direct(primaryPort);
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE reports");
        }
        PoolConfig before = plain.pool().config();
        try {
            plain.pool()
                    .reconfigure(before.withPools(new PoolConfig.Pools(
                            0,
                            0,
                            5_000,
                            Map.of(
                                    "reports",
                                    new PoolConfig.Settings(
                                            PoolConfig.Mode.STATEMENT, null, null, null, Map.of("slow", 0))),
                            Map.of())));
            await(() -> {
                try (Connection c = direct(fastPort)) {
                    return one(c, "SELECT count(*) FROM pg_database WHERE datname = 'reports'")
                            .equals("1");
                }
            });
            try (Connection reports = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                            + plain.pooledAddress().getPort()
                            + "/reports?user=alice&password=alice-pw&connectTimeout=20&socketTimeout=20");
                    Connection other = pooled(plain, "")) {
                Set<String> reads = new HashSet<>();
                for (int i = 0; i < 6; i++) reads.add(where(reports, "SELECT inet_server_port()"));
                assertThat(reads).as("reports: slow weighs 0").containsExactly("fast");
                Set<String> others = new HashSet<>();
                for (int i = 0; i < 6; i++) others.add(where(other, "SELECT inet_server_port()"));
                assertThat(others).as("postgres: the listener's weights").containsExactlyInAnyOrder("fast", "slow");
            }
        } finally {
            plain.pool().reconfigure(before);
        }
    }

    /**
     * min_pool_size keeps connections open in each standby's pool too, once a client has read
     * there (the standby pools are the split's; before, only the primary's pool was kept filled).
     */
    @Test
    void minPoolSizeKeepsStandbyPoolsFilled() throws Exception {
        PoolConfig before = plain.pool().config();
        try {
            plain.pool().reconfigure(before.withPools(new PoolConfig.Pools(3, 0, 5_000, Map.of(), Map.of())));
            try (Connection c = pooled(plain, "")) {
                Set<String> reads = new HashSet<>();
                for (int i = 0; i < 6; i++) reads.add(where(c, "SELECT inet_server_port()"));
                assertThat(reads).containsExactlyInAnyOrder("fast", "slow");
            }
            for (int port : new int[] {fastPort, slowPort}) {
                await(() -> {
                    try (Connection d = direct(port)) {
                        return Integer.parseInt(one(
                                        d,
                                        "SELECT count(*) FROM pg_stat_activity WHERE usename = 'alice'"
                                                + " AND backend_type = 'client backend'"))
                                >= 3;
                    }
                });
            }
        } finally {
            plain.pool().reconfigure(before);
        }
    }

    /**
     * The causality checker: sessions write a row and read it back at once through the split port,
     * while one standby applies WAL 600 ms late. With read-your-writes no read misses its own row;
     * without, the same load finds stale reads.
     */
    @Test
    void withReadYourWritesNoSessionReadsOlderThanItsOwnLastWriteAndWithoutItSomeDo() throws Exception {
        long[] before = ryw.pool().reads();
        assertThat(causality(ryw, 1)).as("stale reads with read-your-writes").isZero();
        long[] after = ryw.pool().reads();
        assertThat(after[0] - before[0]).as("reads that ran on standbys").isPositive();
        assertThat(causality(plain, 2))
                .as("stale reads without read-your-writes")
                .isPositive();
    }

    /** Four sessions, each writing 25 rows and reading each back at once; the stale reads. */
    private static int causality(Router r, int round) throws Exception {
        AtomicInteger stale = new AtomicInteger();
        List<CompletableFuture<Void>> sessions = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            int base = round * 100_000 + s * 1000;
            sessions.add(CompletableFuture.runAsync(() -> {
                try (Connection c = pooled(r, "&prepareThreshold=1");
                        PreparedStatement ins = c.prepareStatement("INSERT INTO t VALUES (?, 'x')");
                        PreparedStatement get = c.prepareStatement("SELECT count(*) FROM t WHERE id = ?")) {
                    for (int i = 0; i < 25; i++) {
                        ins.setInt(1, base + i);
                        ins.executeUpdate();
                        get.setInt(1, base + i);
                        try (ResultSet rs = get.executeQuery()) {
                            rs.next();
                            if (rs.getInt(1) != 1) stale.incrementAndGet();
                        }
                    }
                } catch (SQLException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (var f : sessions) f.get(120, TimeUnit.SECONDS);
        return stale.get();
    }

    /**
     * libpq clients through the split port: pgbench's select-only and TPC-B-like scripts in simple,
     * extended and prepared modes, and libpq pipelines (pgbench's \\startpipeline): a pipeline of
     * reads runs on a standby, one with a write in it on the primary, and nothing fails.
     */
    @Test
    void pgbenchAndLibpqPipelinesThroughTheSplitPort() throws Exception {
        PlainPostgres.asPostgres(
                PGBENCH,
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(primaryPort),
                "-U",
                "postgres",
                "-i",
                "-s",
                "1",
                "-q",
                "postgres");
        try (Connection c = direct(primaryPort);
                Statement st = c.createStatement()) {
            st.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO alice");
        }
        // pgbench's first look for its tables is a read: it may run on either standby
        for (int standby : new int[] {fastPort, slowPort})
            await(() -> {
                try (Connection c = direct(standby)) {
                    return one(c, "SELECT has_table_privilege('alice', 'pgbench_accounts', 'SELECT')")
                            .equals("t");
                } catch (SQLException e) {
                    return false;
                }
            });
        String port = String.valueOf(ryw.pooledAddress().getPort());
        long standbyReads = ryw.pool().reads()[0];
        for (String mode : new String[] {"simple", "extended", "prepared"}) {
            for (String script : new String[] {"select-only", "tpcb-like"}) {
                String out = pgbench(
                        "-h",
                        "127.0.0.1",
                        "-p",
                        port,
                        "-U",
                        "alice",
                        "-n",
                        "-M",
                        mode,
                        "-b",
                        script,
                        "-c",
                        "4",
                        "-j",
                        "4",
                        "-t",
                        "40",
                        "postgres");
                assertThat(out).as(mode + " " + script).contains("number of transactions actually processed: 160/160");
            }
        }
        assertThat(ryw.pool().reads()[0] - standbyReads)
                .as("select-only reads on standbys")
                .isGreaterThan(100);
        Path reads = own.resolve("pipeline-reads.sql");
        Files.writeString(
                reads,
                "\\set aid random(1, 100000)\n\\startpipeline\n"
                        + "SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n"
                        + "SELECT count(*) FROM pgbench_branches;\n"
                        + "SELECT inet_server_port();\n\\endpipeline\n");
        Path writes = own.resolve("pipeline-writes.sql");
        Files.writeString(
                writes,
                "\\set aid random(1, 100000)\n\\startpipeline\n"
                        + "SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n"
                        + "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"
                        + "SELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n\\endpipeline\n");
        for (String mode : new String[] {"extended", "prepared"}) {
            standbyReads = ryw.pool().reads()[0];
            String out = pgbench(
                    "-h",
                    "127.0.0.1",
                    "-p",
                    port,
                    "-U",
                    "alice",
                    "-n",
                    "-M",
                    mode,
                    "-f",
                    reads + "@1",
                    "-f",
                    writes + "@1",
                    "-c",
                    "4",
                    "-j",
                    "4",
                    "-t",
                    "40",
                    "postgres");
            assertThat(out).as("pipelines, " + mode).contains("number of transactions actually processed: 160/160");
            assertThat(ryw.pool().reads()[0] - standbyReads)
                    .as("pipelines of reads on standbys, " + mode)
                    .isPositive();
        }
    }

    private static final String PGBENCH = PlainPostgres.BIN + "pgbench";

    private static String pgbench(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(PGBENCH);
        cmd.addAll(List.of(args));
        ProcessBuilder p = new ProcessBuilder(cmd).redirectErrorStream(true);
        p.environment().clear();
        p.environment().put("PATH", "/usr/bin:/bin");
        p.environment().put("PGPASSWORD", "alice-pw");
        Process run = p.start();
        String out = new String(run.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).as(out).isZero();
        return out;
    }

    /**
     * With lsn_token each client is told its last commit position (ParameterStatus
     * pgha.commit_lsn); another session that passes it back with SET pgha.min_lsn reads at least
     * that far.
     */
    @Test
    void theCommitPositionTravelsToAnotherSessionAsAToken() throws Exception {
        try (Connection writer = pooled(ryw, "");
                Connection reader = pooled(ryw, "")) {
            for (int i = 0; i < 10; i++) {
                int id = 300_000 + i;
                try (Statement st = writer.createStatement()) {
                    st.executeUpdate("INSERT INTO t VALUES (" + id + ", 'token')");
                }
                String token = writer.unwrap(org.postgresql.PGConnection.class).getParameterStatus("pgha.commit_lsn");
                assertThat(token).as("the writer's token").matches("[0-9A-F]+/[0-9A-F]+");
                try (Statement st = reader.createStatement()) {
                    st.execute("SET pgha.min_lsn = '" + token + "'");
                }
                assertThat(one(reader, "SELECT count(*) FROM t WHERE id = " + id))
                        .as("the reader, with the writer's token")
                        .isEqualTo("1");
            }
        }
    }
}
