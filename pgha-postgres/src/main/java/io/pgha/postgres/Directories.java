package io.pgha.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Removal of directory trees such as data directories, never through a symbolic link. */
public final class Directories {
    private Directories() {}

    /**
     * Deletes {@code dir} and everything below it; nothing when it does not exist. A symbolic link
     * at {@code dir} or below is removed, never followed (see {@link GuardedDirectory}). Retried
     * briefly, since a PostgreSQL child process that was just killed may still create a file in it.
     */
    public static void delete(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        for (int attempt = 1; ; attempt++) {
            if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) return;
            try (GuardedDirectory parent = GuardedDirectory.open(abs.getParent(), null)) {
                parent.deleteTree(abs.getFileName().toString());
                return;
            } catch (IOException e) {
                if (attempt == 5) throw e;
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while deleting " + dir, ie);
                }
            }
        }
    }
}
