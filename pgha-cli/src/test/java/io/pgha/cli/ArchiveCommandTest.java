package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exit codes PostgreSQL acts on: 1 only for "not archived", never for a broken setup. */
class ArchiveCommandTest {
  private static final String SEG = "00000001000000000000000A";

  @TempDir Path tmp;

  private int pgha(String... args) {
    return Main.run(args);
  }

  @Test
  void exitCodesTellMissingFromBrokenAndNeverOverwrite() throws Exception {
    Path repo = Files.createDirectories(tmp.resolve("repo"));
    Path seg = Files.write(tmp.resolve(SEG), new byte[] {1, 2, 3, 4});
    String r = repo.toString();
    assertThat(pgha("archive", "push", seg.toString(), "--repo", r)).isZero();
    assertThat(pgha("archive", "push", seg.toString(), "--repo", r)).as("same bytes again").isZero();
    Files.write(seg, new byte[] {9, 9, 9});
    assertThat(pgha("archive", "push", seg.toString(), "--repo", r)).as("different bytes").isEqualTo(5);
    Path dest = tmp.resolve("out");
    assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", r)).isZero();
    assertThat(Files.readAllBytes(dest)).as("the first version stayed").containsExactly(1, 2, 3, 4);
    assertThat(pgha("archive", "get", "00000001000000000000000B", dest.toString(), "--repo", r)).as("not archived").isEqualTo(1);
    assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", tmp.resolve("gone").toString())).as("no repository").isEqualTo(3);
    assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", "relative/dir")).as("usage, not 'missing'").isEqualTo(2);
    assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", r, "--compression", "gzip")).isEqualTo(2);
    assertThat(pgha("archive", "get", "../../etc/passwd", dest.toString(), "--repo", r)).isEqualTo(2);
    assertThat(pgha("archive", "push", tmp.resolve("000000010000000000000099").toString(), "--repo", r)).as("no such file").isEqualTo(3);
    assertThat(pgha("archive", "info", "--repo", r, "--format", "json")).isZero();
    assertThat(pgha("archive", "info", "--repo", tmp.resolve("gone").toString())).isEqualTo(3);
    Files.write(repo.resolve("wal").resolve(SEG), new byte[64]);
    assertThat(pgha("archive", "get", SEG, dest.toString(), "--repo", r)).as("corrupt").isEqualTo(4);
  }
}
