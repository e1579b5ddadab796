package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exit codes PostgreSQL acts on: 1 only for "not archived", never for a broken setup. */
class ArchiveCommandTest {
    private static final String SEG = "00000001000000000000000A";

    @TempDir
    Path tmp;

    private int pgha(String... args) {
        return Main.run(args);
    }

    @Test
    void exitCodesTellMissingFromBrokenAndNeverOverwrite() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Path seg = Files.write(tmp.resolve(SEG), new byte[] {1, 2, 3, 4});
        String r = repo.toString();
        assertThat(pgha("archive", "push", seg.toString(), "--repo", r)).isZero();
        assertThat(pgha("archive", "push", seg.toString(), "--repo", r))
                .as("same bytes again")
                .isZero();
        Files.write(seg, new byte[] {9, 9, 9});
        assertThat(pgha("archive", "push", seg.toString(), "--repo", r))
                .as("different bytes")
                .isEqualTo(5);
        Path dest = tmp.resolve("out");
        assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", r)).isZero();
        assertThat(Files.readAllBytes(dest)).as("the first version stayed").containsExactly(1, 2, 3, 4);
        assertThat(pgha("archive", "get", "00000001000000000000000B", dest.toString(), "--repo", r))
                .as("not archived")
                .isEqualTo(1);
        assertThat(pgha(
                        "archive",
                        "get",
                        SEG,
                        dest.toString(),
                        "--repo",
                        tmp.resolve("gone").toString()))
                .as("no repository")
                .isEqualTo(3);
        assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", "relative/dir"))
                .as("usage, not 'missing'")
                .isEqualTo(2);
        assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", r, "--compression", "gzip"))
                .isEqualTo(2);
        assertThat(pgha("archive", "get", "../../etc/passwd", dest.toString(), "--repo", r))
                .isEqualTo(2);
        assertThat(pgha(
                        "archive",
                        "push",
                        tmp.resolve("000000010000000000000099").toString(),
                        "--repo",
                        r))
                .as("no such file")
                .isEqualTo(3);
        assertThat(pgha("archive", "info", "--repo", r, "--format", "json")).isZero();
        assertThat(pgha("archive", "info", "--repo", tmp.resolve("gone").toString()))
                .isEqualTo(3);
        Files.write(repo.resolve("wal").resolve(SEG), new byte[64]);
        assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", r))
                .as("corrupt")
                .isEqualTo(4);
    }

    private static Path pgWal(Path dir, int first, int count) throws Exception {
        Path wal = Files.createDirectories(dir.resolve("pg_wal/archive_status"));
        for (int i = first; i < first + count; i++) {
            String n = String.format("0000000100000000%08X", i);
            byte[] b = new byte[1 << 16];
            new java.util.Random(i).nextBytes(b);
            Files.write(wal.getParent().resolve(n), b);
            Files.writeString(wal.resolve(n + ".ready"), "");
        }
        return wal.getParent();
    }

    @Test
    void aNodeConfigNamesTheRepository() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Path cfg = Files.writeString(tmp.resolve("node.yml"), """
        cluster: c
        name: n1
        data_dir: %1$s/data
        dcs: {zookeeper: {connect: "127.0.0.1:1"}}
        archive: {repo: %2$s, compression: lz4}
        """.formatted(tmp, repo));
        Path seg = Files.write(tmp.resolve(SEG), new byte[] {1, 2, 3, 4});
        assertThat(pgha("archive", "push", seg.toString(), "-c", cfg.toString()))
                .isZero();
        try (var in = Files.newInputStream(repo.resolve("wal").resolve(SEG))) {
            assertThat(io.pgha.archive.StoredFile.readHeader(in, SEG).compression())
                    .isEqualTo(io.pgha.archive.Compression.LZ4);
        }
        Path noArchive = Files.writeString(tmp.resolve("plain.yml"), """
        cluster: c
        name: n1
        data_dir: %1$s/data
        dcs: {zookeeper: {connect: "127.0.0.1:1"}}
        """.formatted(tmp));
        assertThat(pgha("archive", "push", seg.toString(), "-c", noArchive.toString()))
                .as("no archive: section")
                .isEqualTo(2);
        Path bad = Files.writeString(tmp.resolve("bad.yml"), """
        cluster: c
        name: n1
        data_dir: %1$s/data
        dcs: {zookeeper: {connect: "127.0.0.1:1"}}
        archive: {repo: "ftp://x/y"}
        """.formatted(tmp));
        assertThat(pgha("archive", "push", seg.toString(), "-c", bad.toString()))
                .isEqualTo(2);
        assertThat(pgha("archive", "push", seg.toString()))
                .as("no repository at all")
                .isEqualTo(2);
    }

    @Test
    void pushAheadMarksEveryReadyFileSoLaterCallsOnlyConfirm() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Path wal = pgWal(tmp, 1, 6);
        Path spool = tmp.resolve("spool");
        Path first = wal.resolve("000000010000000000000001");
        assertThat(pgha(
                        "archive",
                        "push",
                        first.toString(),
                        "--repo",
                        repo.toString(),
                        "--spool",
                        spool.toString(),
                        "--parallel",
                        "3"))
                .isZero();
        assertThat(new io.pgha.archive.DirectoryRepository(repo).list("wal"))
                .as("all six pushed by the first call")
                .hasSize(6);
        Path second = wal.resolve("000000010000000000000002");
        String stamp = io.pgha.archive.Spool.stamp(second);
        assertThat(Files.readString(spool.resolve("pushed/000000010000000000000002")))
                .isEqualTo(stamp);
        // the exact shell test the agent puts in archive_command confirms without a JVM
        Process sh = new ProcessBuilder(
                        "sh",
                        "-c",
                        "test \"$(stat -c %i.%s.%Y " + second + ")\" = \"$(cat " + spool
                                + "/pushed/000000010000000000000002)\"")
                .start();
        assertThat(sh.waitFor()).isZero();
        // the repository is gone: the marked file is confirmed from the spool, an unmarked one fails
        Files.move(repo, tmp.resolve("repo-away"));
        assertThat(pgha("archive", "push", second.toString(), "--repo", repo.toString(), "--spool", spool.toString()))
                .isZero();
        assertThat(spool.resolve("pushed/000000010000000000000002"))
                .as("marker used once")
                .doesNotExist();
        Path other = pgWal(tmp.resolve("other"), 9, 1).resolve("000000010000000000000009");
        assertThat(pgha("archive", "push", other.toString(), "--repo", repo.toString(), "--spool", spool.toString()))
                .isEqualTo(3);
        // a different file under a marked name is not confirmed
        Files.move(tmp.resolve("repo-away"), repo);
        Path third = wal.resolve("000000010000000000000003");
        Files.write(third, new byte[] {7});
        assertThat(pgha("archive", "push", third.toString(), "--repo", repo.toString(), "--spool", spool.toString()))
                .as("conflict, not confirmed")
                .isEqualTo(5);
    }

    @Test
    void asyncPushLeavesTheRestToABackgroundPusherThatEndsWithPostgres() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Path wal = pgWal(tmp.resolve("data"), 1, 8);
        Path pid = Files.writeString(wal.getParent().resolve("postmaster.pid"), "1\n");
        Path spool = tmp.resolve("spool");
        assertThat(pgha(
                        "archive",
                        "push",
                        wal.resolve("000000010000000000000001").toString(),
                        "--repo",
                        repo.toString(),
                        "--spool",
                        spool.toString(),
                        "--async",
                        "--parallel",
                        "2"))
                .isZero();
        // The command itself archived its own file; the background pusher (a separate process) does the rest.
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(30))
                .until(() -> new io.pgha.archive.DirectoryRepository(repo)
                                .list("wal")
                                .size()
                        == 8);
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> Files.exists(spool.resolve("pushed/000000010000000000000008")));
        for (int i = 2; i <= 8; i++) {
            Path f = wal.resolve(String.format("0000000100000000%08X", i));
            assertThat(Files.readString(spool.resolve("pushed").resolve(f.getFileName())))
                    .isEqualTo(io.pgha.archive.Spool.stamp(f));
        }
        Files.delete(pid); // PostgreSQL is gone: the pusher ends
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .until(() -> {
                    var l = ArchiveCommand.Serve.lock(spool);
                    if (l == null) return false;
                    l.channel().close();
                    return true;
                });
    }

    @Test
    void prefetchServesTheNextSegmentsFromTheQueueOutsidePgWal() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Path wal = pgWal(tmp, 1, 5);
        for (int i = 1; i <= 5; i++)
            assertThat(pgha(
                            "archive",
                            "push",
                            wal.resolve(String.format("0000000100000000%08X", i))
                                    .toString(),
                            "--repo",
                            repo.toString()))
                    .isZero();
        Path spool = tmp.resolve("spool");
        Path dest = tmp.resolve("RECOVERYXLOG");
        assertThat(pgha(
                        "archive",
                        "get",
                        "000000010000000000000001",
                        dest.toString(),
                        "--repo",
                        repo.toString(),
                        "--spool",
                        spool.toString(),
                        "--prefetch",
                        "3"))
                .isZero();
        assertThat(Files.readAllBytes(dest)).isEqualTo(Files.readAllBytes(wal.resolve("000000010000000000000001")));
        assertThat(spool.resolve("prefetched"))
                .isDirectoryContaining(p -> p.getFileName().toString().equals("000000010000000000000004"));
        Files.move(repo, tmp.resolve("repo-away"));
        assertThat(pgha(
                        "archive",
                        "get",
                        "000000010000000000000002",
                        dest.toString(),
                        "--repo",
                        repo.toString(),
                        "--spool",
                        spool.toString()))
                .as("from the queue")
                .isZero();
        assertThat(Files.readAllBytes(dest)).isEqualTo(Files.readAllBytes(wal.resolve("000000010000000000000002")));
        assertThat(pgha(
                        "archive",
                        "get",
                        "000000010000000000000005",
                        dest.toString(),
                        "--repo",
                        repo.toString(),
                        "--spool",
                        spool.toString()))
                .as("not queued, repository gone: an error, not 'missing'")
                .isEqualTo(3);
        Files.move(tmp.resolve("repo-away"), repo);
        assertThat(pgha(
                        "archive",
                        "get",
                        "000000010000000000000004",
                        dest.toString(),
                        "--repo",
                        repo.toString(),
                        "--spool",
                        spool.toString()))
                .isZero();
        assertThat(spool.resolve("prefetched/000000010000000000000003"))
                .as("recovery moved past it")
                .doesNotExist();
        assertThat(pgha(
                        "archive",
                        "get",
                        "000000010000000000000006",
                        dest.toString(),
                        "--repo",
                        repo.toString(),
                        "--spool",
                        spool.toString()))
                .isEqualTo(1);
    }

    @Test
    void anSftpRepositoryWorksFromTheCommandLine() throws Exception {
        try (io.pgha.testkit.SftpServer server = io.pgha.testkit.SftpServer.start(
                Files.createDirectories(tmp.resolve("served/archive")).getParent(), tmp.resolve("keys"))) {
            Path seg = Files.write(tmp.resolve(SEG), new byte[] {1, 2, 3, 4});
            String[] sftp = {
                "--repo",
                server.uri("/archive"),
                "--sftp-key",
                server.clientKey().toString(),
                "--sftp-known-hosts",
                server.knownHosts().toString()
            };
            assertThat(pgha(concat(new String[] {"archive", "push", seg.toString()}, sftp)))
                    .isZero();
            Path dest = tmp.resolve("out");
            assertThat(pgha(concat(new String[] {"archive", "get", SEG, dest.toString()}, sftp)))
                    .isZero();
            assertThat(Files.readAllBytes(dest)).containsExactly(1, 2, 3, 4);
            assertThat(pgha(concat(new String[] {"archive", "get", "00000001000000000000000B", dest.toString()}, sftp)))
                    .isEqualTo(1);
            assertThat(pgha(concat(new String[] {"archive", "info"}, sftp))).isZero();
            String[] wrongKey = sftp.clone();
            wrongKey[3] = server.unknownKey().toString();
            assertThat(pgha(concat(new String[] {"archive", "get", SEG, dest.toString()}, wrongKey)))
                    .as("login refused: not 'missing'")
                    .isEqualTo(3);
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
