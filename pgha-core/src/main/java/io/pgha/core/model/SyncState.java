package io.pgha.core.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * The synchronous set as the DCS records it: every commit that {@code leader} acknowledged is on
 * the leader and on at least {@code quorum} of {@code members}. A standby is added here before
 * PostgreSQL may count it, and removed only after PostgreSQL stopped counting it, so this record
 * is always a safe statement about acknowledged commits. {@code quorum == 0} promises nothing: the
 * leader may have acknowledged commits that no standby has.
 *
 * @param leader the primary that wrote the record (the record says nothing about other primaries)
 * @param quorum how many of {@code members} confirmed every acknowledged commit
 * @param members standby names, sorted
 */
public record SyncState(String leader, int quorum, List<String> members) {
    public static final SyncState EMPTY = new SyncState(null, 0, List.of());

    /**
     * Stands in for a record the DCS holds but that does not parse. It names no standby and promises
     * nothing, and its leader is no member's name ({@code (unreadable)}), so no standby qualifies as
     * synchronous and automatic failover waits; the primary replaces it through the ordinary
     * takeover step of {@code SyncPlanner} (a record of its own with quorum 0), which is always safe.
     */
    public static final SyncState UNREADABLE = new SyncState("(unreadable)", 0, List.of());

    public SyncState {
        members = members == null ? List.of() : List.copyOf(new TreeSet<>(members));
        if (quorum < 0 || quorum > members.size()) {
            throw new IllegalArgumentException("sync quorum " + quorum + " out of range for " + members);
        }
    }

    public static SyncState of(String leader, int quorum, Collection<String> members) {
        return new SyncState(leader, quorum, new ArrayList<>(members));
    }

    /** What the record promises for a failover: {@code members.size() - quorum + 1} of them hold every commit's overlap. */
    public int neededForFailover() {
        return members.size() - quorum + 1;
    }

    public boolean contains(String name) {
        return members.contains(name);
    }

    public String describe() {
        if (this.equals(UNREADABLE)) return "unknown (the record in the DCS does not parse)";
        if (quorum == 0)
            return members.isEmpty() ? "none" : "none confirmed (" + String.join(", ", members) + " joining)";
        return quorum == members.size()
                ? String.join(", ", members)
                : "any " + quorum + " of " + String.join(", ", members);
    }
}
