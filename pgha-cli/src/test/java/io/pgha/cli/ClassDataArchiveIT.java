package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The class data archive the child JVMs of pgha (agents, ZooKeeper servers, commands) start on is
 * mapped at the base address it was made for, not relocated at every start: each JVM saves the
 * relocation's CPU, and the archive's read-write pages stay shared between the agents of a machine
 * (BENCHMARKS.md, agent footprint).
 */
class ClassDataArchiveIT {
    @Test
    void childJvmsMapTheArchiveWhereItWasMade() throws Exception {
        assumeTrue("amd64".equals(System.getProperty("os.arch")), "pgha draws the archive's base on x86-64 only");
        List<String> archive = ChildJvm.archiveOptions(false);
        assertThat(archive).as("a class data archive for the child JVMs").isNotEmpty();
        assertThat(archive).containsAll(SelfCommand.MAP_OPTIONS);
        String jsa = archive.get(archive.size() - 1).substring("-XX:SharedArchiveFile=".length());
        assertThat(Files.readString(Path.of(jsa + SelfCommand.MAP_SUFFIX)).strip())
                .isEqualTo(SelfCommand.MAP_MARK);

        List<String> cmd = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(archive);
        cmd.addAll(List.of(
                "-Xshare:on",
                "-Xlog:cds=info",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                ChildJvm.classPath(),
                Main.class.getName(),
                "--version"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("pgha ").contains("Mapped static");
        // what the JDK logs when it maps the archive elsewhere and relocates it
        assertThat(out).doesNotContain("alternative address");
    }
}
