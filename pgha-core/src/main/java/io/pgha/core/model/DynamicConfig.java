package io.pgha.core.model;

/**
 * Cluster-wide settings stored in the DCS and editable at run time.
 *
 * @param paused while true, agents take no automatic action
 * @param maximumLagOnFailover a standby further behind the last known primary position than this
 *     many bytes is never promoted automatically
 */
public record DynamicConfig(boolean paused, long maximumLagOnFailover) {
  public static final long DEFAULT_MAXIMUM_LAG = 1024L * 1024;
  public static final DynamicConfig DEFAULT = new DynamicConfig(false, DEFAULT_MAXIMUM_LAG);

  public DynamicConfig withPaused(boolean p) {
    return new DynamicConfig(p, maximumLagOnFailover);
  }
}
