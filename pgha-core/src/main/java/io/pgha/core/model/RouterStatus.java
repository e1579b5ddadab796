package io.pgha.core.model;

import java.util.Map;

/**
 * What a running router publishes about itself (ephemeral: it disappears with the router).
 *
 * @param readWrite host:port of the read-write listener
 * @param readOnly host:port of the read-only listener, or null
 * @param sessions routed sessions per backend member
 * @param waiting sessions waiting at the router for a backend
 * @param routed sessions routed since the router started
 * @param updatedAt wall-clock milliseconds of the publication
 */
public record RouterStatus(
        String name,
        String readWrite,
        String readOnly,
        Map<String, Integer> sessions,
        int waiting,
        long routed,
        long updatedAt) {
    public RouterStatus {
        sessions = sessions == null ? Map.of() : Map.copyOf(sessions);
    }
}
