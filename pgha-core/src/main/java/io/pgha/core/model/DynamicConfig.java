package io.pgha.core.model;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cluster-wide settings stored in the DCS and editable at run time ({@code pgha edit-config}, REST
 * {@code PATCH /config}). See docs/configuration.md.
 *
 * @param paused while true, agents take no automatic action
 * @param maximumLagOnFailover a standby further behind the last known primary position than this
 *     many bytes is never promoted automatically (asynchronous mode only)
 * @param synchronousMode off, on or quorum
 * @param synchronousModeStrict never fall back to asynchronous commit: with no synchronous standby,
 *     writes wait
 * @param synchronousNodeCount how many standbys confirm each commit
 * @param failsafeMode a primary that loses the DCS keeps running while every member confirms it
 * @param memberSlotsTtlMs a member's replication slot is dropped only after the member has been
 *     absent from the DCS this long (0: at once)
 * @param slots permanent replication slots by name, kept on whichever member is primary
 * @param standbyCluster this cluster follows another one instead of taking writes; null: it is a
 *     primary cluster
 * @param resources resources, fencing and maintenance (see docs/resources.md)
 * @param sets replication sets and the journal of their moves (see docs/sets.md)
 * @param postgresql PostgreSQL parameters and pg_hba lines for every member (a node file's own
 *     {@code postgresql.parameters} override these; see docs/configuration.md)
 */
public record DynamicConfig(
        boolean paused,
        long maximumLagOnFailover,
        SyncMode synchronousMode,
        boolean synchronousModeStrict,
        int synchronousNodeCount,
        boolean failsafeMode,
        Long switchoverDrainTimeoutMs,
        Long memberSlotsTtlMs,
        Map<String, PermanentSlot> slots,
        StandbyCluster standbyCluster,
        Postgres postgresql,
        io.pgha.core.resource.ResourceConfig resources,
        io.pgha.core.sets.SetsConfig sets) {

    /** Cluster-wide PostgreSQL settings. */
    public record Postgres(Map<String, String> parameters, java.util.List<String> pgHba) {
        public static final Postgres NONE = new Postgres(Map.of(), java.util.List.of());

        public Postgres {
            parameters = parameters == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(parameters));
            pgHba = pgHba == null ? java.util.List.of() : java.util.List.copyOf(pgHba);
        }
    }

    public static final long DEFAULT_MAXIMUM_LAG = 1024L * 1024;
    public static final long DEFAULT_SWITCHOVER_DRAIN_MS = 3000;
    public static final long DEFAULT_MEMBER_SLOTS_TTL_MS = 30 * 60_000L;
    public static final DynamicConfig DEFAULT =
            new DynamicConfig(false, DEFAULT_MAXIMUM_LAG, SyncMode.OFF, false, 1, false, null);

    public DynamicConfig {
        synchronousMode = synchronousMode == null ? SyncMode.OFF : synchronousMode;
        synchronousNodeCount = synchronousNodeCount < 1 ? 1 : synchronousNodeCount;
        switchoverDrainTimeoutMs =
                switchoverDrainTimeoutMs == null ? DEFAULT_SWITCHOVER_DRAIN_MS : switchoverDrainTimeoutMs;
        memberSlotsTtlMs = memberSlotsTtlMs == null ? DEFAULT_MEMBER_SLOTS_TTL_MS : memberSlotsTtlMs;
        slots = slots == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(slots));
        postgresql = postgresql == null ? Postgres.NONE : postgresql;
        resources = resources == null ? io.pgha.core.resource.ResourceConfig.NONE : resources;
        sets = sets == null ? io.pgha.core.sets.SetsConfig.NONE : sets;
    }

    /** Without replication sets. */
    public DynamicConfig(
            boolean paused,
            long maximumLagOnFailover,
            SyncMode synchronousMode,
            boolean synchronousModeStrict,
            int synchronousNodeCount,
            boolean failsafeMode,
            Long switchoverDrainTimeoutMs,
            Long memberSlotsTtlMs,
            Map<String, PermanentSlot> slots,
            StandbyCluster standbyCluster,
            Postgres postgresql,
            io.pgha.core.resource.ResourceConfig resources) {
        this(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                postgresql,
                resources,
                null);
    }

    public DynamicConfig withSets(io.pgha.core.sets.SetsConfig s) {
        return new DynamicConfig(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                postgresql,
                resources,
                s);
    }

    public DynamicConfig(
            boolean paused,
            long maximumLagOnFailover,
            SyncMode synchronousMode,
            boolean synchronousModeStrict,
            int synchronousNodeCount,
            boolean failsafeMode,
            Long switchoverDrainTimeoutMs,
            Long memberSlotsTtlMs,
            Map<String, PermanentSlot> slots,
            StandbyCluster standbyCluster,
            Postgres postgresql) {
        this(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                postgresql,
                null);
    }

    public DynamicConfig withResources(io.pgha.core.resource.ResourceConfig r) {
        return new DynamicConfig(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                postgresql,
                r,
                sets);
    }

    public DynamicConfig(
            boolean paused,
            long maximumLagOnFailover,
            SyncMode synchronousMode,
            boolean synchronousModeStrict,
            int synchronousNodeCount,
            boolean failsafeMode,
            Long switchoverDrainTimeoutMs,
            Long memberSlotsTtlMs,
            Map<String, PermanentSlot> slots,
            StandbyCluster standbyCluster) {
        this(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                null);
    }

    public DynamicConfig(
            boolean paused,
            long maximumLagOnFailover,
            SyncMode synchronousMode,
            boolean synchronousModeStrict,
            int synchronousNodeCount,
            boolean failsafeMode,
            Long switchoverDrainTimeoutMs,
            Long memberSlotsTtlMs,
            Map<String, PermanentSlot> slots) {
        this(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                null);
    }

    /** Whether this cluster follows another one (see {@link StandbyCluster}). */
    public boolean standby() {
        return standbyCluster != null;
    }

    public DynamicConfig withFailsafe(boolean on) {
        return new DynamicConfig(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                on,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                postgresql,
                resources,
                sets);
    }

    public DynamicConfig withPostgresql(Postgres pg) {
        return new DynamicConfig(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                pg,
                resources,
                sets);
    }

    public DynamicConfig withStandbyCluster(StandbyCluster sc) {
        return new DynamicConfig(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                sc,
                postgresql,
                resources,
                sets);
    }

    public DynamicConfig(
            boolean paused,
            long maximumLagOnFailover,
            SyncMode mode,
            boolean strict,
            int count,
            boolean failsafe,
            Long switchoverDrainTimeoutMs) {
        this(paused, maximumLagOnFailover, mode, strict, count, failsafe, switchoverDrainTimeoutMs, null, null);
    }

    public DynamicConfig(boolean paused, long maximumLagOnFailover) {
        this(paused, maximumLagOnFailover, SyncMode.OFF, false, 1, false, null, null, null);
    }

    public DynamicConfig(
            boolean paused, long maximumLagOnFailover, SyncMode mode, boolean strict, int count, boolean failsafe) {
        this(paused, maximumLagOnFailover, mode, strict, count, failsafe, null, null, null);
    }

    public boolean synchronous() {
        return synchronousMode != SyncMode.OFF;
    }

    public DynamicConfig withPaused(boolean p) {
        return new DynamicConfig(
                p,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                postgresql,
                resources,
                sets);
    }

    public DynamicConfig withSynchronous(SyncMode mode, boolean strict, int count) {
        return new DynamicConfig(
                paused,
                maximumLagOnFailover,
                mode,
                strict,
                count,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                postgresql,
                resources,
                sets);
    }

    public DynamicConfig withSlots(long memberSlotsTtlMs, Map<String, PermanentSlot> slots) {
        return new DynamicConfig(
                paused,
                maximumLagOnFailover,
                synchronousMode,
                synchronousModeStrict,
                synchronousNodeCount,
                failsafeMode,
                switchoverDrainTimeoutMs,
                memberSlotsTtlMs,
                slots,
                standbyCluster,
                postgresql,
                resources,
                sets);
    }
}
