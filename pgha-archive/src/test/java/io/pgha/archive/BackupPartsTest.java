package io.pgha.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pure parts of backup and restore: connection options, targets, WAL names, the tar reader, progress. */
class BackupPartsTest {
    @TempDir
    Path tmp;

    @Test
    void connectionOptionsAsPostgresToolsTakeThem() {
        PgConnection plain = PgConnection.of("db1", 5432, "postgres", "postgres", "app");
        assertThat(plain.database()).isEqualTo("app");
        PgConnection cs = PgConnection.of(
                "127.0.0.1", 5432, "postgres", "postgres", "host=db2 port=6543 user=backup dbname=x password=s3cret");
        assertThat(cs.host()).isEqualTo("db2");
        assertThat(cs.port()).isEqualTo(6543);
        assertThat(cs.user()).isEqualTo("backup");
        assertThat(cs.database()).isEqualTo("x");
        assertThat(cs.toString()).isEqualTo("db2:6543").doesNotContain("s3cret");
        assertThatThrownBy(() -> PgConnection.of("h", 1, "u", "d", "host=x sslcert=/y"))
                .hasMessageContaining("'sslcert' is not supported");
        assertThatThrownBy(() -> PgConnection.of("h", 1, "u", "d", "host=x port=abc"))
                .hasMessageContaining("port 'abc' is not a number");
    }

    @Test
    void targetsAreCheckedBeforeAnythingIsWritten() {
        assertThat(RestoreRunner.parseTime("2026-11-27 10:15:00+00")).isEqualTo(Instant.parse("2026-11-27T10:15:00Z"));
        assertThat(RestoreRunner.parseTime("2026-11-27 10:15:00.123456+01:00"))
                .isEqualTo(Instant.parse("2026-11-27T09:15:00.123456Z"));
        assertThat(RestoreRunner.parseTime("2026-11-27T10:15:00Z")).isEqualTo(Instant.parse("2026-11-27T10:15:00Z"));
        assertThatThrownBy(() -> RestoreRunner.parseTime("2026-11-27 10:15:00")).hasMessageContaining("with an offset");
        assertThatThrownBy(() -> new RestoreRunner.Target("lsn", "3000060", "pause"))
                .hasMessageContaining("not an LSN");
        assertThatThrownBy(() -> new RestoreRunner.Target("xid", "12a", null))
                .hasMessageContaining("not a transaction id");
        assertThatThrownBy(() -> new RestoreRunner.Target(null, null, "promote"))
                .hasMessageContaining("needs a target");
        assertThatThrownBy(() -> new RestoreRunner.Target("name", "x", "explode"))
                .hasMessageContaining("promote, pause, shutdown");
    }

    @Test
    void walNamesFromPositions() {
        long mb16 = 16L << 20;
        assertThat(io.pgha.core.model.Lsn.parse("1/2000028").value()).isEqualTo((1L << 32) | 0x2000028L);
        assertThat(WalNames.ofLsn(1, io.pgha.core.model.Lsn.parse("0/2000028").value(), mb16))
                .isEqualTo("000000010000000000000002");
        assertThat(WalNames.ofLsn(3, io.pgha.core.model.Lsn.parse("1/FF000000").value(), mb16))
                .isEqualTo("0000000300000001000000FF");
        assertThat(WalNames.ofLsn(2, io.pgha.core.model.Lsn.parse("0/2C00000").value(), 4L << 20))
                .isEqualTo("00000002000000000000000B");
    }

    @Test
    void theTarReaderReadsWhatTarWrites() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src/base/1"));
        Files.writeString(tmp.resolve("src/PG_VERSION"), "15\n");
        byte[] big = new byte[70_000];
        new java.util.Random(3).nextBytes(big);
        Files.write(src.resolve("1259"), big);
        Path tar = tmp.resolve("x.tar");
        Process p = new ProcessBuilder(
                        "tar", "-C", tmp.resolve("src").toString(), "--format=ustar", "-cf", tar.toString(), ".")
                .inheritIO()
                .start();
        assertThat(p.waitFor()).isZero();
        List<String> seen = new ArrayList<>();
        try (InputStream in = Files.newInputStream(tar)) {
            Tar.Reader r = new Tar.Reader(in);
            for (Tar.Entry e; (e = r.next()) != null; ) {
                seen.add(e.type() + " " + e.name());
                if (e.name().endsWith("1259"))
                    assertThat(r.content().readAllBytes()).isEqualTo(big);
                if (e.name().endsWith("PG_VERSION"))
                    assertThat(new String(r.content().readAllBytes(), StandardCharsets.US_ASCII))
                            .isEqualTo("15\n");
            }
        }
        assertThat(seen).contains("0 ./PG_VERSION", "0 ./base/1/1259", "5 ./base/1/");
    }

    @Test
    void progressIsOneReadableLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Progress pr = new Progress("backup", new PrintStream(out, true, StandardCharsets.UTF_8), true);
        pr.start(4L << 20, 3);
        pr.add(1L << 20);
        pr.fileDone();
        assertThat(pr.line()).startsWith("backup: 1.0 MB of 4.0 MB (25%), ").contains("MB/s, 1 of 3 files");
        pr.close();
        assertThat(out.toString(StandardCharsets.UTF_8)).endsWith("files   " + System.lineSeparator());
    }

    @Test
    void ipv6HostsAreBracketedInUrlsAndBareForSsh() {
        assertThat(PgConnection.of("::1", 5432, "postgres", "postgres", null)).hasToString("[::1]:5432");
        assertThat(PgConnection.of("db1", 5432, "postgres", "postgres", "host=fd00::2"))
                .hasToString("[fd00::2]:5432");
        SftpRepository.Target t = SftpRepository.Target.parse("sftp://backup@[fd00::9]:2222/srv/pgha/");
        assertThat(t.host()).as("SSH and known_hosts take the address bare").isEqualTo("fd00::9");
        assertThat(t.port()).isEqualTo(2222);
        assertThat(t).hasToString("sftp://backup@[fd00::9]:2222/srv/pgha");
        assertThat(SftpRepository.Target.parse("sftp://backup@[::1]/srv").port())
                .isEqualTo(22);
        assertThatThrownBy(() -> PgConnection.of("h", 1, "u", "d", "host=x port=99999999999"))
                .hasMessageContaining("is not a number from 1 to 65535");
    }
}
