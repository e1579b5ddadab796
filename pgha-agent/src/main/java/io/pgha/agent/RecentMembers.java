package io.pgha.agent;

import io.pgha.core.model.Member;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The members this agent saw in the DCS recently, remembered for a while after their record
 * vanished. Failsafe mode must ask every member that could still promote, and a member's record
 * vanishes with its ZooKeeper session, for example when the whole ensemble restarts just before
 * an outage: the last view alone can be missing members that are alive (or all of them, which
 * would make "every member confirmed" trivially true). Thread-safe.
 */
final class RecentMembers {
    private final long memoryNanos;
    private final Map<String, Member> members = new HashMap<>();
    private final Map<String, Long> seenAt = new HashMap<>();

    RecentMembers(long memoryMs) {
        this.memoryNanos = memoryMs * 1_000_000L;
    }

    /** Records the members of a successful read of the DCS at {@code nowNanos}. */
    synchronized void saw(Collection<Member> current, long nowNanos) {
        for (Member m : current) {
            members.put(m.name(), m);
            seenAt.put(m.name(), nowNanos);
        }
    }

    /** Every member seen within the memory before {@code nowNanos}, except {@code me}. */
    synchronized List<Member> others(String me, long nowNanos) {
        List<Member> out = new ArrayList<>();
        for (var e : members.entrySet()) {
            if (!e.getKey().equals(me) && nowNanos - seenAt.get(e.getKey()) <= memoryNanos) out.add(e.getValue());
        }
        return out;
    }
}
