package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS on both sides of the pooled listener, with a test CA: to a PostgreSQL 15 that has ssl on
 * (server_tls_sslmode prefer and verify-full), and from clients (client_tls_sslmode require, and
 * client-certificate authentication, auth_type cert).
 */
class PoolTlsIT {
    private static final String PSQL = PlainPostgres.BIN + "psql";
    private static PlainPostgres pg;
    private static Path certs;
    private static int pgPort;
    private static StubDcs dcs;
    private static Router plain;
    private static Router certAuth;
    private static PoolConfig plainConfig;

    @BeforeAll
    static void start() throws Exception {
        pg = PlainPostgres.in("pgha-pool-tls-it");
        certs = PoolFixtures.ownDirectory("pgha-pool-tls-it-certs");
        Files.writeString(certs.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        openssl(
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=pgha test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem");
        signed("server", "/CN=127.0.0.1", true);
        signed("alice", "/CN=alice", false);
        signed("mallory", "/CN=mallory", false);
        // a CA nobody signed anything with: verify-full against it must fail
        openssl(
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=other CA",
                "-keyout",
                "other.key",
                "-out",
                "other.pem");
        Path data = pg.dir().resolve("data");
        pgPort = FreePorts.one();
        pg.initdb(data);
        // alice logs in with SCRAM over TLS: the router binds its proof to the server's certificate
        PlainPostgres.prependHba(data, "hostssl all alice 127.0.0.1/32 scram-sha-256\n");
        pg.start(
                data,
                pgPort,
                true,
                "ssl",
                "on",
                "ssl_cert_file",
                certs.resolve("server.pem").toString(),
                "ssl_key_file",
                certs.resolve("server.key").toString());
        try (Connection c = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres?user=postgres&sslmode=disable");
                Statement st = c.createStatement()) {
            st.execute("CREATE ROLE alice LOGIN PASSWORD 'alice-pw'");
        }
        Path users = certs.resolve("users.txt");
        Files.writeString(users, "\"alice\" \"alice-pw\"\n\"mallory\" \"mallory-pw\"\n");
        Files.setPosixFilePermissions(users, PosixFilePermissions.fromString("rw-------"));
        dcs = new StubDcs();
        dcs.set(view());
        plainConfig = poolConfig(users, "scram-sha-256", new PoolConfig.Tls("allow", null, "prefer", null))
                .withAdmin(new PoolConfig.Admin(java.util.List.of("alice"), java.util.List.of()));
        plain = router(plainConfig);
        certAuth = router(poolConfig(
                users,
                "cert",
                new PoolConfig.Tls(
                        "require",
                        certs.resolve("ca.pem").toString(),
                        "verify-full",
                        certs.resolve("ca.pem").toString())));
    }

    private static void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(certs.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as("openssl " + String.join(" ", args) + ": " + out)
                .isTrue();
    }

    /**
     * NAME.key and NAME.pem signed by the test CA. A server's key stays the test user's, readable by
     * group postgres (0640), which PostgreSQL accepts for a key root owns.
     */
    private static void signed(String name, String subject, boolean server) throws Exception {
        openssl(
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                subject,
                "-keyout",
                name + ".key",
                "-out",
                name + ".csr");
        List<String> sign = new ArrayList<>(List.of(
                "x509",
                "-req",
                "-in",
                name + ".csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                name + ".pem"));
        if (server) sign.addAll(List.of("-extfile", "san.ext"));
        openssl(sign.toArray(String[]::new));
        Path key = certs.resolve(name + ".key");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString(server ? "rw-r-----" : "rw-------"));
        if (server && "root".equals(System.getProperty("user.name")))
            Files.setAttribute(
                    key,
                    "posix:group",
                    key.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName("postgres"),
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    private static PoolConfig poolConfig(Path users, String authType, PoolConfig.Tls tls) {
        return new PoolConfig(
                        FreePorts.one(),
                        PoolConfig.Mode.TRANSACTION,
                        authType,
                        users.toString(),
                        2,
                        50,
                        600_000,
                        3_600_000,
                        60_000)
                .withTls(tls);
    }

    private static Router router(PoolConfig pc) throws Exception {
        return PoolFixtures.router(
                "r-" + pc.authType(),
                dcs,
                pc,
                certs.resolve("server.pem").toString(),
                certs.resolve("server.key").toString(),
                "node1");
    }

    private static ClusterState view() {
        return PoolFixtures.view("node1", PoolFixtures.member("node1", pgPort, Role.PRIMARY));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (plain != null) plain.close();
            if (certAuth != null) certAuth.close();
        } finally {
            try {
                if (pg != null) pg.stopAll();
            } finally {
                if (certs != null) io.pgha.postgres.Directories.delete(certs);
            }
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static final String OWN_SSL = "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    /**
     * server_tls_sslmode prefer: the pool's server connections are encrypted when the server offers
     * TLS; verify-full against the CA that signed the server's certificate logs in, against another
     * CA it fails and says why. A client may ask the router for TLS and check its certificate.
     */
    @Test
    void serverConnectionsAreEncryptedAndVerified() throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + plain.pooledAddress().getPort()
                + "/postgres?user=alice&password=alice-pw&sslmode=verify-full&sslrootcert=" + certs.resolve("ca.pem");
        try (Connection c = DriverManager.getConnection(url)) {
            assertThat(one(c, OWN_SSL)).as("the pool's server connection").isEqualTo("true");
        }
        try {
            plain.pool()
                    .reconfigure(plainConfig.withTls(new PoolConfig.Tls(
                            "allow",
                            null,
                            "verify-full",
                            certs.resolve("other.pem").toString())));
            assertThatThrownBy(() -> DriverManager.getConnection(url).close())
                    .hasMessageContaining("TLS handshake failed (server_tls_sslmode verify-full)");
            plain.pool()
                    .reconfigure(plainConfig.withTls(new PoolConfig.Tls(
                            "allow",
                            null,
                            "verify-full",
                            certs.resolve("ca.pem").toString())));
            try (Connection c = DriverManager.getConnection(url)) {
                assertThat(one(c, OWN_SSL)).isEqualTo("true");
            }
        } finally {
            plain.pool().reconfigure(plainConfig);
        }
    }

    /**
     * auth_type cert: a client certificate from the CA whose common name is the user logs in
     * without a password; another user's certificate, no certificate, and no TLS are refused.
     */
    @Test
    void clientCertificatesAuthenticateUsers() throws Exception {
        int port = certAuth.pooledAddress().getPort();
        String[] ok = psql(
                port,
                "alice",
                "sslmode=verify-full sslcert=" + certs.resolve("alice.pem") + " sslkey=" + certs.resolve("alice.key"));
        assertThat(ok[1]).as(ok[1]).isEqualTo("alice true");
        assertThat(psql(
                        port,
                        "alice",
                        "sslmode=verify-full sslcert=" + certs.resolve("mallory.pem") + " sslkey="
                                + certs.resolve("mallory.key"))[1])
                .contains("certificate authentication failed for user \"alice\"");
        assertThat(psql(port, "alice", "sslmode=verify-full")[0])
                .as("no client certificate")
                .isNotEqualTo("0");
        assertThat(psql(port, "alice", "sslmode=disable")[1]).contains("requires TLS");
    }

    /**
     * Channel binding on both sides. psql with channel_binding=require logs in to the router over
     * TLS, which it does only when the router offers SCRAM-SHA-256-PLUS and accepts its binding to
     * the router's certificate. The router's own login to PostgreSQL over TLS is bound to the
     * server's certificate too: PostgreSQL checked it, and SHOW SERVERS says so.
     */
    @Test
    void scramIsBoundToTheTlsConnectionOnBothSides() throws Exception {
        int port = plain.pooledAddress().getPort();
        String[] bound =
                psql(port, "alice", "sslmode=verify-full channel_binding=require", "alice-pw", "postgres", null);
        assertThat(bound[1]).as(bound[1]).isEqualTo("alice true");
        String[] servers = psql(port, "alice", "sslmode=require", "alice-pw", "pgha", "SHOW SERVERS");
        assertThat(servers[0]).as(servers[1]).isEqualTo("0");
        assertThat(servers[1]).contains("+binding");
        assertThat(psql(port, "alice", "sslmode=verify-full channel_binding=require", "wrong", "postgres", null)[1])
                .contains("password authentication failed");
    }

    /** psql through the router as {@code user} with {@code tls} options: [exit code, output]. */
    private static String[] psql(int port, String user, String tls) throws Exception {
        return psql(port, user, tls, null, "postgres", null);
    }

    private static String[] psql(int port, String user, String tls, String password, String db, String sql)
            throws Exception {
        ProcessBuilder p = new ProcessBuilder(
                        PSQL,
                        "host=127.0.0.1 port=" + port + " user=" + user + " dbname=" + db + " sslrootcert="
                                + certs.resolve("ca.pem") + " " + tls,
                        "-Atc",
                        sql != null ? sql : "SELECT current_user || ' ' || (" + OWN_SSL + ")")
                .redirectErrorStream(true);
        p.environment().clear();
        p.environment().put("PGCONNECT_TIMEOUT", "20");
        if (password != null) p.environment().put("PGPASSWORD", password);
        Process run = p.start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(run.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new String[] {String.valueOf(run.exitValue()), out};
    }
}
