package io.pgha.core.model;

/**
 * How a primary's WAL archiving is doing, as its agent publishes it.
 *
 * @param pending WAL files PostgreSQL has finished but not archived yet (.ready files): the
 *     archive's lag, in files
 * @param pendingBytes the same in bytes
 * @param archivedCount files archived since the statistics were reset
 * @param lastArchived the last file archived, or null
 * @param failedCount failed archive_command calls since the statistics were reset
 * @param lastFailed the last file whose archiving failed, or null
 * @param failing whether the last attempt failed (the last failure is newer than the last success)
 */
public record ArchiveStatus(
        int pending,
        long pendingBytes,
        long archivedCount,
        String lastArchived,
        long failedCount,
        String lastFailed,
        boolean failing) {

    /** One line for people: "ok", "3 pending" or "failing at X, 3 pending". */
    public String summary() {
        if (failing) return "FAILING at " + lastFailed + ", " + pending + " pending";
        return pending == 0 ? "ok" : pending + " pending";
    }
}
