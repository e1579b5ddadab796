package io.pgha.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removal of directory trees such as data directories. */
public final class Directories {
  private Directories() {}

  /**
   * Deletes {@code dir} and everything below it; nothing when it does not exist. Retried briefly,
   * since a PostgreSQL child process that was just killed may still create a file in it.
   */
  public static void delete(Path dir) throws IOException {
    for (int attempt = 1; ; attempt++) {
      if (!Files.exists(dir)) return;
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        return;
      } catch (IOException | UncheckedIOException e) {
        if (attempt == 5) throw e instanceof IOException io ? io : new IOException(e);
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
