package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.config.NodeConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
            await().atMost(Duration.ofSeconds(20)).until(() -> lines(calls) == 1);
            await().atMost(Duration.ofSeconds(20)).alias("the stand-in ended").until(() -> keeper.pid() <= 0);
            keeper.check(); // it ended at once: not started again right away
            keeper.check();
            await().during(Duration.ofMillis(300))
                    .atMost(Duration.ofSeconds(2))
                    .alias("not started again within its back-off")
                    .until(() -> lines(calls) == 1);
            List<String> lines = Files.readAllLines(calls, StandardCharsets.UTF_8);
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
            await().during(Duration.ofMillis(200))
                    .atMost(Duration.ofSeconds(2))
                    .until(() -> keeper.pid() == -1 && !Files.exists(calls));
        }
    }

    private static int lines(Path file) throws java.io.IOException {
        return Files.exists(file)
                ? Files.readAllLines(file, StandardCharsets.UTF_8).size()
                : 0;
    }
}
