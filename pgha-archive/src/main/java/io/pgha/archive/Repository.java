package io.pgha.archive;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Where archived files live. Names are relative paths such as {@code wal/000000010000000000000001}.
 * {@link RepositoryUnavailableException} means the repository itself cannot be used; a missing
 * file is an empty answer, never an exception. Implementations are thread-safe.
 */
public interface Repository extends AutoCloseable {
  /** The stored bytes of {@code name}, or null when there is no such file. */
  InputStream open(String name) throws IOException;

  /**
   * Stores {@code bytes} as {@code name} durably (written, synced, renamed into place, directory
   * synced) before returning. Never replaces an existing file: false when {@code name} exists.
   */
  boolean create(String name, byte[] bytes) throws IOException;

  /** Names under {@code prefix}, sorted. */
  List<String> list(String prefix) throws IOException;

  /** Where it is, for messages (no secrets). */
  String describe();

  @Override
  default void close() throws IOException {}
}
