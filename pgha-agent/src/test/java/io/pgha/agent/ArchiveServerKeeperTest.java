package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.NodeConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keeper of the archive server, with a stand-in for pgha that records its arguments and exits
 * at once (the real server runs in ArchiveClusterIT).
 */
class ArchiveServerKeeperTest {
    @TempDir
    Path tmp;

    @Test
    void startsTheServerAsPostgresqlsUserWithTheAgentToWatchAndBacksOffWhenItCannotRun() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path calls = tmp.resolve("calls");
        Path fake = Files.writeString(tmp.resolve("fake-pgha"), "echo \"$(id -un) $*\" >> " + calls + "\nexit 3\n");
        NodeConfig cfg = FakeView.config(Map.of(
                "data_dir", tmp.resolve("data").toString(),
                "archive.repo", tmp.resolve("repo").toString(),
                "archive.spool", tmp.resolve("spool").toString()));
        ArchiveServerKeeper keeper = new ArchiveServerKeeper(cfg, "sh " + fake, () -> 4242);
        try {
            keeper.check();
            waitForLines(calls, 1);
            awaitEnd(keeper);
            keeper.check(); // it ended at once: not started again right away
            keeper.check();
            Thread.sleep(300);
            List<String> lines = Files.readAllLines(calls, StandardCharsets.UTF_8);
            assertThat(lines).hasSize(1);
            String user = "root".equals(System.getProperty("user.name")) ? "postgres" : System.getProperty("user.name");
            assertThat(lines.get(0))
                    .startsWith(user + " archive serve --pg-wal " + tmp.resolve("data/pg_wal"))
                    .contains("--spool " + tmp.resolve("spool"), "--idle 0", "--repo " + tmp.resolve("repo"))
                    .endsWith("--watch-pid " + ProcessHandle.current().pid());
        } finally {
            keeper.close();
        }
    }

    @Test
    void noServerWhilePostgresqlIsNotRunning() throws Exception {
        Path calls = tmp.resolve("calls");
        Path fake = Files.writeString(tmp.resolve("fake-pgha"), "echo started >> " + calls + "\n");
        NodeConfig cfg =
                FakeView.config(Map.of("archive.repo", tmp.resolve("repo").toString()));
        try (ArchiveServerKeeper keeper = new ArchiveServerKeeper(cfg, "sh " + fake, () -> -1)) {
            keeper.check();
            Thread.sleep(200);
            assertThat(keeper.pid()).isEqualTo(-1);
            assertThat(calls).doesNotExist();
        }
    }

    private static void waitForLines(Path file, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!Files.exists(file) || Files.readAllLines(file).size() < n) {
            assertThat(System.nanoTime() - deadline).as("waited for " + file).isNegative();
            Thread.sleep(20);
        }
    }

    private static void awaitEnd(ArchiveServerKeeper keeper) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (keeper.pid() > 0) {
            assertThat(System.nanoTime() - deadline).as("the stand-in ended").isNegative();
            Thread.sleep(20);
        }
    }
}
