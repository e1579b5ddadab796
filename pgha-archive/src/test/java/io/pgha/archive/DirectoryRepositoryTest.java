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

    /** A deferred commit never replaces either; the later directory sync takes only names inside the repository. */
    @Test
    void aDeferredCommitKeepsTheContractAndTheDirectoriesAreSyncedLater() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("repo"));
        DirectoryRepository repo = new DirectoryRepository(root);
        try (Repository.NewFile f = repo.create("backup/L/data/base/5/1259")) {
            f.out().write(new byte[] {1, 2, 3});
            assertThat(f.commitDeferred()).isTrue();
        }
        try (Repository.NewFile f = repo.create("backup/L/data/base/5/1259")) {
            f.out().write(new byte[] {9});
            assertThat(f.commitDeferred()).as("never replaces").isFalse();
        }
        assertThat(Files.readAllBytes(root.resolve("backup/L/data/base/5/1259")))
                .containsExactly(1, 2, 3);
        repo.syncDirectories(java.util.List.of("backup/L/data/base/5/1259"));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> repo.syncDirectories(java.util.List.of("backup/L/data/global/pg_control")))
                .as("a directory that is not there was not stored: an error, not a silent success")
                .isInstanceOf(RepositoryUnavailableException.class)
                .hasMessageContaining("global");
        assertThat(repo.list("backup")).containsExactly("backup/L/data/base/5/1259");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> repo.syncDirectories(java.util.List.of("../outside/x")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
