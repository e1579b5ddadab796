package io.pgha.core.model;

/** The "Database cluster state" line of {@code pg_controldata}. */
public enum ControlState {
    STARTING_UP("starting up"),
    SHUT_DOWN("shut down"),
    SHUT_DOWN_IN_RECOVERY("shut down in recovery"),
    SHUTTING_DOWN("shutting down"),
    IN_CRASH_RECOVERY("in crash recovery"),
    IN_ARCHIVE_RECOVERY("in archive recovery"),
    IN_PRODUCTION("in production"),
    UNKNOWN("unknown");

    private final String text;

    ControlState(String text) {
        this.text = text;
    }

    public static ControlState parse(String text) {
        for (ControlState s : values()) {
            if (s.text.equals(text.trim())) return s;
        }
        return UNKNOWN;
    }

    /** True for the states a primary leaves behind (cleanly or not). */
    public boolean primaryState() {
        return this == SHUT_DOWN || this == IN_PRODUCTION || this == SHUTTING_DOWN || this == IN_CRASH_RECOVERY;
    }
}
