package io.pgha.core.decide;

import io.pgha.core.model.ControlState;
import io.pgha.core.model.Lsn;

/**
 * The local PostgreSQL as observed in one cycle.
 *
 * @param dataPresent a complete data directory exists
 * @param standbySignal {@code standby.signal} exists, so PostgreSQL would start as a standby
 * @param following the member named in the primary_conninfo the agent wrote, or null
 * @param controlState from pg_controldata, meaningful when PostgreSQL is not running
 * @param checkpoint the latest checkpoint location from pg_controldata
 * @param timeline the running server's timeline, or the checkpoint's timeline when stopped
 * @param postmasterAlive a postmaster process exists for the data directory (it may not accept
 *     connections yet, e.g. while starting, recovering or shutting down)
 * @param replaying a standby still replays WAL it had when it started (no WAL was received since),
 *     so its position is not yet where its WAL ends: after a restart, and above all after a whole
 *     cluster lost power, until its startup process waits for more WAL
 */
public record LocalState(
        boolean dataPresent,
        boolean standbySignal,
        boolean running,
        boolean inRecovery,
        int timeline,
        Lsn walPosition,
        Lsn replayPosition,
        String following,
        boolean streaming,
        ControlState controlState,
        Lsn checkpoint,
        boolean postmasterAlive,
        boolean replaying) {

    /** A server that is not replaying WAL it already has. */
    public LocalState(
            boolean dataPresent,
            boolean standbySignal,
            boolean running,
            boolean inRecovery,
            int timeline,
            Lsn walPosition,
            Lsn replayPosition,
            String following,
            boolean streaming,
            ControlState controlState,
            Lsn checkpoint,
            boolean postmasterAlive) {
        this(
                dataPresent,
                standbySignal,
                running,
                inRecovery,
                timeline,
                walPosition,
                replayPosition,
                following,
                streaming,
                controlState,
                checkpoint,
                postmasterAlive,
                false);
    }

    public static LocalState noData() {
        return new LocalState(
                false, false, false, false, 0, Lsn.ZERO, Lsn.ZERO, null, false, ControlState.UNKNOWN, Lsn.ZERO, false);
    }

    public boolean runningPrimary() {
        return running && !inRecovery;
    }

    public boolean runningStandby() {
        return running && inRecovery;
    }

    /** A stopped data directory that was last used as a primary (it would start writable). */
    public boolean formerPrimary() {
        return dataPresent && !standbySignal && controlState.primaryState();
    }

    public boolean cleanShutdown() {
        return controlState == ControlState.SHUT_DOWN;
    }
}
