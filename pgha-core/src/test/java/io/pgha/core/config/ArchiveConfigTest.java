package io.pgha.core.config;

import static io.pgha.core.config.ConfigReaderTest.set;
import static io.pgha.core.config.ConfigReaderTest.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ArchiveConfigTest {

    @Test
    void defaultsAndTheCommandsTheAgentWrites() {
        Map<String, Object> doc = valid();
        set(doc, "archive.repo", "sftp://backup@vault:2222/srv/pgha");
        ArchiveConfig a = ConfigReader.read(doc).archive();
        assertThat(a.compression()).isEqualTo("zstd");
        assertThat(a.parallel()).isEqualTo(4);
        assertThat(a.prefetch()).isEqualTo(8);
        assertThat(a.retentionFull()).isEqualTo(2);
        assertThat(a.spool()).isEqualTo("/var/lib/pgha/db1/data.archive-spool");
        assertThat(a.replicasFromBackup()).isFalse();
        String push = a.archiveCommand("/opt/pgha/pgha");
        // PostgreSQL replaces %p and %f, and %% becomes %: the shell gets stat -c %i.%s.%Y
        assertThat(push)
                .startsWith("s=/var/lib/pgha/db1/data.archive-spool; m=$(cat \"$s\"/pushed/%f 2>/dev/null)"
                        + " && [ -n \"$m\" ] && [ \"$(stat -c %%i.%%s.%%Y %p)\" = \"$m\" ] && rm -f \"$s\"/pushed/%f")
                .contains("|| { set --; test -f \"$s\"/call.sh && set -- sh \"$s\"/call.sh \"$s\" push %f --;"
                        + " exec \"$@\" /opt/pgha/pgha archive push %p --async --spool \"$s\" --parallel 4")
                .contains("--repo sftp://backup@vault:2222/srv/pgha --compression zstd; }");
        assertThat(a.restoreCommand("/opt/pgha/pgha"))
                .startsWith("s=/var/lib/pgha/db1/data.archive-spool; test -f \"$s\"/prefetched/%f && mv -f")
                .contains("call.sh \"$s\" get %f %p --; exec \"$@\" /opt/pgha/pgha archive get %f %p --spool \"$s\"")
                .contains("--prefetch 8");
        assertThat(a.archiveCommand("'/opt/my pgha/java' -Xmx64m -jar x.jar"))
                .contains("exec \"$@\" '/opt/my pgha/java' -Xmx64m -jar x.jar archive push");
        assertThat(a.archiveCommandTooLong("/opt/pgha/pgha", 15)).isNull();
        assertThat(a.archiveCommandTooLong("/opt/" + "x".repeat(600) + "/pgha", 15))
                .contains("PostgreSQL 15 cuts it at 1023");
        assertThat(a.archiveCommandTooLong("/opt/" + "x".repeat(600) + "/pgha", 16))
                .isNull();
        assertThat(a.serveArgs("/var/lib/pgha/db1/data/pg_wal"))
                .containsSubsequence("archive", "serve", "--pg-wal", "/var/lib/pgha/db1/data/pg_wal", "--spool")
                .containsSubsequence(
                        "--idle", "0", "--repo", "sftp://backup@vault:2222/srv/pgha", "--compression", "zstd");
        assertThat(ArchiveConfig.arg("/srv/100% full")).isEqualTo("'/srv/100%% full'");
    }

    /** Runs archive_command as PostgreSQL would (after replacing %p, %f and %%), with pgha replaced by {@code false}. */
    private static int runArchiveCommand(ArchiveConfig a, Path segment) throws Exception {
        String cmd = a.archiveCommand("false")
                .replace("%p", segment.toString())
                .replace("%f", segment.getFileName().toString())
                .replace("%%", "%");
        Process p =
                new ProcessBuilder("sh", "-c", cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    /** The archive section with its spool under {@code tmp}. */
    private static ArchiveConfig withSpoolIn(Path tmp) {
        Map<String, Object> doc = valid();
        set(doc, "archive.repo", "/srv/archive");
        set(doc, "archive.spool", tmp.resolve("spool").toString());
        return ConfigReader.read(doc).archive();
    }

    @Test
    void theShellFastPathConfirmsOnlyAFileWhoseMarkerMatchesAndFailsClosedOtherwise(@TempDir Path tmp)
            throws Exception {
        ArchiveConfig a = withSpoolIn(tmp);
        Path pushed = Files.createDirectories(tmp.resolve("spool/pushed"));
        Path segment = tmp.resolve("000000010000000000000001");
        assertThat(runArchiveCommand(a, segment))
                .as("no file and no marker: not archived")
                .isNotZero();
        Files.writeString(segment, "wal");
        assertThat(runArchiveCommand(a, segment)).as("no marker").isNotZero();
        Files.writeString(pushed.resolve(segment.getFileName().toString()), "");
        assertThat(runArchiveCommand(a, segment)).as("an empty marker").isNotZero();
        Files.writeString(pushed.resolve(segment.getFileName().toString()), "1.2.3");
        assertThat(runArchiveCommand(a, segment)).as("a marker of another file").isNotZero();
        String stamp = Files.getAttribute(segment, "unix:ino") + "." + Files.size(segment) + "."
                + Files.getLastModifiedTime(segment).to(java.util.concurrent.TimeUnit.SECONDS);
        Files.writeString(pushed.resolve(segment.getFileName().toString()), stamp);
        assertThat(runArchiveCommand(a, segment))
                .as("the marker the pusher wrote for this very file")
                .isZero();
        assertThat(pushed.resolve(segment.getFileName().toString())).doesNotExist();
        Files.writeString(pushed.resolve(segment.getFileName().toString()), stamp);
        Files.delete(segment);
        assertThat(runArchiveCommand(a, segment))
                .as("a marker, but stat prints nothing")
                .isNotZero();
    }

    @Test
    void withoutAMatchingMarkerTheCallGoesToTheSpoolsClientWithTheFallbackAfterIt(@TempDir Path tmp) throws Exception {
        ArchiveConfig a = withSpoolIn(tmp);
        Path segment = Files.writeString(tmp.resolve("000000010000000000000001"), "wal");
        assertThat(runArchiveCommand(a, segment))
                .as("no client: the fallback (false) runs")
                .isNotZero();
        Path args = tmp.resolve("args");
        Files.createDirectories(tmp.resolve("spool"));
        Files.writeString(tmp.resolve("spool/call.sh"), "echo \"$@\" > " + args + "\n");
        assertThat(runArchiveCommand(a, segment))
                .as("the client ran and succeeded")
                .isZero();
        assertThat(Files.readString(args).strip())
                .isEqualTo(tmp.resolve("spool") + " push 000000010000000000000001 -- false archive push " + segment
                        + " --async --spool " + tmp.resolve("spool") + " --parallel 4 --repo /srv/archive"
                        + " --compression zstd");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "archive.repo|relative/dir|archive.repo: 'relative/dir' must be an absolute directory path or sftp://",
                "archive.compression|gzip|archive.compression: 'gzip' is not one of zstd, lz4, none",
                "archive.parallel|0|archive.parallel: 0 is out of range (1 to 64)",
                "archive.parallel|4294967297|archive.parallel: 4294967297 is out of range (1 to 64)",
                "archive.prefetch|-1|archive.prefetch: -1 is out of range (0 to 256)",
                "archive.retention_full|0|archive.retention_full: 0 is out of range (1 to 2147483647)",
                "archive.retention_full|2147483648|archive.retention_full: 2147483648 is out of range",
                "archive.retention_full|99999999999999999999|archive.retention_full: 99999999999999999999 is out of range",
                "archive.replica_source|nearest|archive.replica_source: 'nearest' must be primary or backup",
                "archive.spool|/var/lib/pgha/db1/data/spool|archive.spool: '/var/lib/pgha/db1/data/spool' must be outside data_dir",
                "archive.sftp_key|id_rsa|archive.sftp_key: 'id_rsa' must be an absolute path",
                "archive.colour|blue|archive.colour"
            })
    void badArchiveSettingsNameTheKey(String key, String value, String message) {
        Map<String, Object> doc = valid();
        set(doc, "archive.repo", "/srv/archive");
        set(doc, key, value);
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void theArchiveParametersAreManagedOnceThereIsAnArchiveSection() {
        Map<String, Object> doc = valid();
        set(doc, "postgresql.parameters.archive_command", "cp %p /mnt/x/%f");
        assertThat(ConfigReader.read(doc).archive())
                .as("without archive: the user's own command is fine")
                .isNull();
        set(doc, "archive.repo", "/srv/archive");
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageContaining("postgresql.parameters.archive_command: is managed by pgha");
        Map<String, Object> noRepo = valid();
        set(noRepo, "archive.compression", "lz4");
        assertThatThrownBy(() -> ConfigReader.read(noRepo)).hasMessageContaining("archive.repo");
    }
}
