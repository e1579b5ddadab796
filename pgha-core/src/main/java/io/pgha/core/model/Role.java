package io.pgha.core.model;

/** The role a member's PostgreSQL plays right now. */
public enum Role {
    PRIMARY,
    STANDBY,
    /** PostgreSQL is not running or not reachable, so its role is not known. */
    UNKNOWN;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
