package io.pgha.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryRepositoryTest {
    @TempDir
    Path tmp;

    /**
     * A listing while pushes create temporary files and rename them into place (and expire deletes
     * files) lists what is there and never fails on an entry that went away meanwhile (seen as
     * "cannot list wal: NoSuchFileException .../wal/.0000...tmp-..." in ArchiveCommandTest).
     */
    @Test
    void aListingIgnoresFilesThatGoAwayWhileItRuns() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("repo"));
        Path wal = Files.createDirectories(root.resolve("wal"));
        Files.writeString(wal.resolve("kept"), "x");
        DirectoryRepository repo = new DirectoryRepository(root);
        AtomicBoolean running = new AtomicBoolean(true);
        Thread churn = new Thread(() -> {
            int i = 0;
            while (running.get()) {
                try {
                    for (int k = 0; k < 20; k++) Files.writeString(wal.resolve(".tmp-" + i + "-" + k), "t");
                    for (int k = 0; k < 20; k++) Files.delete(wal.resolve(".tmp-" + i + "-" + k));
                    i++;
                } catch (NoSuchFileException e) {
                    // not ours
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        churn.start();
        try {
            for (int n = 0; n < 2000; n++) assertThat(repo.list("wal")).containsExactly("wal/kept");
        } finally {
            running.set(false);
            churn.join();
        }
    }
}
