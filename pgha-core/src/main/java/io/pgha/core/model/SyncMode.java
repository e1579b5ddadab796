package io.pgha.core.model;

import java.util.Locale;

/**
 * How the primary acknowledges commits. {@code OFF}: asynchronous. {@code ON}: every one of the
 * chosen synchronous standbys confirms each commit ({@code FIRST k (s1..sk)}). {@code QUORUM}: any
 * {@code k} of all eligible standbys confirm it ({@code ANY k (s1..sn)}).
 */
public enum SyncMode {
    OFF,
    ON,
    QUORUM;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code off|on|quorum} (also {@code false|true}); null when the text names no mode. */
    public static SyncMode parse(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "off", "false" -> OFF;
            case "on", "true" -> ON;
            case "quorum" -> QUORUM;
            default -> null;
        };
    }
}
