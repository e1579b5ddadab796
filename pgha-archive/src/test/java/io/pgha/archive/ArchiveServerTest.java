package io.pgha.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive server and its shell client, as archive_command and restore_command run them: real
 * FIFOs, the real call.sh under /bin/sh, a directory repository. FALLBACK is a command that leaves a
 * file behind, so each test sees whether the server answered or the fallback ran.
 */
class ArchiveServerTest {
    private static final String SEG = "000000010000000000000003";

    @TempDir
    Path tmp;

    private Path pgWal;
    private Spool spool;
    private WalArchive archive;
    private ArchiveServer server;

    @BeforeEach
    void setUp() throws Exception {
        pgWal = Files.createDirectories(tmp.resolve("data/pg_wal/archive_status"))
                .getParent();
        spool = new Spool(tmp.resolve("spool"));
        archive =
                new WalArchive(new DirectoryRepository(Files.createDirectories(tmp.resolve("repo"))), Compression.ZSTD);
        server = new ArchiveServer(archive, spool, pgWal, 2, 3);
        server.start();
    }

    @AfterEach
    void tearDown() {
        if (server != null) server.close();
    }

    private Path segment(String name, long seed) throws Exception {
        byte[] b = new byte[256 * 1024];
        byte[] written = new byte[96 * 1024];
        new Random(seed).nextBytes(written);
        System.arraycopy(written, 0, b, 0, written.length);
        return Files.write(pgWal.resolve(name), b);
    }

    private static void waitUntil(java.util.concurrent.Callable<Boolean> done) {
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(done);
    }

    record Call(int exitCode, String err, boolean fellBack) {}

    /** Runs call.sh as PostgreSQL would (cwd: the data directory), with a fallback that marks it ran. */
    private Call call(String... args) throws Exception {
        Path marker = tmp.resolve("fallback-ran");
        Files.deleteIfExists(marker);
        List<String> cmd = new ArrayList<>(List.of(
                "sh", spool.dir().resolve("call.sh").toString(), spool.dir().toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--", "sh", "-c", "touch " + marker + "; exit 7"));
        Process p = new ProcessBuilder(cmd)
                .directory(pgWal.getParent().toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("call.sh ended").isTrue();
        return new Call(p.exitValue(), err, Files.exists(marker));
    }

    @Test
    void aPushIsAnsweredByTheServerAndTheFileIsArchived() throws Exception {
        Path seg = segment(SEG, 1);
        Call c = call("push", SEG);
        assertThat(c.fellBack()).as(c.err()).isFalse();
        assertThat(c.exitCode()).as(c.err()).isZero();
        Path back = tmp.resolve("back");
        assertThat(archive.get(SEG, back)).isEqualTo(WalArchive.GetResult.RESTORED);
        assertThat(Files.readAllBytes(back)).isEqualTo(Files.readAllBytes(seg));
        assertThat(call("push", SEG).exitCode())
                .as("pushed again: already archived, same bytes")
                .isZero();
        assertThat(server.served()).isEqualTo(2);
    }

    @Test
    void aPushOfAMissingFileOrOfDifferentBytesFailsWithTheServersMessage() throws Exception {
        Call missing = call("push", SEG);
        assertThat(missing.exitCode()).isEqualTo(3);
        assertThat(missing.fellBack()).isFalse();
        assertThat(missing.err()).contains("no such file to archive").contains(SEG);
        segment(SEG, 1);
        assertThat(call("push", SEG).exitCode()).isZero();
        segment(SEG, 2);
        Call conflict = call("push", SEG);
        assertThat(conflict.exitCode())
                .as("pgha archive push's exit code for a conflict")
                .isEqualTo(5);
        assertThat(conflict.err()).contains("already archived").contains("different content");
    }

    @Test
    void aGetIsMovedIntoPlaceAndTheNextSegmentsArePrefetchedAfterTheAnswer() throws Exception {
        List<String> names =
                List.of(SEG, "000000010000000000000004", "000000010000000000000005", "000000010000000000000006");
        List<byte[]> bytes = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            bytes.add(Files.readAllBytes(segment(names.get(i), i)));
            archive.push(pgWal.resolve(names.get(i)));
            Files.delete(pgWal.resolve(names.get(i)));
        }
        Call c = call("get", SEG, "pg_wal/RECOVERYXLOG");
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(c.fellBack()).isFalse();
        assertThat(Files.readAllBytes(pgWal.resolve("RECOVERYXLOG"))).isEqualTo(bytes.get(0));
        waitUntil(() -> spool.prefetched().equals(names.subList(1, 4)));
        Call next = call("get", names.get(1), "pg_wal/RECOVERYXLOG");
        assertThat(next.exitCode()).isZero();
        assertThat(Files.readAllBytes(pgWal.resolve("RECOVERYXLOG"))).isEqualTo(bytes.get(1));
        assertThat(spool.prefetched()).doesNotContain(names.get(1));
    }

    @Test
    void aGetOfWhatTheArchiveDoesNotHoldExitsOneWithoutTheFallback() throws Exception {
        Call c = call("get", "00000002.history", "pg_wal/RECOVERYHISTORY");
        assertThat(c.exitCode()).isEqualTo(1);
        assertThat(c.fellBack())
                .as("'missing' is an answer: no JVM starts for it")
                .isFalse();
        assertThat(pgWal.resolve("RECOVERYHISTORY")).doesNotExist();
    }

    @Test
    void readyFilesArePushedAheadAndMarkedSoTheCallOnlyConfirms() throws Exception {
        segment(SEG, 1);
        Files.createFile(pgWal.resolve("archive_status/" + SEG + ".ready"));
        assertThat(server.pushReady()).isEqualTo(1);
        waitUntil(() -> spool.isMarked(SEG));
        assertThat(server.pushReady()).as("marked: not pushed again").isZero();
        assertThat(call("push", SEG).exitCode()).isZero();
        assertThat(spool.isMarked(SEG)).as("the call confirmed the marker").isFalse();
        assertThat(server.pushReady())
                .as("just confirmed (PostgreSQL renames .ready after the answer): not pushed again")
                .isZero();
    }

    @Test
    void aFailedPushAheadPausesPushAheadInsteadOfHammeringTheRepository() throws Exception {
        segment(SEG, 1);
        Files.createFile(pgWal.resolve("archive_status/" + SEG + ".ready"));
        Path repo = tmp.resolve("repo");
        Files.move(repo, tmp.resolve("repo-away"));
        assertThat(server.pushReady()).isEqualTo(1);
        waitUntil(() -> !server.busy());
        assertThat(server.pushReady()).as("paused after the failure").isZero();
        assertThat(spool.isMarked(SEG)).isFalse();
        Call failing = call("push", SEG);
        assertThat(failing.exitCode()).as("the call fails too, and says why").isEqualTo(3);
        assertThat(failing.err()).contains("repo");
        Files.move(tmp.resolve("repo-away"), repo);
        assertThat(call("push", SEG).exitCode())
                .as("a failed push is not remembered: the next call pushes again")
                .isZero();
        Files.delete(pgWal.resolve("archive_status/" + SEG + ".ready"));
        segment("000000010000000000000004", 2);
        Files.createFile(pgWal.resolve("archive_status/000000010000000000000004.ready"));
        waitUntil(() -> server.pushReady() == 1); // the pause (1 s) is over
        waitUntil(() -> spool.isMarked("000000010000000000000004"));
    }

    @Test
    void aServerClosedRightAfterItsStartStops() {
        server.close();
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < 20; i++) {
                ArchiveServer s = new ArchiveServer(archive, spool, pgWal, 1, 0);
                s.start();
                s.close(); // before its reader thread may have read anything
            }
        });
        assertThat(spool.dir().resolve("server.pid")).doesNotExist();
    }

    @Test
    void withNoServerTheFallbackRuns() throws Exception {
        server.close();
        assertThat(spool.dir().resolve("server.pid")).doesNotExist();
        Call c = call("push", SEG);
        assertThat(c.fellBack()).isTrue();
        assertThat(c.exitCode()).as("the fallback's exit code").isEqualTo(7);
    }

    @Test
    void aServerThatEndsBeforeItAnswersHandsTheCallToTheFallback() throws Exception {
        server.close();
        // a "server" that reads no call and ends after a second; the pid file names it
        Process fake = new ProcessBuilder("sleep", "1").start();
        try {
            Files.writeString(spool.dir().resolve("server.pid"), fake.pid() + "\n");
            Call c = call("push", SEG);
            assertThat(c.fellBack()).as(c.err()).isTrue();
            assertThat(c.exitCode()).isEqualTo(7);
        } finally {
            fake.destroyForcibly();
        }
    }

    @Test
    void malformedCallsAndForeignReplyPathsAreDroppedAndTheServerGoesOn() throws Exception {
        Path calls = spool.dir().resolve("calls");
        Path victim = Files.writeString(tmp.resolve("victim"), "untouched");
        // the pids of processes that outlive the test (this JVM, its parent): a fixed number could be
        // the pid call.sh runs as below, whose reply path would then be taken (it was, in a CI run)
        long linked = ProcessHandle.current().pid();
        long plain = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        Files.createSymbolicLink(spool.dir().resolve("replies/" + linked), victim);
        Files.writeString(spool.dir().resolve("replies/" + plain), "a plain file");
        try (var out = Files.newOutputStream(calls, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] junk = new byte[3000];
            new Random(7).nextBytes(junk);
            for (int i = 0; i < junk.length; i++) if (junk[i] == '\n') junk[i] = 'x';
            out.write(junk);
            out.write('\n');
            out.write(("push 1 ../../etc/passwd\n"
                            + "get " + linked + " " + SEG + "\n"
                            + "push " + plain + " " + SEG + "\n"
                            + "delete 1 " + SEG + "\n"
                            + "push -1 " + SEG + "\n"
                            + "push 99999999999 " + SEG + "\n"
                            + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        segment(SEG, 1);
        Call c = call("push", SEG);
        assertThat(c.exitCode()).as(c.err()).isZero();
        assertThat(c.fellBack()).isFalse();
        assertThat(victim).hasContent("untouched");
        assertThat(spool.dir().resolve("replies/" + plain)).hasContent("a plain file");
        Call bad = call("push", "../../../etc/passwd");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("is not a WAL file name");
    }
}
