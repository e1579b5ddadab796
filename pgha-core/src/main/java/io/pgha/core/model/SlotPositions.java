package io.pgha.core.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * What the primary publishes about the permanent slots it keeps: for each, its position (a logical
 * slot's {@code confirmed_flush_lsn}, a physical slot's {@code restart_lsn}). Standbys advance their
 * copies of logical slots to these positions; the names also tell a later primary which slots pgha
 * managed, so that one removed from the {@code slots} setting is dropped even after a failover.
 *
 * @param leader the primary that wrote the record; positions are meaningful only while it leads
 * @param positions by slot name
 */
public record SlotPositions(String leader, Map<String, Lsn> positions) {
    public static final SlotPositions EMPTY = new SlotPositions(null, Map.of());

    public SlotPositions {
        positions = positions == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(positions));
    }

    /** Whether these positions were written by {@code leader} (and may be used while it leads). */
    public boolean writtenBy(String leader) {
        return leader != null && leader.equals(this.leader);
    }
}
