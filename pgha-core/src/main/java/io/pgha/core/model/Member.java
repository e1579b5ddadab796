package io.pgha.core.model;

/**
 * One member as its agent publishes it to the DCS on every cycle.
 *
 * @param walPosition the furthest WAL this member has: the write position on a primary, the
 *     larger of received and replayed on a standby
 * @param following the member name this standby streams from, or null
 * @param updatedAt wall-clock milliseconds of the publication (informational only, never used for
 *     lease decisions)
 * @param watchdog the state of this member's watchdog fence ("off", "ready ...", "armed ...",
 *     "unavailable: ...", or {@link #WATCHDOG_BLOCKS} "...": required and unusable, so that this
 *     member cannot be promoted)
 * @param archive the primary's WAL archiving, when pgha manages it; null otherwise
 * @param upstreamPosition the standby leader of a standby cluster: the primary cluster's WAL
 *     position as last reported to it (by the WAL sender it streams from, or the primary cluster's
 *     DCS); null otherwise. Its distance to {@code replayPosition} is the lag between the sites.
 * @param pendingRestart PostgreSQL runs with settings that take effect only after a restart
 * @param version the pgha version this member's agent runs (for rolling upgrades); null from
 *     agents older than the field
 * @param scheduledRestart a restart this member's agent keeps for later; null when none
 * @param resources the state of each resource on this member (see docs/resources.md)
 */
public record Member(
        String name,
        String apiUrl,
        String host,
        int pgPort,
        Role role,
        MemberState state,
        int timeline,
        Lsn walPosition,
        Lsn replayPosition,
        String following,
        boolean streaming,
        Tags tags,
        String lastDecision,
        long updatedAt,
        String watchdog,
        ArchiveStatus archive,
        Lsn upstreamPosition,
        boolean pendingRestart,
        String version,
        ScheduledRestart scheduledRestart,
        java.util.Map<String, io.pgha.core.resource.ResourceStatus> resources) {
    /** How a member's {@code watchdog} starts when its watchdog is required but cannot be used. */
    public static final String WATCHDOG_BLOCKS = "unavailable (required): ";

    public Member {
        resources = resources == null
                ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(resources));
    }

    public Member(
            String name,
            String apiUrl,
            String host,
            int pgPort,
            Role role,
            MemberState state,
            int timeline,
            Lsn walPosition,
            Lsn replayPosition,
            String following,
            boolean streaming,
            Tags tags,
            String lastDecision,
            long updatedAt,
            String watchdog,
            ArchiveStatus archive,
            Lsn upstreamPosition,
            boolean pendingRestart,
            String version,
            ScheduledRestart scheduledRestart) {
        this(
                name,
                apiUrl,
                host,
                pgPort,
                role,
                state,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                tags,
                lastDecision,
                updatedAt,
                watchdog,
                archive,
                upstreamPosition,
                pendingRestart,
                version,
                scheduledRestart,
                null);
    }

    public Member(
            String name,
            String apiUrl,
            String host,
            int pgPort,
            Role role,
            MemberState state,
            int timeline,
            Lsn walPosition,
            Lsn replayPosition,
            String following,
            boolean streaming,
            Tags tags,
            String lastDecision,
            long updatedAt,
            String watchdog,
            ArchiveStatus archive,
            Lsn upstreamPosition,
            boolean pendingRestart) {
        this(
                name,
                apiUrl,
                host,
                pgPort,
                role,
                state,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                tags,
                lastDecision,
                updatedAt,
                watchdog,
                archive,
                upstreamPosition,
                pendingRestart,
                null,
                null);
    }

    public Member(
            String name,
            String apiUrl,
            String host,
            int pgPort,
            Role role,
            MemberState state,
            int timeline,
            Lsn walPosition,
            Lsn replayPosition,
            String following,
            boolean streaming,
            Tags tags,
            String lastDecision,
            long updatedAt,
            String watchdog,
            ArchiveStatus archive,
            Lsn upstreamPosition) {
        this(
                name,
                apiUrl,
                host,
                pgPort,
                role,
                state,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                tags,
                lastDecision,
                updatedAt,
                watchdog,
                archive,
                upstreamPosition,
                false);
    }

    public Member(
            String name,
            String apiUrl,
            String host,
            int pgPort,
            Role role,
            MemberState state,
            int timeline,
            Lsn walPosition,
            Lsn replayPosition,
            String following,
            boolean streaming,
            Tags tags,
            String lastDecision,
            long updatedAt,
            String watchdog,
            ArchiveStatus archive) {
        this(
                name,
                apiUrl,
                host,
                pgPort,
                role,
                state,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                tags,
                lastDecision,
                updatedAt,
                watchdog,
                archive,
                null);
    }

    public Member(
            String name,
            String apiUrl,
            String host,
            int pgPort,
            Role role,
            MemberState state,
            int timeline,
            Lsn walPosition,
            Lsn replayPosition,
            String following,
            boolean streaming,
            Tags tags,
            String lastDecision,
            long updatedAt) {
        this(
                name,
                apiUrl,
                host,
                pgPort,
                role,
                state,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                tags,
                lastDecision,
                updatedAt,
                null,
                null);
    }

    public Member(
            String name,
            String apiUrl,
            String host,
            int pgPort,
            Role role,
            MemberState state,
            int timeline,
            Lsn walPosition,
            Lsn replayPosition,
            String following,
            boolean streaming,
            Tags tags,
            String lastDecision,
            long updatedAt,
            String watchdog) {
        this(
                name,
                apiUrl,
                host,
                pgPort,
                role,
                state,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                tags,
                lastDecision,
                updatedAt,
                watchdog,
                null);
    }

    public boolean isRunningStandby() {
        return role == Role.STANDBY && state == MemberState.RUNNING;
    }

    public boolean isRunningPrimary() {
        return role == Role.PRIMARY && state == MemberState.RUNNING;
    }

    /** The same record published at another time. */
    /**
     * Whether this record, published after {@code before}, changes what agents act on at once (role,
     * state or timeline), rather than only refreshing positions, lag or the last decision. Such a
     * change wakes the agents; a refresh does not.
     */
    public boolean changesRoleOrState(Member before) {
        return before.role() != role || before.state() != state || before.timeline() != timeline;
    }

    public Member withUpdatedAt(long at) {
        return new Member(
                name,
                apiUrl,
                host,
                pgPort,
                role,
                state,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                tags,
                lastDecision,
                at,
                watchdog,
                archive,
                upstreamPosition,
                pendingRestart,
                version,
                scheduledRestart,
                resources);
    }

    /** The same record with another state. */
    public Member withState(MemberState s) {
        return new Member(
                name,
                apiUrl,
                host,
                pgPort,
                role,
                s,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                tags,
                lastDecision,
                updatedAt,
                watchdog,
                archive,
                upstreamPosition,
                pendingRestart,
                version,
                scheduledRestart,
                resources);
    }

    public String address() {
        return io.pgha.core.net.HostPort.join(host, pgPort);
    }
}
