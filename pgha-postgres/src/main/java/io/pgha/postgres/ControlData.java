package io.pgha.postgres;

import io.pgha.core.model.ControlState;
import io.pgha.core.model.Lsn;
import java.util.HashMap;
import java.util.Map;

/** The parts of {@code pg_controldata}'s output the agent uses. */
public record ControlData(
        String systemIdentifier, ControlState state, Lsn checkpoint, int timeline, Lsn minRecoveryPoint) {

    public static ControlData parse(String output) {
        Map<String, String> kv = new HashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0)
                kv.put(
                        line.substring(0, colon).trim(),
                        line.substring(colon + 1).trim());
        }
        return new ControlData(
                kv.getOrDefault("Database system identifier", ""),
                ControlState.parse(kv.getOrDefault("Database cluster state", "unknown")),
                lsn(kv.get("Latest checkpoint location")),
                Integer.parseInt(kv.getOrDefault("Latest checkpoint's TimeLineID", "0")),
                lsn(kv.get("Minimum recovery ending location")));
    }

    private static Lsn lsn(String s) {
        return s == null ? Lsn.ZERO : Lsn.parse(s);
    }
}
