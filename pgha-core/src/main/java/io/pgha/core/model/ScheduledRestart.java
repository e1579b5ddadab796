package io.pgha.core.model;

import java.time.Instant;

/**
 * A restart of PostgreSQL that a member's agent keeps for a later time ({@code pgha restart
 * --scheduled TIME}, REST {@code POST /restart} with {@code schedule}). The conditions are checked
 * when it is due, not when it is asked for: a member that is no longer in the role, or whose
 * settings no longer wait for a restart, is left alone.
 *
 * @param at wall-clock milliseconds when it is due
 * @param pendingOnly only if PostgreSQL then has settings waiting for a restart
 * @param role only in this role then: "primary" or "replica"; null for either
 */
public record ScheduledRestart(long at, boolean pendingOnly, String role) {
    public ScheduledRestart {
        if (role != null && !role.equals("primary") && !role.equals("replica"))
            throw new IllegalArgumentException("role: '" + role + "' is not primary or replica");
    }

    public boolean due(long nowMillis) {
        return nowMillis >= at;
    }

    /** Why a restart due now is not carried out, or null when it should be. */
    public String skipReason(boolean primary, boolean pendingRestart) {
        if (role != null && !role.equals(primary ? "primary" : "replica")) return "the member is no longer a " + role;
        if (pendingOnly && !pendingRestart) return "no setting waits for a restart";
        return null;
    }

    /** For people: "2026-11-30T04:00:00Z (if pending, replica only)". */
    public String describe() {
        StringBuilder s = new StringBuilder(Instant.ofEpochMilli(at).toString());
        if (pendingOnly || role != null) {
            s.append(" (");
            if (pendingOnly) s.append("if pending");
            if (role != null) s.append(pendingOnly ? ", " : "").append(role).append(" only");
            s.append(')');
        }
        return s.toString();
    }
}
