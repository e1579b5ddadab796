package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.agentLog;
import static io.pgha.cli.ClusterFixture.connect;
import static io.pgha.cli.ClusterFixture.count;
import static io.pgha.cli.ClusterFixture.index;
import static io.pgha.cli.ClusterFixture.leader;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.archive.ArchiveInfo;
import io.pgha.archive.DirectoryRepository;
import io.pgha.testkit.FreePorts;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The archive wired into a 3-node cluster: the agent sets archive_command (asynchronous push) and
 * restore_command on every member; the list and /metrics show archiving; a new member is built from
 * a backup instead of the primary; a standby that fell behind the primary's WAL catches up from the
 * archive by itself; and after a failover a deposed primary that still runs cannot archive WAL of
 * its old timeline past the switch point.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ArchiveClusterIT {
    private static Path dir;
    private static Path repo;
    private static LocalCluster c;
    private static io.pgha.dcs.EmbeddedZooKeeper zk;

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("pgha-it-archive");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(Path.of("target", "pgha.jar"), dir.resolve("pgha.jar"), StandardCopyOption.REPLACE_EXISTING);
        repo = Files.createDirectories(dir.resolve("repo"));
        if ("root".equals(System.getProperty("user.name"))) {
            new ProcessBuilder("chown", "-R", "postgres:", repo.toString())
                    .inheritIO()
                    .start()
                    .waitFor(30, TimeUnit.SECONDS);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String yaml = "archive:\n"
                + "  repo: " + repo + "\n"
                + "  parallel: 2\n"
                + "  replica_source: backup\n"
                + "  pgha_command: \"'" + java + "' -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar '"
                + dir.resolve("pgha.jar") + "'\"\n";
        int nodes = 3;
        // ZooKeeper in the test JVM: the tests kill and rebuild members, which must not cost the DCS its quorum
        zk = io.pgha.dcs.EmbeddedZooKeeper.standalone(FreePorts.one(), Files.createDirectories(dir.resolve("zk")));
        c = LocalCluster.create(new LocalCluster.Options(
                "arch",
                nodes,
                dir.resolve("cluster"),
                FreePorts.block(nodes),
                FreePorts.block(nodes),
                FreePorts.block(nodes, 100, 200),
                yaml,
                List.of(zk.connectString(), zk.connectString(), zk.connectString())));
        c.startAll();
        try {
            ClusterFixture.awaitHealthy(c, nodes);
        } catch (RuntimeException e) {
            ClusterFixture.dumpLogs(c);
            throw e;
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (c != null) {
            for (int i = 1; i <= c.nodes(); i++) c.thawAgent(i);
            ClusterFixture.stop(c);
        }
        if (zk != null) zk.close();
        if (dir != null) io.pgha.postgres.Directories.delete(dir);
    }

    private static int primary() throws Exception {
        return index(leader(c));
    }

    private static String one(int node, String sql) throws Exception {
        try (Connection conn = connect(c, node);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void exec(int node, String... sql) throws Exception {
        try (Connection conn = connect(c, node);
                Statement st = conn.createStatement()) {
            for (String s : sql) st.execute(s);
        }
    }

    @Test
    @Order(1)
    void thePrimaryArchivesAndTheListAndMetricsShowIt() throws Exception {
        int p = primary();
        assertThat(one(p, "SHOW archive_mode")).isEqualTo("on");
        assertThat(one(p, "SHOW archive_command")).contains("archive push %p --async --spool");
        for (int i = 1; i <= 3; i++)
            assertThat(one(i, "SHOW restore_command")).as("node" + i).contains("archive get %f %p");
        exec(p, "CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 1000)");
        ClusterFixture.Run check = pgha(
                "archive",
                "check",
                "-h",
                "127.0.0.1",
                "-p",
                String.valueOf(c.pgPort(p)),
                "-c",
                c.config(p).toString());
        assertThat(check.exitCode()).as(check.out() + check.err()).isZero();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> pgha("list", "-c", c.config(1).toString())
                        .out()
                        .contains("WAL archive (from node" + p + "): ok"));
        HttpResponse<String> metrics = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.apiPort(p) + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body())
                .contains("pgha_archive_pending_files{", "pgha_archive_failed_total{", "patroni_primary{");
    }

    /**
     * Writes a WAL record and switches to a new segment; returns the finished segment. Without the
     * record a switch right after another one is a no-op that names an older segment.
     */
    private static String switchWal(int node) throws Exception {
        exec(node, "SELECT pg_logical_emit_message(false, 'pgha-test', 'switch')");
        return one(node, "SELECT pg_walfile_name(pg_switch_wal())");
    }

    /**
     * Whether PostgreSQL archived {@code segment}: its {@code .done} status file, or a later last
     * archived file. last_archived_wal alone is not enough: a backup history file named after an
     * earlier segment may be archived after the segment, and then stays last.
     */
    private static boolean archived(int node, String segment) throws Exception {
        return one(
                        node,
                        "SELECT coalesce(last_archived_wal, '') COLLATE \"C\" >= '" + segment
                                + "' OR EXISTS (SELECT FROM pg_ls_archive_statusdir() WHERE name = '" + segment
                                + ".done') FROM pg_stat_archiver")
                .equals("t");
    }

    /** The archive server's pid, once its pid file names a live process. */
    private static long serverPid(Path spool) throws Exception {
        return await().atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(
                        () -> Long.parseLong(
                                Files.readString(spool.resolve("server.pid")).strip()),
                        pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    /** Runs the spool's client as PostgreSQL's OS user with no fallback: only the server can answer. */
    private static int callWithoutFallback(Path spool, String... call) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        if ("root".equals(System.getProperty("user.name")))
            cmd.addAll(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
        cmd.addAll(List.of("sh", spool.resolve("call.sh").toString(), spool.toString()));
        cmd.addAll(List.of(call));
        Process p = new ProcessBuilder(cmd)
                .directory(new java.io.File("/tmp"))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        if (p.exitValue() != 0) System.err.println("call.sh " + String.join(" ", call) + ": " + out);
        return p.exitValue();
    }

    @Test
    @Order(1)
    void theAgentKeepsAnArchiveServerThatAnswersCallsWithoutAJvmStart() throws Exception {
        int p = primary();
        Path spool = c.config(p).resolveSibling("node" + p).resolve("data.archive-spool");
        long pid = serverPid(spool);
        if ("root".equals(System.getProperty("user.name")))
            assertThat(ProcessHandle.of(pid).flatMap(h -> h.info().user()))
                    .as("the server runs as PostgreSQL's OS user")
                    .contains("postgres");
        String segment = switchWal(p);
        exec(p, "CHECKPOINT");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> archived(p, segment));
        } catch (RuntimeException e) {
            System.err.println("segment " + segment + "; pg_stat_archiver: "
                    + one(p, "SELECT row(a.*)::text FROM pg_stat_archiver a") + "; now at "
                    + one(p, "SELECT pg_walfile_name(pg_current_wal_lsn())"));
            System.err.println(ClusterFixture.serverLog(c, p));
            System.err.println(agentLog(c, p));
            for (List<String> cmd : List.of(
                    List.of(
                            "sh",
                            "-c",
                            "ls -la " + spool + " " + spool + "/replies " + spool + "/pushed "
                                    + spool.resolveSibling("data") + "/pg_wal/archive_status;"
                                    + " ps -eo pid,ppid,etimes,stat,args | grep -E 'call.sh|archiver|pgha';"
                                    // PostgreSQL's own log (the logging collector's): the archiver's attempts
                                    + " tail -n 40 " + spool.resolveSibling("data.log.d") + "/*"),
                    List.of(
                            "setpriv",
                            "--reuid=postgres",
                            "--regid=postgres",
                            "--init-groups",
                            "--",
                            "jstack",
                            "" + pid))) {
                Process d = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                System.err.println(
                        new String(d.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
                d.waitFor(20, TimeUnit.SECONDS);
            }
            throw e;
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> archived(p, segment));
        assertThat(one(p, "SELECT failed_count FROM pg_stat_archiver")).isEqualTo("0");
        Path dest = Files.createTempDirectory(Path.of("/tmp"), "pgha-it-get");
        try {
            Files.setPosixFilePermissions(dest, PosixFilePermissions.fromString("rwxrwxrwx"));
            assertThat(callWithoutFallback(
                            spool, "get", segment, dest.resolve("seg").toString()))
                    .as("the agent's archive server answered a get, as PostgreSQL's OS user")
                    .isZero();
            assertThat(Files.size(dest.resolve("seg")))
                    .isEqualTo(Long.parseLong(one(p, "SELECT pg_size_bytes(current_setting('wal_segment_size'))")));
            assertThat(callWithoutFallback(
                            spool, "get", "0000000F.history", dest.resolve("h").toString()))
                    .as("not in the archive")
                    .isEqualTo(1);
        } finally {
            io.pgha.postgres.Directories.delete(dest);
        }
        // killed, the server is started again, and archiving goes on
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        long again =
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> serverPid(spool), n -> n != pid);
        assertThat(again).isNotEqualTo(pid);
        String next = switchWal(p);
        await().atMost(Duration.ofSeconds(30)).until(() -> archived(p, next));
    }

    @Test
    @Order(3)
    void aNewMemberIsBuiltFromTheLatestBackupInsteadOfThePrimary() throws Exception {
        // the latest backup is the one taken from a standby by the previous test
        int p = primary();
        exec(p, "INSERT INTO t SELECT generate_series(1001, 2000)");
        int s = p == 3 ? 2 : 3;
        c.kill(s);
        io.pgha.postgres.Directories.delete(
                c.config(s).resolveSibling("node" + s).resolve("data"));
        int logBefore = agentLog(c, s).length();
        c.start(s);
        ClusterFixture.awaitHealthy(c, 3);
        await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(() -> count(c, s, "SELECT count(*) FROM t") == 2000);
        assertThat(agentLog(c, s).substring(logBefore))
                .contains("creating this replica from the newest backup", "restored in")
                .doesNotContain("Executor: cloning from");
    }

    @Test
    @Order(2)
    void aBackupFromAStandbyIsComplete() throws Exception {
        int p = primary();
        int s = p == 1 ? 2 : 1;
        Path sData = c.config(s).resolveSibling("node" + s).resolve("data");
        // from a standby, the backup's last segment is archived when the primary finishes it
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread switcher = new Thread(() -> {
            while (!done.get()) {
                try {
                    Thread.sleep(1000);
                    exec(p, "SELECT pg_switch_wal()");
                } catch (Exception ignored) {
                    // the next round tries again
                }
            }
        });
        switcher.start();
        ClusterFixture.Run b;
        try {
            b = pgha(
                    "backup",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    String.valueOf(c.pgPort(s)),
                    "-D",
                    sData.toString(),
                    "-c",
                    c.config(s).toString(),
                    "--format",
                    "json");
        } finally {
            done.set(true);
            switcher.join();
        }
        assertThat(b.exitCode()).as(b.out() + b.err()).isZero();
        assertThat(b.out()).contains("\"from_standby\" : true");
        ClusterFixture.Run v = pgha("backup", "verify", "-c", c.config(s).toString());
        assertThat(v.exitCode()).as(v.out() + v.err()).isZero();
    }

    @Test
    @Order(4)
    void aStandbyThatFellBehindThePrimarysWalCatchesUpFromTheArchive() throws Exception {
        int p = primary();
        int s = p == 1 ? 2 : 1;
        Path marker = Files.writeString(
                c.config(s).resolveSibling("node" + s).resolve("data/pgha-it-marker"), "not re-cloned");
        exec(
                p,
                "ALTER SYSTEM SET wal_keep_size = 0",
                "ALTER SYSTEM SET max_slot_wal_keep_size = '4MB'",
                "SELECT pg_reload_conf()");
        c.kill(s);
        for (int round = 0; round < 8; round++) {
            exec(p, "INSERT INTO t SELECT generate_series(1, 20000)", "SELECT pg_switch_wal()");
        }
        exec(p, "CHECKPOINT");
        String slot = io.pgha.postgres.ConfigFiles.slotName("node" + s);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            exec(p, "CHECKPOINT");
            return !one(
                            p,
                            "SELECT coalesce((SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + slot
                                    + "'), 'gone')")
                    .matches("reserved|extended");
        });
        long want = count(c, p, "SELECT count(*) FROM t");
        String logBefore = agentLog(c, s);
        c.start(s);
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .until(() -> count(c, s, "SELECT count(*) FROM t") == want);
        assertThat(marker).as("caught up in place, not re-cloned").exists();
        assertThat(ClusterFixture.serverLog(c, s))
                .as("WAL came from the archive")
                .containsPattern("restored log file \"[0-9A-F]{24}\" from archive");
        String after = agentLog(c, s).substring(logBefore.length());
        assertThat(after).doesNotContain("Executor: cloning from").doesNotContain("creating this replica");
        exec(
                p,
                "ALTER SYSTEM RESET wal_keep_size",
                "ALTER SYSTEM RESET max_slot_wal_keep_size",
                "SELECT pg_reload_conf()");
        ClusterFixture.awaitHealthy(c, 3);
    }

    @Test
    @Order(5)
    void afterAFailoverADeposedPrimaryCannotArchiveItsOldTimelinePastTheSwitch() throws Exception {
        int old = primary();
        int oldTl = Integer.parseInt(one(old, "SELECT timeline_id FROM pg_control_checkpoint()"));
        c.freezeAgent(old); // its PostgreSQL runs on, unsupervised, and still takes writes
        try {
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(300))
                    .ignoreExceptions()
                    .until(() -> !leader(c).equals("node" + old)
                            && ClusterFixture.member(c, leader(c)).isRunningPrimary());
            String history = String.format("%08X.history", oldTl + 1);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(repo.resolve("wal").resolve(history)));
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            new DirectoryRepository(repo).list("wal").stream().anyMatch(n -> n.endsWith(".partial")));
            // the deposed primary writes on and finishes a segment of its old timeline
            exec(old, "INSERT INTO t SELECT generate_series(1, 30000)", "SELECT pg_switch_wal()");
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> Long.parseLong(one(old, "SELECT failed_count FROM pg_stat_archiver")) > 0);
            String newest = one(old, "SELECT last_failed_wal FROM pg_stat_archiver");
            assertThat(newest).startsWith(String.format("%08X", oldTl));
            assertThat(repo.resolve("wal").resolve(newest))
                    .as("refused: past the switch point of timeline " + (oldTl + 1))
                    .doesNotExist();
            String log = ClusterFixture.serverLog(c, old);
            assertThat(log).contains("past its end at");
        } finally {
            c.thawAgent(old);
        }
        ClusterFixture.awaitHealthy(c, 3);
        List<ArchiveInfo.Timeline> tls =
                ArchiveInfo.of(new DirectoryRepository(repo)).timelines();
        assertThat(tls).anyMatch(t -> t.timeline() == oldTl + 1 && t.history());
    }

    @Test
    @Order(6)
    void anArchiveThatCannotBeWrittenShowsAsFallingBehindAndLosesNothing() throws Exception {
        int p = primary();
        Path wal = repo.resolve("wal");
        java.util.Set<java.nio.file.attribute.PosixFilePermission> before = Files.getPosixFilePermissions(wal);
        Files.setPosixFilePermissions(
                wal, PosixFilePermissions.fromString("r-xr-xr-x")); // PostgreSQL's OS user cannot add files
        try {
            for (int i = 0; i < 3; i++)
                exec(p, "INSERT INTO t SELECT generate_series(1, 1000)", "SELECT pg_switch_wal()");
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            pgha("list", "-c", c.config(1).toString()).out().contains("FAILING at"));
            HttpResponse<String> m = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.apiPort(p) + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(m.body())
                    .containsPattern("pgha_archive_failing\\{[^}]*\\} 1")
                    .containsPattern("pgha_archive_pending_files\\{[^}]*\\} [1-9]");
            assertThat(ClusterFixture.serverLog(c, p)).contains("is not writable");
        } finally {
            Files.setPosixFilePermissions(wal, before);
        }
        String last = one(p, "SELECT pg_walfile_name(pg_current_wal_lsn())");
        exec(p, "SELECT pg_switch_wal()");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> pgha("list", "-c", c.config(1).toString())
                        .out()
                        .contains("WAL archive (from node" + p + "): ok"));
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(wal.resolve(last)));
        ArchiveInfo info = ArchiveInfo.of(new DirectoryRepository(repo));
        int tl = Integer.parseInt(last.substring(0, 8), 16);
        assertThat(info.timelines())
                .filteredOn(t -> t.timeline() == tl)
                .singleElement()
                .satisfies(t -> assertThat(t.gaps())
                        .as("every segment PostgreSQL kept while the archive failed got there")
                        .isEmpty());
    }
}
