package io.pgha.core.model;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One consistent read of the DCS.
 *
 * @param initialize null when no member has bootstrapped the cluster yet; otherwise the name of
 *     the bootstrapping member, replaced by the database system identifier once it succeeded
 * @param leader the name in the leader key, or null when nobody holds the lease
 * @param leaderOptime the last WAL position the primary published
 * @param sync the synchronous set the primary recorded (see {@link SyncState})
 * @param slots the positions of the permanent slots, as the primary published them
 * @param unreadable the DCS entries that held data that does not parse or validate and were
 *     skipped or replaced in this read (e.g. {@code members/db2}, {@code config}, {@code sync}):
 *     shown as a warning, see docs/security.md
 */
public record ClusterState(
        String initialize,
        String leader,
        Map<String, Member> members,
        DynamicConfig config,
        FailoverRequest failover,
        Lsn leaderOptime,
        List<HistoryEntry> history,
        SyncState sync,
        SlotPositions slots,
        Set<String> unreadable) {

    public ClusterState {
        slots = slots == null ? SlotPositions.EMPTY : slots;
        members = Map.copyOf(members);
        sync = sync == null ? SyncState.EMPTY : sync;
        history = List.copyOf(history);
        config = config == null ? DynamicConfig.DEFAULT : config;
        leaderOptime = leaderOptime == null ? Lsn.ZERO : leaderOptime;
        unreadable = unreadable == null ? Set.of() : Collections.unmodifiableSortedSet(new TreeSet<>(unreadable));
    }

    public ClusterState(
            String initialize,
            String leader,
            Map<String, Member> members,
            DynamicConfig config,
            FailoverRequest failover,
            Lsn leaderOptime,
            List<HistoryEntry> history,
            SyncState sync,
            Set<String> unreadable) {
        this(
                initialize,
                leader,
                members,
                config,
                failover,
                leaderOptime,
                history,
                sync,
                SlotPositions.EMPTY,
                unreadable);
    }

    public ClusterState(
            String initialize,
            String leader,
            Map<String, Member> members,
            DynamicConfig config,
            FailoverRequest failover,
            Lsn leaderOptime,
            List<HistoryEntry> history,
            SyncState sync,
            SlotPositions slots) {
        this(initialize, leader, members, config, failover, leaderOptime, history, sync, slots, Set.of());
    }

    public ClusterState(
            String initialize,
            String leader,
            Map<String, Member> members,
            DynamicConfig config,
            FailoverRequest failover,
            Lsn leaderOptime,
            List<HistoryEntry> history) {
        this(initialize, leader, members, config, failover, leaderOptime, history, SyncState.EMPTY);
    }

    public ClusterState(
            String initialize,
            String leader,
            Map<String, Member> members,
            DynamicConfig config,
            FailoverRequest failover,
            Lsn leaderOptime,
            List<HistoryEntry> history,
            SyncState sync) {
        this(initialize, leader, members, config, failover, leaderOptime, history, sync, SlotPositions.EMPTY);
    }

    public static ClusterState empty() {
        return new ClusterState(
                null,
                null,
                Map.of(),
                DynamicConfig.DEFAULT,
                null,
                Lsn.ZERO,
                List.of(),
                SyncState.EMPTY,
                SlotPositions.EMPTY);
    }

    public boolean initialized() {
        return initialize != null;
    }

    public Optional<Member> member(String name) {
        return Optional.ofNullable(name == null ? null : members.get(name));
    }

    public Optional<Member> leaderMember() {
        return member(leader);
    }

    public Optional<FailoverRequest> failoverRequest() {
        return Optional.ofNullable(failover);
    }

    public Map<String, Member> sortedMembers() {
        return new TreeMap<>(members);
    }

    /** The switch point at which {@code timeline} ended, if the DCS history records it. */
    public Optional<Lsn> switchpointOf(int timeline) {
        return history.stream()
                .filter(h -> h.timeline() == timeline)
                .map(HistoryEntry::switchpoint)
                .findFirst();
    }

    /** The newest timeline the cluster is known to have reached (history or any member). */
    public int latestTimeline() {
        int fromHistory = history.stream().mapToInt(h -> h.timeline() + 1).max().orElse(1);
        int fromMembers =
                members.values().stream().mapToInt(Member::timeline).max().orElse(1);
        return Math.max(fromHistory, fromMembers);
    }

    public int currentTimeline() {
        return leaderMember().map(Member::timeline).orElse(0);
    }
}
