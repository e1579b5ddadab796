package io.pgha.postgres;

import io.pgha.core.decide.LocalState;
import io.pgha.core.decide.SyncPlanner.Replica;
import io.pgha.core.model.ArchiveStatus;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.postgres.ConfigFiles.Upstream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Control of the local PostgreSQL as the agent needs it: observation, lifecycle, cloning and
 * rewinding, synchronous standby names, slots and the files pgha writes. {@link LocalPostgres} is the
 * real one; component tests give the agent a fake. Long calls block until done (the agent runs them
 * on its action runner). Implementations need not be thread-safe, except {@link #stopImmediately()},
 * which the lease guard may call at any time.
 */
public interface PostgresControl extends AutoCloseable {

    // ------------------------------------------------------------------ observation

    /** The local server's state now (never throws: what cannot be read is reported as unknown). */
    LocalState observe();

    /** pg_controldata's view of the data directory. */
    ControlData controlData();

    /** The primary's archiving, or null when this server is not a running primary. */
    ArchiveStatus archiveStatus();

    /**
     * A streaming standby: the WAL position its sending server last reported as its own end
     * ({@code pg_stat_wal_receiver.latest_end_lsn}); null without a WAL receiver or when it cannot
     * be read.
     */
    default Lsn upstreamPosition() {
        return null;
    }

    /**
     * Whether the running server has settings changed in its files that take effect only after a
     * restart ({@code pg_settings.pending_restart}); false when it is not running or cannot be asked.
     * Never throws: it feeds a metric and the member record, not a decision.
     */
    default boolean pendingRestart() {
        return false;
    }

    /**
     * Takes this node's own PostgreSQL parameters and pg_hba lines anew (its config file was read
     * again); a running server reloads them.
     */
    default void nodeSettings(io.pgha.core.config.NodeConfig.Postgres settings)
            throws PostgresException, java.io.IOException {}

    /** Rewrites pgha's config files and makes the running server reload them. */
    default void reload() throws PostgresException, java.io.IOException {}

    /**
     * The running server's {@code pg_settings} catalog, read over a connection of its own (so any
     * thread may ask while the agent's loop uses its connection).
     */
    default java.util.Map<String, io.pgha.core.config.ParameterCheck.Setting> settingsCatalog()
            throws java.sql.SQLException {
        throw new java.sql.SQLException("this PostgreSQL cannot describe its settings");
    }

    /**
     * Takes the cluster-wide PostgreSQL settings of the DCS. When they changed and PostgreSQL runs,
     * its config files are rewritten and it reloads them; a stopped server gets them at its next
     * start. True when they changed.
     */
    default boolean clusterSettings(io.pgha.core.model.DynamicConfig.Postgres settings)
            throws PostgresException, java.io.IOException {
        return false;
    }

    /** The standbys connected to this primary. */
    List<Replica> replicas() throws PostgresException;

    /** synchronous_standby_names as the running server uses it. */
    String synchronousStandbyNames() throws PostgresException;

    /** The switch point recorded in the history file of {@code timeline} for its parent. */
    Lsn switchpoint(int timeline) throws PostgresException;

    // ------------------------------------------------------------------ preparation

    /** Creates the directories around the data directory and the password file. */
    void prepare() throws IOException, PostgresException;

    /** Null when PostgreSQL's OS user can run the archive's pgha command; otherwise what to fix. */
    String checkArchiveCommand();

    // ------------------------------------------------------------------ lifecycle

    void initdb() throws PostgresException, IOException;

    void createReplicationRole() throws PostgresException;

    /** Writes pgha's files for the role and starts PostgreSQL, waiting until it accepts connections. */
    void start(Upstream upstream, boolean standby) throws PostgresException, IOException;

    void restart(Upstream upstream, boolean standby) throws PostgresException, IOException;

    /** Stops PostgreSQL and waits for the postmaster to exit; throws when it did not. */
    void stop(StopMode mode) throws PostgresException;

    /**
     * The clean stop of a switchover: a fast shutdown, returning the shutdown checkpoint's position
     * as soon as pg_control records the clean shutdown. From then on nothing can be written: the
     * postmaster may still be sending the last WAL to the standbys and exiting, which {@link
     * #awaitStopped()} waits for. Throws when PostgreSQL did not shut down cleanly.
     */
    default Lsn stopForHandOver() throws PostgresException {
        stop(StopMode.FAST);
        return controlData().checkpoint();
    }

    /** The running postmaster's pid, or -1 (also when this implementation cannot tell). Thread-safe. */
    default long postmasterPid() {
        return -1;
    }

    /** After {@link #stopForHandOver()}: waits for the postmaster to exit; throws when it did not. */
    default void awaitStopped() throws PostgresException {}

    /**
     * Stops PostgreSQL at once, whatever it is doing; true when no PostgreSQL process is left working
     * in the data directory, false when it could not be stopped. Never throws.
     */
    boolean stopImmediately();

    /**
     * A clean stop ({@link StopMode#FAST}), else an immediate one; true when PostgreSQL is confirmed
     * stopped. Never throws; a clean stop that failed is logged.
     */
    default boolean stopCleanlyOrAtOnce() {
        try {
            stop(StopMode.FAST);
            return true;
        } catch (PostgresException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(PostgresControl.class).warn("stopping PostgreSQL: {}", e.getMessage());
            return stopImmediately();
        }
    }

    void promote() throws PostgresException;

    void follow(Upstream upstream) throws PostgresException, IOException;

    void checkpoint() throws PostgresException;

    /** Waits until client transactions open now have ended, at most {@code timeoutMs}; how many are left. */
    int awaitOpenTransactions(long timeoutMs) throws PostgresException, InterruptedException;

    // ------------------------------------------------------------------ copies

    /** An empty directory beside the data directory to build a new copy in. */
    Path cloneDir() throws IOException;

    /** Replaces the data directory with what was built in {@link #cloneDir()}, as a standby of {@code source}. */
    void installClone(Upstream source) throws IOException;

    void cloneFrom(Upstream source, Consumer<String> progress) throws PostgresException, IOException;

    void prepareRewindSource(Upstream source) throws PostgresException;

    void rewindFrom(Upstream source, Consumer<String> progress) throws PostgresException, IOException;

    void removeData() throws IOException;

    // ------------------------------------------------------------------ replication

    /** The value the next start writes for synchronous_standby_names, without touching the running server. */
    void prepareSynchronousStandbyNames(String value);

    /** Sets synchronous_standby_names and returns once the server uses it, with the WAL position then. */
    Lsn setSynchronousStandbyNames(String value) throws PostgresException, IOException;

    /** Makes the WAL senders pick up a change at once. */
    void nudgeStandbys() throws PostgresException;

    /** The local server's replication slots. */
    SlotControl slots();

    /** Writes the DCS's timeline history into pg_wal so that a promotion picks a fresh timeline. */
    void seedHistory(List<HistoryEntry> history, int latest) throws IOException, PostgresException;

    @Override
    void close();
}
