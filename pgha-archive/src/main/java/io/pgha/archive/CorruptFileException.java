package io.pgha.archive;

import java.io.IOException;

/** A stored file whose bytes do not match what was archived; the message names the file. */
public final class CorruptFileException extends IOException {
  public CorruptFileException(String name, String problem) {
    super(name + " in the archive is corrupt: " + problem);
  }
}
