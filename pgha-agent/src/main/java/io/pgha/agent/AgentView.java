package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.config.ParameterCheck;
import io.pgha.core.decide.LocalState;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.ScheduledRestart;
import java.util.Map;
import java.util.Optional;

/**
 * What the REST API reads from, and asks of, the agent. The readers return the agent's latest
 * observations (volatile fields): they never block and may be called from any thread. {@link Agent}
 * implements it; tests give a fixed view.
 */
interface AgentView {
    NodeConfig config();

    /** This member as last published; null before the first cycle. */
    Member status();

    /** The cluster as last read from the DCS (or the last good read while it is unreachable). */
    ClusterState cluster();

    /** The local PostgreSQL as last observed. */
    LocalState local();

    /** This member holds the leader lease and its last renewal is still valid. */
    boolean leaseValid();

    /** Each subscriber of the replication sets, as this member (when it leads) last read them. */
    default java.util.List<io.pgha.logical.SetStatus> sets() {
        return java.util.List.of();
    }

    /** The agent's loop ran within the last ttl. */
    boolean alive();

    /**
     * The local PostgreSQL has settings waiting for a restart ({@code pg_settings.pending_restart}),
     * as last checked by the agent's loop.
     */
    default boolean pendingRestart() {
        return false;
    }

    /** Wall-clock milliseconds of the agent's last successful read of the DCS; 0 before the first. */
    default long dcsLastSeenMillis() {
        return 0;
    }

    /** Failsafe mode keeps this primary running through a DCS outage right now. */
    default boolean failsafeActive() {
        return false;
    }

    /**
     * {@code pgha resource cleanup}: forgets the resource's failures on this member and probes it
     * again; refused when this member does not know the resource.
     */
    default void cleanupResource(String name) throws ControlException {
        throw new ControlException("this agent does not manage resources");
    }

    /** Failsafe mode: whether this member confirms {@code leader} as primary (may read the DCS). */
    boolean acceptFailsafe(String leader);

    /** Restarts PostgreSQL in its current role; refused with the reason. */
    void requestRestart() throws ControlException;

    /** Wipes this standby's data directory and clones it again; refused with the reason. */
    void requestReinitialize() throws ControlException;

    /** Rewrites PostgreSQL's config files and reloads it (REST {@code POST /reload}). */
    void requestReload() throws ControlException;

    /**
     * Keeps a restart for later (REST {@code POST /restart} with {@code schedule}); refused while
     * another is scheduled or when the time has passed.
     */
    default void scheduleRestart(ScheduledRestart r) throws ControlException {
        throw new ControlException("scheduled restarts are not supported by this agent");
    }

    /**
     * The local running PostgreSQL's {@code pg_settings}, to check cluster-wide settings against;
     * refused with the reason when it cannot be read.
     */
    default Map<String, ParameterCheck.Setting> settingsCatalog() throws ControlException {
        throw new ControlException("this agent cannot check PostgreSQL settings");
    }

    /** Drops the scheduled restart (REST {@code DELETE /restart}); the one dropped, if any. */
    default Optional<ScheduledRestart> cancelScheduledRestart() {
        return Optional.empty();
    }
}
