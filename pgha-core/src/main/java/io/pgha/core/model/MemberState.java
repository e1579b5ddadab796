package io.pgha.core.model;

/** What the member's agent is doing with its PostgreSQL. */
public enum MemberState {
    RUNNING,
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
