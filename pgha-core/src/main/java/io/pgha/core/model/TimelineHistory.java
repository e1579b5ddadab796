package io.pgha.core.model;

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

    /**
     * Where the timeline named by this file (or one of its ancestors) branched off {@code parent}:
     * the switch point on the line for {@code parent}, or null when the file has no such line.
     */
    public static Lsn switchpointFrom(String content, int parent) {
        for (String line : content.split("\n")) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length < 2 || !fields[0].matches("\\d+")) continue; // blank lines and comments
            if (Integer.parseInt(fields[0]) == parent) return Lsn.parse(fields[1]);
        }
        return null;
    }
}
