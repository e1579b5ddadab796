package io.pgha.core.model;

/**
 * One timeline switch: timeline {@code timeline} ended at {@code switchpoint} and {@code newLeader}
 * started timeline {@code timeline + 1} there.
 */
public record HistoryEntry(int timeline, Lsn switchpoint, String reason, long at, String newLeader) {}
