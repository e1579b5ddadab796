package io.pgha.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveInfoTest {
    @TempDir
    Path tmp;

    private void push(WalArchive a, String name, int size) throws Exception {
        a.push(Files.write(tmp.resolve(name), new byte[size]));
    }

    @Test
    void showsTimelinesFirstAndLastSegmentsGapsAndHistories() throws Exception {
        Repository repo = new DirectoryRepository(Files.createDirectories(tmp.resolve("repo")));
        WalArchive a = new WalArchive(repo, Compression.ZSTD);
        int size = 4 * 1024 * 1024; // 4 MB segments: 1024 per log file, so ...0003FF is followed by ...01 00000000
        for (String s : List.of(
                "0000000100000000000003FD",
                "0000000100000000000003FE",
                "0000000100000000000003FF",
                "000000010000000100000000",
                "000000010000000100000003",
                "000000020000000100000003",
                "000000020000000100000004")) {
            push(a, s, size);
        }
        a.push(Files.writeString(tmp.resolve("00000002.history"), "1\t1/3000000\tno recovery target specified\n"));
        ArchiveInfo info = ArchiveInfo.of(repo);
        assertThat(info.segmentSize()).isEqualTo(size);
        assertThat(info.timelines())
                .containsExactly(
                        new ArchiveInfo.Timeline(
                                1,
                                "0000000100000000000003FD",
                                "000000010000000100000003",
                                5,
                                List.of("000000010000000100000001..000000010000000100000002"),
                                false),
                        new ArchiveInfo.Timeline(
                                2, "000000020000000100000003", "000000020000000100000004", 2, List.of(), true));
    }

    @Test
    void anEmptyRepositoryHasNoTimelines() throws Exception {
        assertThat(ArchiveInfo.of(new DirectoryRepository(Files.createDirectories(tmp.resolve("r"))))
                        .timelines())
                .isEmpty();
    }
}
