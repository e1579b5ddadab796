package io.pgha.core.model;

/** What the member's agent is doing with its PostgreSQL. */
public enum MemberState {
    RUNNING,
    /**
     * Running read-only and still replaying WAL it had when it started: its position is not final, so
     * it is no candidate yet and other candidates wait for it.
     */
    REPLAYING,
    STOPPED,
    STARTING,
    BOOTSTRAPPING,
    CLONING,
    REWINDING,
    PROMOTING,
    DEMOTING,
    CRASHED;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
