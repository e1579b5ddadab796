package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfCommandTest {
    @Test
    void theArchiveIsMappedAtItsBaseOnlyWhenItsMarkSaysSo(@TempDir Path dir) throws Exception {
        String jsa = dir.resolve("pgha.jsa").toString();
        assertThat(SelfCommand.archiveMapOptions(jsa)).as("no mark").isEmpty();
        Files.writeString(Path.of(jsa + ".map"), "relocation=0\n");
        assertThat(SelfCommand.archiveMapOptions(jsa)).isEqualTo(SelfCommand.MAP_OPTIONS);
        Files.writeString(Path.of(jsa + ".map"), "-javaagent:/tmp/x.jar\n");
        assertThat(SelfCommand.archiveMapOptions(jsa))
                .as("anything else is no mark")
                .isEmpty();
    }

    @Test
    void aDrawnBaseIsAlignedAndInItsRange() {
        for (int i = 0; i < 200; i++) {
            String b = SelfCommand.randomArchiveBase();
            if (b == null) return; // not x86-64
            long base = Long.parseLong(b.substring(2), 16);
            assertThat(base % 0x4000_0000L).isZero();
            assertThat(base).isBetween(0x1000_0000_0000L, 0x3000_0000_0000L - 0x4000_0000L);
        }
    }
}
