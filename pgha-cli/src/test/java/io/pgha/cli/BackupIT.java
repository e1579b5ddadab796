package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.archive.BackupManifest;
import io.pgha.archive.BackupStore;
import io.pgha.archive.DirectoryRepository;
import io.pgha.testkit.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Base backups and point-in-time recovery on a real PostgreSQL 15 run as postgres: backups with
 * and without the data directory, list/info/verify/expire, and restores to a time, an LSN, an xid
 * and a restore point that must hold exactly the rows committed before the target.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BackupIT {
    private static final int ROWS = 6;
    private static Path dir;
    private static Path repo;
    private static Path primary;
    private static int primaryPort;
    private static PlainPostgres pg;
    /** After row k (1-based) committed: the time, the LSN, its xid, and a restore point named after_k. */
    private static final String[] times = new String[ROWS + 1];

    private static final String[] lsns = new String[ROWS + 1];
    private static final long[] xids = new long[ROWS + 1];
    private static String firstBackup;

    private static String jar(String sub) {
        return pg.pgha("archive " + sub + " --repo '" + repo + "'");
    }

    /** Starts a restored server without waiting: one that recovers to a target and pauses never "starts". */
    private static void start(Path data, int port, String... settings) throws Exception {
        pg.start(data, port, false, settings);
    }

    private static void stop(Path data) throws Exception {
        pg.stop(data);
    }

    @BeforeAll
    static void setUp() throws Exception {
        pg = PlainPostgres.in("pgha-backup-it", "repo");
        dir = pg.dir();
        // a backup started as root runs as the repository's owner (postgres), who cannot read this JVM's class path
        System.setProperty("pgha.jar", dir.resolve("pgha.jar").toString());
        repo = dir.resolve("repo");
        primaryPort = FreePorts.one();
        primary = dir.resolve("primary");
        pg.initdb(primary);
        pg.start(
                primary,
                primaryPort,
                true,
                "archive_mode",
                "on",
                "archive_command",
                jar("push %p"),
                "wal_level",
                "replica");
    }

    @AfterAll
    static void tearDown() throws Exception {
        System.clearProperty("pgha.jar");
        if (pg != null) pg.stopAll();
    }

    private static Connection connect(int port) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    }

    private static String one(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static int pgha(String... args) {
        return Main.run(args);
    }

    private static String out(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setOut(new PrintStream(b, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args)).as(String.join(" ", args)).isZero();
        } finally {
            System.setOut(old);
        }
        return b.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    @Order(1)
    void aBackupWithTheDataDirectoryThenRowsAtKnownPoints() throws Exception {
        try (Connection c = connect(primaryPort);
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE t (id int PRIMARY KEY, payload text)");
            st.execute(
                    "INSERT INTO t (id, payload) SELECT -g, repeat('x', 500) FROM generate_series(1, 5000) g"); // some
            // bulk
            // before the backup
        }
        assertThat(pgha(
                        "backup",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        String.valueOf(primaryPort),
                        "-D",
                        primary.toString(),
                        "--repo",
                        repo.toString(),
                        "--parallel",
                        "3"))
                .isZero();
        List<BackupManifest> backups = new BackupStore(new DirectoryRepository(repo)).list();
        assertThat(backups).hasSize(1);
        BackupManifest m = backups.get(0);
        firstBackup = m.label();
        assertThat(m.files())
                .extracting(BackupManifest.Entry::path)
                .contains("backup_label", "PG_VERSION", "global/pg_control", "pg_wal")
                .doesNotContain("postmaster.pid");
        assertThat(m.fromStandby()).isFalse();
        assertThat(m.storedBytes()).as("compressed").isPositive().isLessThan(m.bytes());
        try (Connection c = connect(primaryPort);
                Statement st = c.createStatement()) {
            for (int k = 1; k <= ROWS; k++) {
                c.setAutoCommit(false);
                st.execute("INSERT INTO t (id, payload) VALUES (" + k + ", 'row')");
                xids[k] = Long.parseLong(one(st, "SELECT txid_current()"));
                c.commit();
                c.setAutoCommit(true);
                lsns[k] = one(st, "SELECT pg_current_wal_insert_lsn()");
                times[k] = one(
                        st,
                        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
                st.execute("SELECT pg_create_restore_point('after_" + k + "')");
                Thread.sleep(30);
            }
            st.execute("SELECT pg_switch_wal()");
        }
        assertThat(pgha(
                        "archive",
                        "check",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        String.valueOf(primaryPort),
                        "--repo",
                        repo.toString()))
                .isZero();
    }

    /** Restores to a target and returns the positive ids present once recovery stopped there. */
    private static List<Integer> restoreTo(String name, String... target) throws Exception {
        Path data = dir.resolve("restore-" + name);
        List<String> args = new ArrayList<>(List.of(
                "restore",
                "--target-dir",
                data.toString(),
                "--repo",
                repo.toString(),
                "--restore-command",
                jar("get %f %p")));
        args.addAll(List.of(target));
        assertThat(pgha(args.toArray(String[]::new))).isZero();
        int port = FreePorts.one();
        start(data, port, "archive_mode", "off", "hot_standby", "on");
        List<Integer> ids = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(() -> {
                    try (Connection c = connect(port);
                            Statement st = c.createStatement()) {
                        boolean recovering = Boolean.parseBoolean(
                                one(st, "SELECT pg_is_in_recovery()").equals("t") ? "true" : "false");
                        if (recovering
                                && !one(st, "SELECT pg_get_wal_replay_pause_state()")
                                        .equals("paused")) return false;
                        ids.clear();
                        try (ResultSet rs = st.executeQuery("SELECT id FROM t WHERE id > 0 ORDER BY id")) {
                            while (rs.next()) ids.add(rs.getInt(1));
                        }
                        return true;
                    }
                });
        stop(data);
        return ids;
    }

    @Test
    @Order(2)
    void pointInTimeRecoveryStopsExactlyAtEachKindOfTarget() throws Exception {
        assertThat(restoreTo("time", "--target-time", times[2], "--target-action", "pause"))
                .containsExactly(1, 2);
        assertThat(restoreTo("lsn", "--target-lsn", lsns[3], "--target-action", "promote"))
                .containsExactly(1, 2, 3);
        assertThat(restoreTo("xid", "--target-xid", String.valueOf(xids[4]), "--target-action", "pause"))
                .containsExactly(1, 2, 3, 4);
        assertThat(restoreTo("name", "--target-name", "after_1", "--target-action", "promote"))
                .containsExactly(1);
        assertThat(restoreTo("latest")).as("no target: the end of the archive").containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test
    @Order(3)
    void anArchiveOnlyWarmStandbyFollowsTheArchiveAndIsPromotedByCommand() throws Exception {
        Path data = dir.resolve("warm-standby");
        assertThat(pgha(
                        "restore",
                        "--standby",
                        "--target-dir",
                        data.toString(),
                        "--repo",
                        repo.toString(),
                        "--restore-command",
                        jar("get %f %p")))
                .isZero();
        assertThat(data.resolve("standby.signal")).exists();
        assertThat(Files.readString(data.resolve("postgresql.auto.conf"))).doesNotContain("primary_conninfo");
        int port = FreePorts.one();
        start(data, port, "archive_mode", "off", "hot_standby", "on");
        try (Connection c = connect(primaryPort);
                Statement st = c.createStatement()) {
            st.execute("INSERT INTO t (id, payload) VALUES (100, 'after the backup, only in the archive')");
            st.execute("SELECT pg_switch_wal()");
        }
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(() -> {
                    try (Connection c = connect(port);
                            Statement st = c.createStatement()) {
                        return one(st, "SELECT pg_is_in_recovery()").equals("t")
                                && one(st, "SELECT count(*) FROM t WHERE id = 100")
                                        .equals("1");
                    }
                });
        assertThat(pgha("promote", "-D", primary.toString(), "-p", String.valueOf(primaryPort)))
                .as("not a standby")
                .isEqualTo(2);
        assertThat(pgha("promote", "-D", data.toString(), "-p", String.valueOf(port)))
                .isZero();
        try (Connection c = connect(port);
                Statement st = c.createStatement()) {
            assertThat(one(st, "SELECT pg_is_in_recovery()")).isEqualTo("f");
            st.execute("INSERT INTO t (id, payload) VALUES (101, 'written at the DR site')");
        }
        stop(data);
    }

    @Test
    @Order(3)
    void badRestoresAreRefusedAndWriteNothing() throws Exception {
        Path full = Files.createDirectories(dir.resolve("not-empty"));
        Files.writeString(full.resolve("keep.txt"), "mine");
        assertThat(pgha(
                        "restore",
                        "--target-dir",
                        full.toString(),
                        "--repo",
                        repo.toString(),
                        "--restore-command",
                        "false"))
                .isEqualTo(2);
        assertThat(full.resolve("keep.txt")).hasContent("mine");
        Path fresh = dir.resolve("never");
        assertThat(pgha(
                        "restore",
                        "--target-dir",
                        fresh.toString(),
                        "--repo",
                        repo.toString(),
                        "--restore-command",
                        "false",
                        "--target-time",
                        "2026-11-27 10:00:00"))
                .as("a time without offset")
                .isEqualTo(2);
        assertThat(pgha(
                        "restore",
                        "--target-dir",
                        fresh.toString(),
                        "--repo",
                        repo.toString(),
                        "--restore-command",
                        "false",
                        "--target-time",
                        "2001-01-01 00:00:00+00"))
                .as("before every backup")
                .isEqualTo(2);
        assertThat(pgha(
                        "restore",
                        "--target-dir",
                        fresh.toString(),
                        "--repo",
                        repo.toString(),
                        "--restore-command",
                        "false",
                        "--target-lsn",
                        "0/1",
                        "--target-xid",
                        "5"))
                .as("two targets")
                .isEqualTo(2);
        assertThat(pgha(
                        "restore",
                        "--target-dir",
                        fresh.toString(),
                        "--repo",
                        repo.toString(),
                        "--restore-command",
                        "false",
                        "--target-action",
                        "explode",
                        "--target-xid",
                        "5"))
                .isEqualTo(2);
        assertThat(fresh).doesNotExist();
    }

    @Test
    @Order(4)
    void aStreamedBackupListInfoVerifyAndExpire() throws Exception {
        Thread.sleep(1100); // backup labels have whole seconds
        assertThat(pgha(
                        "backup",
                        "-h",
                        "127.0.0.1",
                        "-p",
                        String.valueOf(primaryPort),
                        "--repo",
                        repo.toString(),
                        "--compression",
                        "lz4"))
                .isZero();
        List<BackupManifest> backups = new BackupStore(new DirectoryRepository(repo)).list();
        assertThat(backups).hasSize(2);
        BackupManifest streamed = backups.get(1);
        assertThat(streamed.compression()).isEqualTo("lz4");
        assertThat(streamed.files())
                .extracting(BackupManifest.Entry::path)
                .contains("backup_label", "global/pg_control");
        String json = out("backup", "list", "--repo", repo.toString(), "--format", "json");
        assertThat(json).contains(firstBackup, streamed.label(), "\"stop_wal\"");
        assertThat(out("backup", "info", streamed.label(), "--repo", repo.toString(), "--format", "json"))
                .contains("\"from_standby\" : false");
        assertThat(out("backup", "verify", "--repo", repo.toString())).contains("is good");

        // the streamed backup restores too, on its own
        Path data = dir.resolve("restore-streamed");
        assertThat(pgha(
                        "restore",
                        "--target-dir",
                        data.toString(),
                        "--repo",
                        repo.toString(),
                        "--set",
                        streamed.label(),
                        "--restore-command",
                        jar("get %f %p")))
                .isZero();
        int port = FreePorts.one();
        start(data, port, "archive_mode", "off");
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300))
                .ignoreExceptions()
                .until(() -> {
                    try (Connection c = connect(port);
                            Statement st = c.createStatement()) {
                        return one(st, "SELECT pg_is_in_recovery()").equals("f")
                                && one(st, "SELECT count(*) FROM t WHERE id > 0")
                                        .equals(String.valueOf(ROWS + 1));
                    }
                });
        stop(data);

        // a flipped byte in the first backup is found and named
        Path victim = repo.resolve("backup").resolve(firstBackup).resolve("data/global/pg_control");
        try (RandomAccessFile f = new RandomAccessFile(victim.toFile(), "rw")) {
            f.seek(f.length() - 10);
            int b = f.read();
            f.seek(f.length() - 10);
            f.write(b ^ 0xff);
        }
        assertThat(pgha("backup", "verify", firstBackup, "--repo", repo.toString()))
                .isEqualTo(4);
        assertThat(pgha(
                        "restore",
                        "--target-dir",
                        dir.resolve("from-corrupt").toString(),
                        "--repo",
                        repo.toString(),
                        "--set",
                        firstBackup,
                        "--restore-command",
                        "false"))
                .as("a corrupt backup is not restored")
                .isEqualTo(4);
        assertThat(dir.resolve("from-corrupt")).as("nothing half-done").doesNotExist();

        // retention: keep one full backup; the older one and the WAL before the kept one's start go
        long walBefore;
        try (var s = Files.list(repo.resolve("wal"))) {
            walBefore = s.count();
        }
        assertThat(out("backup", "expire", "--retention-full", "1", "--dry-run", "--repo", repo.toString()))
                .contains("would remove 1 backup(s): " + firstBackup);
        assertThat(new BackupStore(new DirectoryRepository(repo)).list()).hasSize(2);
        assertThat(pgha("backup", "expire", "--retention-full", "1", "--repo", repo.toString()))
                .isZero();
        assertThat(new BackupStore(new DirectoryRepository(repo)).list())
                .extracting(BackupManifest::label)
                .containsExactly(streamed.label());
        assertThat(repo.resolve("backup").resolve(firstBackup)).doesNotExist();
        try (var s = Files.list(repo.resolve("wal"))) {
            List<String> left = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertThat(left.size()).isLessThan((int) walBefore);
            assertThat(left.stream().filter(n -> n.length() == 24))
                    .allMatch(n -> n.compareTo(streamed.startWal()) >= 0);
        }
        assertThat(out("backup", "verify", "--repo", repo.toString()))
                .as("what is kept is whole")
                .contains("is good");
        assertThat(pgha("backup", "expire", "--retention-full", "0", "--repo", repo.toString()))
                .isEqualTo(2);
    }
}
