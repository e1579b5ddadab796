package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code pgha archive push} and {@code get} as archive_command and restore_command of a PostgreSQL
 * that pgha does not manage, run by PostgreSQL as its own OS user: a primary archives, and a warm
 * standby with no streaming connection (the pg_standby case) replays only what it restores from the
 * archive.
 */
class ArchiveIT {
    private static PlainPostgres pg;
    private static Path dir;
    private static Path repo;
    private static int primaryPort;
    private static int standbyPort;

    private static String pgha(String sub) {
        return pg.pgha("archive " + sub + " --repo '" + repo + "'");
    }

    @BeforeAll
    static void setUp() throws Exception {
        pg = PlainPostgres.in("pgha-archive-it", "repo");
        dir = pg.dir();
        repo = dir.resolve("repo");
        primaryPort = FreePorts.one();
        standbyPort = FreePorts.one();
        Path primary = dir.resolve("primary");
        pg.initdb(primary);
        pg.start(
                primary,
                primaryPort,
                true,
                "archive_mode",
                "on",
                "archive_command",
                pgha("push %p"),
                "wal_level",
                "replica");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (pg != null) pg.stopAll();
    }

    private static Connection connect(int port) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    }

    @Test
    void aPrimaryArchivesThroughPghaAndAWarmStandbyReplaysFromTheArchiveAlone() throws Exception {
        String segment;
        try (Connection c = connect(primaryPort);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE archived (id int)");
            st.execute("INSERT INTO archived SELECT generate_series(1, 1000)");
            try (ResultSet rs = st.executeQuery("SELECT pg_walfile_name(pg_current_wal_lsn())")) {
                rs.next();
                segment = rs.getString(1);
            }
            st.execute("SELECT pg_switch_wal()");
        }
        await().atMost(Duration.ofSeconds(60))
                .until(() -> Files.exists(repo.resolve("wal").resolve(segment)));
        // What pgha restores is exactly what PostgreSQL wrote.
        Path restored = dir.resolve("restored-" + segment);
        assertThat(Main.run("archive", "get", segment, restored.toString(), "--repo", repo.toString()))
                .isZero();
        assertThat(Files.readAllBytes(restored))
                .isEqualTo(Files.readAllBytes(dir.resolve("primary/pg_wal").resolve(segment)));
        assertThat(Main.run(
                        "archive",
                        "get",
                        "0000000100000000000000FF",
                        dir.resolve("nothing").toString(),
                        "--repo",
                        repo.toString()))
                .as("a segment that was never archived")
                .isEqualTo(1);

        assertThat(Main.run(
                        "archive",
                        "check",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        String.valueOf(primaryPort),
                        "--repo",
                        repo.toString()))
                .as("archive check: a forced WAL switch reaches the repository")
                .isZero();
        assertThat(Main.run(
                        "archive",
                        "check",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        String.valueOf(primaryPort),
                        "--timeout",
                        "2",
                        "--repo",
                        dir.resolve("elsewhere").toString()))
                .as("not in a repository the server does not archive to")
                .isEqualTo(3);

        // A warm standby: a base backup, no primary_conninfo, WAL only through restore_command.
        Path standby = dir.resolve("standby");
        PlainPostgres.asPostgres(
                PlainPostgres.BIN + "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(primaryPort),
                "-U",
                "postgres",
                "-D",
                standby.toString(),
                "--wal-method=none",
                "--checkpoint=fast");
        Files.writeString(standby.resolve("standby.signal"), "");
        try (Connection c = connect(primaryPort);
                Statement st = c.createStatement()) {
            st.execute("INSERT INTO archived SELECT generate_series(1001, 1500)");
            st.execute("SELECT pg_switch_wal()");
        }
        pg.start(
                standby,
                standbyPort,
                true,
                "archive_mode",
                "off",
                "restore_command",
                pgha("get %f %p"),
                "hot_standby",
                "on");
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    try (Connection c = connect(standbyPort);
                            Statement st = c.createStatement();
                            ResultSet rs = st.executeQuery("SELECT count(*), pg_is_in_recovery() FROM archived")) {
                        rs.next();
                        return rs.getLong(1) == 1500 && rs.getBoolean(2);
                    } catch (Exception e) {
                        return false;
                    }
                });
    }

    @Test
    void aFullRepositoryFailsThePushLoudlyAndPostgresKeepsTheWalUntilThereIsRoom() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                "root".equals(System.getProperty("user.name")), "mounting a small tmpfs needs root");
        Path small = Files.createDirectories(dir.resolve("small"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=3m,mode=0755", "tmpfs", small.toString())
                .inheritIO()
                .start();
        org.junit.jupiter.api.Assumptions.assumeTrue(mount.waitFor() == 0, "cannot mount a tmpfs here");
        Path data = dir.resolve("faulty");
        int port = FreePorts.one();
        try {
            assertThat(new ProcessBuilder("chown", "postgres:", small.toString())
                            .inheritIO()
                            .start()
                            .waitFor())
                    .isZero();
            pg.initdb(data);
            String cmd = pg.pgha("archive push %p --compression none --repo '" + small + "'");
            pg.start(data, port, true, "archive_mode", "on", "archive_command", cmd, "wal_level", "replica");
            String last = null;
            try (Connection c = connect(port);
                    Statement st = c.createStatement()) {
                st.execute("CREATE TABLE filler (x text)");
                for (int i = 0; i < 5; i++) {
                    st.execute("INSERT INTO filler SELECT md5(g::text) FROM generate_series(1, 2000) g");
                    try (ResultSet rs = st.executeQuery("SELECT pg_walfile_name(pg_current_wal_lsn())")) {
                        rs.next();
                        last = rs.getString(1);
                    }
                    st.execute("SELECT pg_switch_wal()");
                }
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                try (Connection c = connect(port);
                        Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT failed_count FROM pg_stat_archiver")) {
                    rs.next();
                    return rs.getLong(1) > 0;
                }
            });
            String log = Files.readString(pg.log(data));
            assertThat(log).as("the reason is named in PostgreSQL's log").contains("No space left on device");
            final String lastSegment = last;
            assertThat(Files.exists(data.resolve("pg_wal/archive_status").resolve(lastSegment + ".ready")))
                    .as("PostgreSQL keeps it")
                    .isTrue();
            // room again: PostgreSQL retries, everything it kept arrives, nothing is missing
            assertThat(new ProcessBuilder("mount", "-o", "remount,size=64m", small.toString())
                            .inheritIO()
                            .start()
                            .waitFor())
                    .isZero();
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> Files.exists(small.resolve("wal").resolve(lastSegment)));
            io.pgha.archive.ArchiveInfo info =
                    io.pgha.archive.ArchiveInfo.of(new io.pgha.archive.DirectoryRepository(small));
            assertThat(info.timelines()).singleElement().satisfies(t -> {
                assertThat(t.gaps()).isEmpty();
                assertThat(t.last()).isGreaterThanOrEqualTo(lastSegment);
            });
        } finally {
            try {
                pg.stop(data);
            } finally {
                new ProcessBuilder("umount", "-l", small.toString())
                        .inheritIO()
                        .start()
                        .waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
