package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.index;
import static io.pgha.cli.ClusterFixture.leader;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.RouterConfig;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.dcs.ZooKeeperDcs;
import io.pgha.router.Router;
import io.pgha.router.RouterApi;
import io.pgha.testkit.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The router in front of a real 3-node cluster (one ZooKeeper in this JVM, the router too): pgJDBC
 * and psql through both listeners, TLS, cancel, metrics, a switchover and a lost lease under
 * running clients.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RouterIT {
    private static final String PSQL = "/usr/lib/postgresql/15/bin/psql";
    private static EmbeddedZooKeeper zk;
    private static Path zkDir;
    private static Path tlsDir;
    private static LocalCluster cluster;
    private static ZooKeeperDcs routerDcs;
    private static Router router;
    private static RouterApi api;
    private static int rw;
    private static int ro;

    @BeforeAll
    static void start() throws Exception {
        zkDir = Files.createTempDirectory("pgha-router-zk");
        tlsDir = Files.createTempDirectory("pgha-router-tls");
        zk = EmbeddedZooKeeper.standalone(FreePorts.one(), zkDir);
        cluster = ClusterFixture.startOn(zk, "routed", 3);
        Process openssl = new ProcessBuilder(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-days",
                        "2",
                        "-subj",
                        "/CN=127.0.0.1",
                        "-addext",
                        "subjectAltName=IP:127.0.0.1",
                        "-keyout",
                        tlsDir.resolve("key.pem").toString(),
                        "-out",
                        tlsDir.resolve("cert.pem").toString())
                .redirectErrorStream(true)
                .start();
        assertThat(openssl.waitFor(60, TimeUnit.SECONDS) && openssl.exitValue() == 0)
                .as("openssl made a test certificate")
                .isTrue();
        int ports = FreePorts.block(3);
        RouterConfig cfg = new RouterConfig(
                "it-router",
                "127.0.0.1",
                ports,
                ports + 1,
                16L * 1024 * 1024,
                true,
                15_000,
                10_000,
                RouterConfig.DEFAULT_MAX_MESSAGE_SIZE,
                tlsDir.resolve("cert.pem").toString(),
                tlsDir.resolve("key.pem").toString(),
                "127.0.0.1",
                ports + 2);
        // the pooled listener, with the read/write split: the cluster trusts local logins, the
        // router asks its clients for SCRAM against the auth file's password
        Path users = tlsDir.resolve("users.txt");
        Files.writeString(users, "\"postgres\" \"pool-pw\"\n");
        Files.setPosixFilePermissions(users, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        cfg = cfg.withPool(new io.pgha.core.config.PoolConfig(
                        FreePorts.one(),
                        io.pgha.core.config.PoolConfig.Mode.TRANSACTION,
                        "scram-sha-256",
                        users.toString(),
                        10,
                        200,
                        600_000,
                        3_600_000,
                        60_000)
                .withSplit(new io.pgha.core.config.PoolConfig.Split(true, true, 200, false, Map.of())));
        routerDcs = ZooKeeperDcs.connect(zk.connectString(), "/pgha", "routed", 10_000);
        router = new Router("routed", cfg, routerDcs).start();
        api = new RouterApi(router, "127.0.0.1", ports + 2);
        rw = ports;
        ro = ports + 1;
        await().atMost(Duration.ofSeconds(10)).until(() -> router.view().leader() != null);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (api != null) api.close();
            if (router != null) router.close();
            if (routerDcs != null) routerDcs.close();
        } finally {
            ClusterFixture.stop(cluster, zk, zkDir);
            io.pgha.postgres.Directories.delete(tlsDir);
        }
    }

    private static Connection connect(int port, String extra) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres&connectTimeout=20" + extra);
    }

    /** [in recovery, server port] of the backend a new session on {@code port} reaches. */
    private static int[] where(int port) throws SQLException {
        try (Connection c = connect(port, "");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), inet_server_port()")) {
            rs.next();
            return new int[] {rs.getBoolean(1) ? 1 : 0, rs.getInt(2)};
        }
    }

    private static String psql(int port, String sslmode, String sql) throws Exception {
        Process p = new ProcessBuilder(
                        PSQL,
                        "host=127.0.0.1 port=" + port + " user=postgres dbname=postgres connect_timeout=20 sslmode="
                                + sslmode
                                + (sslmode.equals("verify-full") ? " sslrootcert=" + tlsDir.resolve("cert.pem") : ""),
                        "-Atc",
                        sql)
                .redirectErrorStream(true)
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim()
                + (p.exitValue() == 0 ? "" : " (exit " + p.exitValue() + ")");
    }

    @Test
    @Order(1)
    void jdbcAndPsqlReachThePrimaryOnReadWriteAndTheStandbysOnReadOnly() throws Exception {
        String leader = leader(cluster);
        int primaryPort = cluster.pgPort(index(leader));
        assertThat(where(rw)).containsExactly(0, primaryPort);
        Set<Integer> readers = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            int[] w = where(ro);
            assertThat(w[0]).as("read-only reaches a standby").isEqualTo(1);
            readers.add(w[1]);
        }
        assertThat(readers)
                .as("new read-only sessions spread over both standbys")
                .hasSize(2)
                .doesNotContain(primaryPort);
        assertThat(psql(rw, "disable", "SELECT pg_is_in_recovery()")).isEqualTo("f");
        assertThat(psql(ro, "disable", "SELECT pg_is_in_recovery()")).isEqualTo("t");
    }

    @Test
    @Order(2)
    void scramAndMd5AuthenticationPassThroughToPostgres() throws Exception {
        int primary = index(leader(cluster));
        try (Connection c = connect(rw, "");
                Statement st = c.createStatement()) {
            st.execute("CREATE ROLE scram_user LOGIN PASSWORD 'scram-secret'");
            st.execute("SET password_encryption = 'md5'");
            st.execute("CREATE ROLE md5_user LOGIN PASSWORD 'md5-secret'");
        }
        // pgha writes pg_hba.conf when it starts PostgreSQL; until the next start, these lines hold.
        PlainPostgres.prependHba(
                cluster.directory().resolve("node" + primary).resolve("data"),
                "host all scram_user 127.0.0.1/32 scram-sha-256\nhost all md5_user 127.0.0.1/32 md5\n");
        try (Connection c = connect(rw, "");
                Statement st = c.createStatement()) {
            st.execute("SELECT pg_reload_conf()");
        }
        String base = "jdbc:postgresql://127.0.0.1:" + rw + "/postgres?connectTimeout=20";
        try (Connection c = DriverManager.getConnection(base + "&user=scram_user&password=scram-secret");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_user")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("scram_user");
        }
        try (Connection c = DriverManager.getConnection(base + "&user=md5_user&password=md5-secret"
                        + "&sslmode=require&sslfactory=org.postgresql.ssl.NonValidatingFactory");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT current_user")) {
            rs.next();
            assertThat(rs.getString(1)).as("md5 over TLS to the router").isEqualTo("md5_user");
        }
        assertThatThrownBy(() -> DriverManager.getConnection(base + "&user=scram_user&password=wrong")
                        .close())
                .as("PostgreSQL's own refusal reaches the client")
                .isInstanceOfSatisfying(
                        SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
        ProcessBuilder p = new ProcessBuilder(
                        PSQL,
                        "host=127.0.0.1 port=" + rw + " user=scram_user dbname=postgres sslmode=require",
                        "-Atc",
                        "SELECT current_user")
                .redirectErrorStream(true);
        p.environment().put("PGPASSWORD", "scram-secret");
        Process run = p.start();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(run.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim())
                .isEqualTo("scram_user");
    }

    /**
     * SCRAM pass-through, with real clients on both sides: pgJDBC authenticates (with the password)
     * against pgha's ScramServer, which checks it against scram_user's verifier read from pg_authid;
     * the ClientKey recovered from that exchange then logs in to PostgreSQL 15 as scram_user, with no
     * password. md5_user logs in with the stored md5 hash alone.
     */
    @Test
    @Order(3) // after the test that creates scram_user and md5_user
    void scramPassThroughLogsInToPostgresWithTheRecoveredClientKey() throws Exception {
        int primaryPort = cluster.pgPort(index(leader(cluster)));
        String verifierText;
        String md5Hash;
        try (Connection c = connect(primaryPort, "");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN ('scram_user', 'md5_user') ORDER BY 1")) {
            rs.next();
            md5Hash = rs.getString(2);
            rs.next();
            verifierText = rs.getString(2);
        }
        io.pgha.wire.auth.ScramVerifier verifier = io.pgha.wire.auth.ScramVerifier.parse(verifierText);
        // a stand-in server that authenticates pgJDBC with SCRAM and then says it is ready
        java.util.concurrent.atomic.AtomicReference<byte[]> clientKey =
                new java.util.concurrent.atomic.AtomicReference<>();
        try (java.net.ServerSocket server =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> serving = CompletableFuture.runAsync(() -> {
                try (java.net.Socket s = server.accept()) {
                    var in = new java.io.DataInputStream(s.getInputStream());
                    var out = new java.io.DataOutputStream(s.getOutputStream());
                    in.readNBytes(in.readInt() - 4); // StartupMessage
                    io.pgha.wire.auth.ScramServer scram = new io.pgha.wire.auth.ScramServer(verifier);
                    byte[] mechs = "SCRAM-SHA-256\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                    out.writeByte('R');
                    out.writeInt(8 + mechs.length);
                    out.writeInt(10);
                    out.write(mechs);
                    out.flush();
                    assertThat(in.readUnsignedByte()).isEqualTo('p');
                    byte[] initial = in.readNBytes(in.readInt() - 4);
                    int nul = 0;
                    while (initial[nul] != 0) nul++;
                    byte[] first = java.util.Arrays.copyOfRange(initial, nul + 5, initial.length);
                    byte[] serverFirst = scram.clientFirst(first);
                    out.writeByte('R');
                    out.writeInt(8 + serverFirst.length);
                    out.writeInt(11);
                    out.write(serverFirst);
                    out.flush();
                    assertThat(in.readUnsignedByte()).isEqualTo('p');
                    byte[] serverFinal = scram.clientFinal(in.readNBytes(in.readInt() - 4));
                    out.writeByte('R');
                    out.writeInt(8 + serverFinal.length);
                    out.writeInt(12);
                    out.write(serverFinal);
                    out.writeByte('R');
                    out.writeInt(8);
                    out.writeInt(0);
                    for (String[] ps : new String[][] {
                        {"server_version", "15.0"},
                        {"client_encoding", "UTF8"},
                        {"DateStyle", "ISO, MDY"},
                        {"integer_datetimes", "on"},
                        {"standard_conforming_strings", "on"}
                    }) {
                        byte[] b = (ps[0] + "\0" + ps[1] + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                        out.writeByte('S');
                        out.writeInt(4 + b.length);
                        out.write(b);
                    }
                    out.writeByte('K');
                    out.writeInt(12);
                    out.writeInt(1);
                    out.writeInt(2);
                    out.writeByte('Z');
                    out.writeInt(5);
                    out.writeByte('I');
                    out.flush();
                    clientKey.set(scram.clientKey());
                    // pgJDBC's setup queries (if any) get an empty answer; until it closes
                    int type;
                    while ((type = in.read()) >= 0) {
                        in.readNBytes(in.readInt() - 4);
                        if (type == 'Q' || type == 'S') {
                            if (type == 'Q') {
                                out.writeByte('I'); // EmptyQueryResponse
                                out.writeInt(4);
                            }
                            out.writeByte('Z');
                            out.writeInt(5);
                            out.writeByte('I');
                            out.flush();
                        }
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            DriverManager.getConnection(
                            "jdbc:postgresql://127.0.0.1:" + server.getLocalPort()
                                    + "/postgres?user=scram_user&password=scram-secret&connectTimeout=20&socketTimeout=20&sslmode=disable&gssEncMode=disable")
                    .close();
            serving.get(30, TimeUnit.SECONDS);
        }
        assertThat(clientKey.get())
                .as("pgJDBC's proof checked against pg_authid's verifier")
                .hasSize(32);
        assertThat(loginAndAsk(
                        primaryPort,
                        io.pgha.wire.auth.BackendAuth.withScramKey("scram_user", clientKey.get(), verifier)))
                .isEqualTo("scram_user");
        assertThat(loginAndAsk(primaryPort, io.pgha.wire.auth.BackendAuth.withMd5Hash("md5_user", md5Hash)))
                .isEqualTo("md5_user");
        byte[] wrongKey = clientKey.get().clone();
        wrongKey[0] ^= 1;
        assertThatThrownBy(() -> io.pgha.wire.auth.BackendAuth.withScramKey("scram_user", wrongKey, verifier))
                .hasMessageContaining("does not belong");
    }

    /** Logs in to PostgreSQL over a plain socket with {@code auth}, and returns {@code SELECT current_user}. */
    private static String loginAndAsk(int port, io.pgha.wire.auth.BackendAuth auth) throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            var in = new java.io.DataInputStream(s.getInputStream());
            var out = new java.io.DataOutputStream(s.getOutputStream());
            byte[] params = ("user\0" + auth.user() + "\0database\0postgres\0\0")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.writeInt(8 + params.length);
            out.writeInt(0x30000);
            out.write(params);
            out.flush();
            while (true) {
                char type = (char) in.readUnsignedByte();
                byte[] body = in.readNBytes(in.readInt() - 4);
                if (type == 'E')
                    throw new AssertionError("refused: " + new String(body, java.nio.charset.StandardCharsets.UTF_8));
                if (type == 'R') {
                    byte[] answer = auth.answer(body);
                    if (answer != null) {
                        out.write(answer);
                        out.flush();
                    }
                }
                if (type == 'Z') break;
            }
            assertThat(auth.ok()).isTrue();
            byte[] q = "SELECT current_user\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.writeByte('Q');
            out.writeInt(4 + q.length);
            out.write(q);
            out.flush();
            String value = null;
            while (true) {
                char type = (char) in.readUnsignedByte();
                byte[] body = in.readNBytes(in.readInt() - 4);
                if (type == 'D') value = new String(body, 6, body.length - 6, java.nio.charset.StandardCharsets.UTF_8);
                if (type == 'Z') return value;
            }
        }
    }

    @Test
    @Order(3)
    void tlsIsTerminatedAtTheRouterWithItsCertificate() throws Exception {
        assertThat(psql(rw, "verify-full", "SELECT 'over tls'")).isEqualTo("over tls");
        try (Connection c = connect(rw, "&sslmode=require&sslfactory=org.postgresql.ssl.NonValidatingFactory");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            assertThat(rs.getBoolean(1)).isFalse();
        }
        assertThat(psql(ro, "disable", "SELECT 'plain'")).isEqualTo("plain");
    }

    /**
     * A client that asks for protocol 3.2 (PostgreSQL 18's libpq can) reaches PostgreSQL 15 through
     * the router, which answers with NegotiateProtocolVersion for 3.0; the session then works, with
     * the 4-byte cancel key of 3.0.
     */
    @Test
    @Order(4)
    void aProtocol32ClientIsNegotiatedDownByTheBackend() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", rw)) {
            s.setSoTimeout(20_000);
            var out = new java.io.DataOutputStream(s.getOutputStream());
            var in = new java.io.DataInputStream(s.getInputStream());
            byte[] params =
                    "user\0postgres\0database\0postgres\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.writeInt(8 + params.length);
            out.writeInt(0x30002);
            out.write(params);
            out.flush();
            List<Character> types = new ArrayList<>();
            int negotiated = -1;
            int keyLength = -1;
            while (true) {
                char type = (char) in.readUnsignedByte();
                byte[] body = in.readNBytes(in.readInt() - 4);
                types.add(type);
                if (type == 'v') negotiated = java.nio.ByteBuffer.wrap(body).getInt();
                if (type == 'K') keyLength = body.length - 4;
                if (type == 'Z' || type == 'E') break;
            }
            assertThat(types).as("messages").startsWith('v').endsWith('Z');
            assertThat(negotiated).as("PostgreSQL 15 offers protocol 3.0").isEqualTo(0x30000);
            assertThat(keyLength).isEqualTo(4);
            byte[] q = "SELECT 42\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.writeByte('Q');
            out.writeInt(4 + q.length);
            out.write(q);
            out.flush();
            List<Character> answer = new ArrayList<>();
            while (true) {
                char type = (char) in.readUnsignedByte();
                in.readNBytes(in.readInt() - 4);
                answer.add(type);
                if (type == 'Z') break;
            }
            assertThat(answer).containsExactly('T', 'D', 'C', 'Z');
        }
    }

    @Test
    @Order(4)
    void aCancelRequestThroughTheRouterCancelsTheQuery() throws Exception {
        try (Connection c = connect(rw, "");
                Statement st = c.createStatement()) {
            CompletableFuture<Void> cancel = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(700);
                    st.cancel();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> st.execute("SELECT pg_sleep(60)"))
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("57014"));
            assertThat(System.nanoTime() - t0).as("cancelled, not finished").isLessThan(TimeUnit.SECONDS.toNanos(30));
            cancel.join();
            try (ResultSet rs = st.executeQuery("SELECT 1")) {
                assertThat(rs.next()).as("the session goes on after a cancel").isTrue();
            }
        }
    }

    @Test
    @Order(5)
    void metricsAndPghaListShowTheRouter() throws Exception {
        try (Connection held = connect(rw, "")) {
            String leader = leader(cluster);
            String metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (rw + 2) + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            assertThat(metrics)
                    .contains("pgha_router_sessions{backend=\"" + leader + "\",listener=\"read-write\"} 1.0")
                    .contains("pgha_router_routing_decisions_total")
                    .contains("pgha_router_bytes_total{direction=\"server_to_client\"}");
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(
                                    pgha("list", "-c", cluster.config(1).toString())
                                            .out())
                            .contains("it-router", "127.0.0.1:" + rw, leader + ":1"));
            assertThat(pgha("list", "-c", cluster.config(1).toString(), "--format", "json")
                            .out())
                    .contains("\"routers\"", "\"it-router\"");
        }
    }

    @Test
    @Order(6)
    void aSwitchoverLetsTheOpenTransactionFinishAndNewSessionsWaitInsteadOfFailing() throws Exception {
        try (Connection setup = connect(rw, "");
                Statement st = setup.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS routed (id bigserial PRIMARY KEY, who text)");
        }
        String old = leader(cluster);
        String target = cluster.state().sortedMembers().keySet().stream()
                .filter(n -> !n.equals(old))
                .findFirst()
                .orElseThrow();
        // When did this router learn that the old primary drains? Sessions it routed before that are
        // "already open" (until then the old primary checkpoints and still takes writes).
        AtomicLong sawSwitchover = new AtomicLong(Long.MAX_VALUE);
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (watching.get() && sawSwitchover.get() == Long.MAX_VALUE) {
                var fr = router.view().failover();
                if (fr != null && fr.draining()) sawSwitchover.set(System.nanoTime());
                Thread.onSpinWait();
            }
        });
        watcher.start();
        Connection open = connect(rw, "");
        open.setAutoCommit(false);
        try (Statement st = open.createStatement()) {
            st.execute("INSERT INTO routed (who) VALUES ('open transaction')");
        }
        NewSessions writer = new NewSessions(rw).start();
        try {
            await().until(() -> writer.ok.get() >= 5);
            CompletableFuture<ClusterFixture.Run> switchover = CompletableFuture.supplyAsync(
                    () -> pgha("switchover", "-c", cluster.config(1).toString(), "--to", target, "--force"));
            await().atMost(Duration.ofSeconds(10)).until(() -> sawSwitchover.get() != Long.MAX_VALUE);
            Thread.sleep(300);
            open.commit(); // the old primary waited for this transaction
            assertThatThrownBy(() -> open.createStatement().execute("SELECT 1"))
                    .as("at its next use, the idle session finds itself closed by the router")
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isIn("57P01", "08006", "08003"));
            assertThat(switchover.get(60, TimeUnit.SECONDS).exitCode()).isZero();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> target.equals(router.view().leader()));
            int before = writer.ok.get();
            await().atMost(Duration.ofSeconds(30)).until(() -> writer.ok.get() >= before + 10);
        } finally {
            writer.close();
            watching.set(false);
            open.close();
        }
        List<String> lateErrors = writer.errorsOfSessionsStartedAfter(sawSwitchover.get());
        assertThat(lateErrors)
                .as("new sessions during the switchover wait, they do not fail")
                .isEmpty();
        assertThat(where(rw)).containsExactly(0, cluster.pgPort(index(target)));
        try (Connection c = connect(rw, "");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM routed WHERE who = 'open transaction'")) {
            rs.next();
            assertThat(rs.getLong(1))
                    .as("the transaction open at the switchover committed and survived")
                    .isEqualTo(1);
        }
        try (Connection c = connect(rw, "");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM routed WHERE who = 'new session'")) {
            rs.next();
            assertThat(rs.getLong(1)).as("every acknowledged insert is there").isGreaterThanOrEqualTo(writer.ok.get());
        }
        ClusterFixture.awaitHealthy(cluster, 3);
    }

    @Test
    @Order(7)
    void sessionsOnAPrimaryThatLostItsLeaseAreClosedByTheRouterAtOnce() throws Exception {
        String old = leader(cluster);
        int oldIndex = index(old);
        Connection s = connect(rw, "");
        try {
            s.createStatement().execute("SELECT 1");
            cluster.freezeAgent(oldIndex); // its PostgreSQL runs on as a primary, unsupervised
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> router.view().leader() != null
                            && !old.equals(router.view().leader()));
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(
                            () -> assertThatThrownBy(() -> s.createStatement().execute("SELECT 1"))
                                    .isInstanceOf(SQLException.class));
            // The router did it: the deposed primary itself is still up and still accepts writes directly.
            try (Connection direct = DriverManager.getConnection(
                            "jdbc:postgresql://127.0.0.1:" + cluster.pgPort(oldIndex) + "/postgres?user=postgres");
                    Statement st = direct.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                assertThat(rs.getBoolean(1))
                        .as("the frozen agent could not demote its PostgreSQL")
                        .isFalse();
            }
            String now = router.view().leader();
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(where(rw)).containsExactly(0, cluster.pgPort(index(now))));
        } finally {
            s.close();
            cluster.thawAgent(oldIndex);
        }
        ClusterFixture.awaitHealthy(cluster, 3);
    }

    /**
     * A switchover under a pooled load: 50 clients in transaction mode, each writing one row per
     * transaction and reading it back (through the split: from a standby that has replayed it) with
     * a pause between transactions, 5 more that keep a transaction open across a pause, and 10 that
     * are idle (between transactions) across the whole switchover. The idle clients see no error at
     * all and carry on on the new primary; a failure can only reach a client with a statement or
     * transaction in flight, with a clear SQLSTATE (57P01); no read misses the client's own row; every
     * acknowledged row is on the new primary.
     */
    @Test
    @Order(8)
    void aSwitchoverUnderAPooledLoadOfFiftyClientsCostsIdleClientsNothing() throws Exception {
        try (Connection setup = connect(rw, "");
                Statement st = setup.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS pooled (id bigint PRIMARY KEY, who text)");
        }
        String old = leader(cluster);
        String target = cluster.state().sortedMembers().keySet().stream()
                .filter(n -> !n.equals(old))
                .findFirst()
                .orElseThrow();
        int port = router.pooledAddress().getPort();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong acked = new AtomicLong();
        Set<Long> ackedIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<String> idleErrors = new CopyOnWriteArrayList<>();
        List<String> txErrors = new CopyOnWriteArrayList<>();
        AtomicInteger staleReads = new AtomicInteger();
        List<Connection> idle = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port
                    + "/postgres?user=postgres&password=pool-pw&connectTimeout=20&socketTimeout=60");
            idle.add(c);
            try (Statement st = c.createStatement()) {
                st.execute("INSERT INTO pooled VALUES (" + (90_000_000L + i) + ", 'idle before')");
            }
        }
        List<Thread> clients = new ArrayList<>();
        for (int i = 0; i < 55; i++) {
            int n = i;
            boolean longTx = i >= 50;
            Thread t = new Thread(
                    () -> {
                        long id = n * 1_000_000L;
                        Connection c = null;
                        while (running.get()) {
                            try {
                                if (c == null)
                                    c = DriverManager.getConnection(
                                            "jdbc:postgresql://127.0.0.1:" + port
                                                    + "/postgres?user=postgres&password=pool-pw&connectTimeout=20&socketTimeout=60");
                                id++;
                                if (longTx) {
                                    c.setAutoCommit(false);
                                    try (Statement st = c.createStatement()) {
                                        st.execute("INSERT INTO pooled VALUES (" + id + ", 'tx')");
                                        Thread.sleep(150);
                                        st.execute("UPDATE pooled SET who = 'tx done' WHERE id = " + id);
                                    }
                                    c.commit();
                                } else {
                                    try (Statement st = c.createStatement()) {
                                        st.execute("INSERT INTO pooled VALUES (" + id + ", 'idle')");
                                    }
                                }
                                ackedIds.add(id);
                                acked.incrementAndGet();
                                if (!longTx) {
                                    try (Statement st = c.createStatement();
                                            ResultSet rs =
                                                    st.executeQuery("SELECT count(*) FROM pooled WHERE id = " + id)) {
                                        rs.next();
                                        if (rs.getInt(1) != 1) staleReads.incrementAndGet();
                                    }
                                }
                                Thread.sleep(40);
                            } catch (SQLException e) {
                                (longTx ? txErrors : idleErrors).add(e.getSQLState() + " " + e.getMessage());
                                try {
                                    if (c != null) c.close();
                                } catch (SQLException ignored) {
                                    // closing a broken connection
                                }
                                c = null;
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                        try {
                            if (c != null) c.close();
                        } catch (SQLException ignored) {
                            // done
                        }
                    },
                    "pooled-" + i);
            t.setDaemon(true);
            clients.add(t);
            t.start();
        }
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> acked.get() >= 500);
            ClusterFixture.Run r = pgha("switchover", "-c", cluster.config(1).toString(), "--to", target, "--force");
            assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> target.equals(router.view().leader()));
            long after = acked.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> acked.get() >= after + 500);
            for (int i = 0; i < idle.size(); i++) {
                long id = 91_000_000L + i;
                try (Statement st = idle.get(i).createStatement()) {
                    st.execute("INSERT INTO pooled VALUES (" + id + ", 'idle after')");
                    ackedIds.add(id);
                    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pooled WHERE id = " + id)) {
                        rs.next();
                        assertThat(rs.getInt(1))
                                .as("an idle client's own row, read after the switchover")
                                .isOne();
                    }
                    try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()::text || inet_server_port()")) {
                        rs.next();
                    }
                }
            }
        } finally {
            running.set(false);
            for (Thread t : clients) t.join(30_000);
            for (Connection c : idle) c.close();
        }
        System.out.println("pooled switchover: " + acked.get() + " transactions acknowledged, " + idleErrors.size()
                + " errors of clients with a statement in flight, " + txErrors.size() + " inside (" + txErrors
                + "), standby reads "
                + router.pool().reads()[0] + ", replay waits "
                + java.util.Arrays.toString(router.pool().replayWaits()));
        assertThat(idleErrors)
                .as("a failure reaches only a client with a statement in flight, with a clear SQLSTATE")
                .allSatisfy(e -> assertThat(e).startsWith("57P01"));
        assertThat(txErrors)
                .as("a failure reaches only a client inside a transaction, with a clear SQLSTATE")
                .allSatisfy(e -> assertThat(e).startsWith("57P01"));
        assertThat(staleReads.get())
                .as("reads that missed the client's own row")
                .isZero();
        assertThat(router.pool().reads()[0]).as("reads ran on standbys").isPositive();
        Set<Long> there = new java.util.HashSet<>();
        try (Connection c = connect(rw, "");
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id FROM pooled")) {
            while (rs.next()) there.add(rs.getLong(1));
        }
        assertThat(there).as("every acknowledged row is on the new primary").containsAll(ackedIds);
        ClusterFixture.awaitHealthy(cluster, 3);
    }

    /** Opens a new session through the router for every insert, as short-lived clients do. */
    static final class NewSessions implements AutoCloseable {
        record Failure(long startedNanos, String error) {}

        final AtomicInteger ok = new AtomicInteger();
        final List<Failure> failures = new CopyOnWriteArrayList<>();
        private final int port;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread = new Thread(this::run, "new-sessions");

        NewSessions(int port) {
            this.port = port;
        }

        NewSessions start() {
            thread.start();
            return this;
        }

        private void run() {
            while (running.get()) {
                long started = System.nanoTime();
                try (Connection c = connect(port, "");
                        Statement st = c.createStatement()) {
                    st.execute("INSERT INTO routed (who) VALUES ('new session')");
                    ok.incrementAndGet();
                } catch (SQLException e) {
                    failures.add(new Failure(started, e.getSQLState() + " " + e.getMessage()));
                }
            }
        }

        List<String> errorsOfSessionsStartedAfter(long nanos) {
            List<String> out = new ArrayList<>();
            for (Failure f : failures) if (f.startedNanos() > nanos) out.add(f.error());
            return out;
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }
    }
}
