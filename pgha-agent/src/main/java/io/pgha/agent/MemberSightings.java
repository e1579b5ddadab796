package io.pgha.agent;

import io.pgha.core.decide.SlotPlanner;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What a primary remembers for member slots: when it began leading, and when it last saw each
 * member in the DCS (by the member's slot name), on a monotonic clock. Kept in memory only: a new
 * primary, or this one after it stopped leading, counts a member's absence from when it began
 * leading. Not thread-safe; the {@link SlotManager} guards it.
 */
final class MemberSightings {
    private final LongSupplier nanoClock;
    private final Map<String, Long> lastSeen = new HashMap<>();
    private long leadingSinceNanos;
    private boolean leading;

    MemberSightings(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Records the members of this cycle's DCS read, as the primary; returns the time of the sighting. */
    long saw(Collection<String> members) {
        long now = nanoClock.getAsLong();
        if (!leading) {
            leading = true;
            leadingSinceNanos = now;
            lastSeen.clear();
        }
        for (String m : members) lastSeen.put(SlotPlanner.memberSlot(m), now);
        return now;
    }

    /** This member no longer leads: what it saw says nothing about the time until it leads again. */
    void notLeading() {
        leading = false;
        lastSeen.clear();
    }

    void forget(String slot) {
        lastSeen.remove(slot);
    }

    Map<String, Long> lastSeen() {
        return Map.copyOf(lastSeen);
    }

    long leadingSinceNanos() {
        return leadingSinceNanos;
    }
}
