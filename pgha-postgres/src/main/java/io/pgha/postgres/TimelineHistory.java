package io.pgha.postgres;

import io.pgha.core.model.Lsn;

/** Reads PostgreSQL timeline history files ({@code 00000003.history}): "parentTLI switchpoint reason" lines. */
public final class TimelineHistory {
  private TimelineHistory() {}

  /** The switch point of the last entry: where the file's own timeline begins. */
  public static Lsn lastSwitchpoint(String content) {
    String last = null;
    for (String line : content.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) last = line.strip();
    }
    if (last == null) throw new IllegalArgumentException("empty timeline history file");
    String[] fields = last.split("\\s+");
    if (fields.length < 2) throw new IllegalArgumentException("malformed timeline history line: '" + last + "'");
    return Lsn.parse(fields[1]);
  }
}
