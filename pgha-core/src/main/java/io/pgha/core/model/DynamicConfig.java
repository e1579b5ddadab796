package io.pgha.core.model;

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
 */
public record DynamicConfig(
    boolean paused,
    long maximumLagOnFailover,
    SyncMode synchronousMode,
    boolean synchronousModeStrict,
    int synchronousNodeCount,
    boolean failsafeMode,
    Long switchoverDrainTimeoutMs) {
  public static final long DEFAULT_MAXIMUM_LAG = 1024L * 1024;
  public static final long DEFAULT_SWITCHOVER_DRAIN_MS = 3000;
  public static final DynamicConfig DEFAULT = new DynamicConfig(false, DEFAULT_MAXIMUM_LAG, SyncMode.OFF, false, 1, false, null);

  public DynamicConfig {
    synchronousMode = synchronousMode == null ? SyncMode.OFF : synchronousMode;
    synchronousNodeCount = synchronousNodeCount < 1 ? 1 : synchronousNodeCount;
    switchoverDrainTimeoutMs = switchoverDrainTimeoutMs == null ? DEFAULT_SWITCHOVER_DRAIN_MS : switchoverDrainTimeoutMs;
  }

  public DynamicConfig(boolean paused, long maximumLagOnFailover) {
    this(paused, maximumLagOnFailover, SyncMode.OFF, false, 1, false, null);
  }

  public DynamicConfig(boolean paused, long maximumLagOnFailover, SyncMode mode, boolean strict, int count, boolean failsafe) {
    this(paused, maximumLagOnFailover, mode, strict, count, failsafe, null);
  }

  public boolean synchronous() {
    return synchronousMode != SyncMode.OFF;
  }

  public DynamicConfig withPaused(boolean p) {
    return new DynamicConfig(p, maximumLagOnFailover, synchronousMode, synchronousModeStrict, synchronousNodeCount, failsafeMode,
        switchoverDrainTimeoutMs);
  }

  public DynamicConfig withSynchronous(SyncMode mode, boolean strict, int count) {
    return new DynamicConfig(paused, maximumLagOnFailover, mode, strict, count, failsafeMode, switchoverDrainTimeoutMs);
  }
}
