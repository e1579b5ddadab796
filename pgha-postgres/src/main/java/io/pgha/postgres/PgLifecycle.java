package io.pgha.postgres;

import io.pgha.postgres.ConfigFiles.Upstream;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local server's process: start (after writing pgha's files for the role), reconfigure a
 * standby's upstream, stop in any mode, stop at once when the lease is lost (and confirm nothing
 * is left), promote, checkpoint, and wait for open transactions before a switchover.
 */
final class PgLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(PgLifecycle.class);
    private final PgServer server;
    private final Binaries bin;
    private final OsCommand os;
    private final Path dataDir;
    private final ConfigFiles files;
    private final Map<String, String> env;

    PgLifecycle(PgServer server) {
        this.server = server;
        this.bin = server.bin;
        this.os = server.os;
        this.dataDir = server.dataDir;
        this.files = server.files;
        this.env = server.env;
    }

    /** Writes pgha's files for the given role and starts PostgreSQL, waiting until it accepts connections. */
    void start(Upstream upstream, boolean standby) throws PostgresException, IOException {
        if (server.postmasterPid() <= 0) {
            killOrphans();
            removeStaleLockFile();
        }
        if (standby) files.synchronousStandbyNames("");
        files.writeAll(upstream, standby);
        server.upstream = upstream;
        server.following = upstream == null ? null : upstream.member();
        try (GuardedDirectory data = os.directory(dataDir)) {
            data.delete("recovery.signal");
            // a promotion request left over (promote() asks more than once): never acted on at a start
            data.delete("promote.signal");
        }
        os.check(
                List.of(
                        bin.path("pg_ctl"),
                        "start",
                        "-D",
                        dataDir.toString(),
                        "-l",
                        server.sibling(".log").toString(),
                        "-w",
                        "-t",
                        "600",
                        "-s"),
                env,
                620_000,
                l -> LOG.info("pg_ctl: {}", l));
    }

    /** Points a running standby at another upstream; primary_conninfo is reloadable since PostgreSQL 13. */
    void follow(Upstream upstream) throws PostgresException, IOException {
        files.writePgha(upstream);
        server.upstream = upstream;
        server.following = upstream == null ? null : upstream.member();
        server.execute("SELECT pg_reload_conf()");
    }

    /**
     * Stops PostgreSQL: {@link StopMode#FAST} (clean: a shutdown checkpoint, and standbys receive all
     * WAL) or another mode. Signals the postmaster directly and waits for the process to exit, which
     * is quicker than pg_ctl's 100 ms polling.
     */
    void stop(StopMode mode) throws PostgresException {
        server.closeConnection();
        long pid = server.postmasterPid();
        if (pid <= 0) return;
        signal(mode, pid);
        if (!awaitExit(pid, 120_000)) {
            throw new PostgresException(
                    "PostgreSQL (pid " + pid + ") did not stop within 120 s after SIG" + mode.signal());
        }
    }

    /** The postmaster a {@link #stopForHandOver} left finishing, or -1. */
    private long handingOver = -1;

    /**
     * A fast shutdown that returns the shutdown checkpoint's position as soon as pg_control records
     * the clean shutdown (polled every 5 ms), without waiting for the postmaster to send the last WAL
     * and exit: {@link #awaitStopped} does. Null when it could not tell that way and waited for the
     * exit instead (no postmaster, or a pg_control this does not read): the caller reads pg_control.
     */
    io.pgha.core.model.Lsn stopForHandOver(java.util.function.Supplier<ControlData> controlFile)
            throws PostgresException {
        server.closeConnection();
        long pid = server.postmasterPid();
        ControlData before = controlFile.get();
        if (pid <= 0 || before == null) {
            stop(StopMode.FAST);
            return null;
        }
        signal(StopMode.FAST, pid);
        handingOver = pid;
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() - deadline < 0) {
            ControlData cd = controlFile.get(); // null: read while being rewritten, read again
            if (cd != null && cd.state() == io.pgha.core.model.ControlState.SHUT_DOWN) return cd.checkpoint();
            if (!Processes.alive(pid)) {
                handingOver = -1;
                return null;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PostgresException("interrupted while waiting for PostgreSQL's shutdown checkpoint", e);
            }
        }
        throw new PostgresException("PostgreSQL (pid " + pid + ") wrote no shutdown checkpoint within 120 s after SIG"
                + StopMode.FAST.signal());
    }

    /** Waits for the postmaster a {@link #stopForHandOver} left finishing to exit. */
    void awaitStopped() throws PostgresException {
        long pid = handingOver;
        handingOver = -1;
        if (pid > 0 && !awaitExit(pid, 120_000)) {
            throw new PostgresException(
                    "PostgreSQL (pid " + pid + ") did not exit within 120 s after its shutdown checkpoint");
        }
    }

    /**
     * Sends the postmaster the signal of {@code mode}: directly (kill(2)), which spares a switchover
     * the start of a kill process (20-50 ms here); through kill(1) as PostgreSQL's OS user when that
     * fails.
     */
    private void signal(StopMode mode, long pid) throws PostgresException {
        try {
            if (Libc.c().kill((int) pid, mode.number()) == 0) return;
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.debug("kill(2) of {}: {}", pid, e.toString());
        }
        if (!Processes.alive(pid)) return; // gone meanwhile: nothing left to signal
        os.check(List.of("kill", "-" + mode.signal(), String.valueOf(pid)), Map.of(), 5000, l -> {});
    }

    /** Waits for the postmaster (not our child) to exit; see {@link Processes}. */
    private static boolean awaitExit(long pid, long timeoutMs) throws PostgresException {
        try {
            return Processes.awaitExit(pid, timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostgresException("interrupted while waiting for PostgreSQL (pid " + pid + ") to exit", e);
        }
    }

    /**
     * Kills the postmaster at once with SIGQUIT then SIGKILL, and any PostgreSQL process left working
     * in the data directory (also a postmaster whose pid file cannot be read); used when the lease is
     * lost. True when no such process is left, false when PostgreSQL could not be stopped.
     */
    boolean stopImmediately() {
        long pid = server.postmasterPid();
        if (pid > 0) {
            try {
                signal(StopMode.IMMEDIATE, pid);
                if (!awaitExit(pid, 300)) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            } catch (PostgresException e) {
                LOG.error("could not stop PostgreSQL (pid {}): {}", pid, e.getMessage());
            }
        }
        killOrphans();
        server.closeConnection();
        return Processes.postgresIn(dataDir).isEmpty();
    }

    /**
     * Removes postmaster.pid when the postmaster it names is gone but not yet reaped (a zombie) and no
     * PostgreSQL process works in the data directory any more. PostgreSQL takes a zombie for a live
     * postmaster and refuses to start ("lock file already exists"), and a zombie stays until its
     * parent reaps it: in a container whose init does not reap, or with the agent as PID 1, never.
     * What the lock file protects, that no old backend still uses the shared memory, {@link
     * #killOrphans} made sure of first.
     */
    private void removeStaleLockFile() {
        removeZombieLock(dataDir, "postmaster.pid");
        // the socket's lock file names the postmaster too, and is refused the same way
        String socketDir = server.cfg.postgresql().socketDirectory();
        if (socketDir != null && !socketDir.isBlank()) {
            removeZombieLock(
                    Path.of(socketDir), ".s.PGSQL." + server.cfg.postgresql().port() + ".lock");
        }
    }

    /** Removes lock file {@code name} of {@code dir} when the pid on its first line is a zombie postmaster. */
    private void removeZombieLock(Path dir, String name) {
        try (GuardedDirectory d = os.directory(dir)) {
            java.util.Optional<String> lock = d.read(name, 4096);
            if (lock.isEmpty()) return;
            long pid;
            try {
                pid = Long.parseLong(lock.get().lines().findFirst().orElse("").trim());
            } catch (NumberFormatException e) {
                return; // being written by a postmaster starting now, or not PostgreSQL's: pg_ctl decides
            }
            if (pid > 0
                    && Processes.zombie(pid)
                    && Processes.postgresIn(dataDir).isEmpty()) {
                LOG.info("postmaster {} is gone but not reaped yet (a zombie): removing {}", pid, dir.resolve(name));
                d.delete(name);
            }
        } catch (IOException e) {
            LOG.debug("cannot look at {}: {}", dir.resolve(name), e.getMessage());
        }
    }

    /** SIGKILLs backends left behind by a postmaster that died (they block a new start). */
    private void killOrphans() {
        List<Long> orphans = Processes.postgresIn(dataDir);
        if (orphans.isEmpty()) return;
        LOG.warn("killing {} PostgreSQL processes left behind by a dead postmaster: {}", orphans.size(), orphans);
        // SIGKILL sent directly (no kill process to start): a handle checks the process's start time,
        // so a pid reused meanwhile is not hit
        for (long p : orphans) ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly);
        try {
            for (long p : orphans)
                if (!Processes.awaitExit(p, 2000)) LOG.warn("left-over PostgreSQL process {} did not exit", p);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Restarts an already configured instance in its current role. */
    void restart(Upstream upstream, boolean standby) throws PostgresException, IOException {
        stop(StopMode.FAST);
        start(upstream, standby);
    }

    /**
     * Promotes the standby and waits (polling every 10 ms) until it accepts writes. The request is
     * {@code pg_promote(wait => false)} on the agent's own connection, which signals the postmaster
     * as pg_ctl would but without starting a process (50-150 ms on a busy machine, during which
     * nobody can write in a switchover); pg_ctl promote when that query fails.
     */
    void promote() throws PostgresException {
        boolean requested = requestPromotion();
        if (!requested) {
            os.check(
                    List.of(bin.path("pg_ctl"), "promote", "-D", dataDir.toString(), "-W", "-s"),
                    env,
                    30_000,
                    l -> LOG.info("pg_ctl: {}", l));
        }
        server.following = null;
        long deadline = System.nanoTime() + 120_000_000_000L;
        long nextRequest = System.nanoTime() + PROMOTE_AGAIN_NANOS;
        while (System.nanoTime() < deadline) {
            try (Statement st = server.connection().createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (!rs.getBoolean(1)) return;
            } catch (SQLException e) {
                server.closeConnection();
            }
            // A request that reaches the startup process while it waits for streamed WAL is taken
            // (it logs "received promote request"), but the startup process then leaves streaming as
            // after a failure and sleeps out wal_retrieve_retry_interval (seen: 950 ms) before it
            // replays the rest and ends recovery; another request wakes it from that sleep, and one
            // too many does nothing (the postmaster removes a leftover signal file at its next start).
            // Asked again every 20 ms, so that such a sleep costs at most that much.
            if (requested && System.nanoTime() - nextRequest >= 0) {
                requestPromotion();
                nextRequest = System.nanoTime() + PROMOTE_AGAIN_NANOS;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new PostgresException("interrupted while waiting for the promotion", e);
            }
        }
        throw new PostgresException("PostgreSQL did not finish its promotion within 120 s");
    }

    /** How long {@link #promote} waits for the end of recovery before it asks again. */
    private static final long PROMOTE_AGAIN_NANOS = 20_000_000L;

    /** {@code pg_promote(wait => false)}: true when PostgreSQL took the request. */
    private boolean requestPromotion() {
        try (Statement st = server.connection().createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_promote(false)")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            server.closeConnection();
            // "recovery is not in progress": the promotion is done
            if (!String.valueOf(e.getMessage()).contains("recovery is not in progress"))
                LOG.warn("pg_promote() failed: {}", e.getMessage());
            return false;
        }
    }

    /** An immediate checkpoint, so that pg_control records the current timeline (after a promotion). */
    void checkpoint() throws PostgresException {
        server.execute("CHECKPOINT");
    }

    /**
     * Waits until every client transaction that was open when this call began has ended (committed,
     * rolled back, or its session closed), or until {@code timeoutMs} passed. Transactions started
     * later are not waited for. Returns how many were still open at the end.
     */
    int awaitOpenTransactions(long timeoutMs) throws PostgresException, InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        try (Statement st = server.connection().createStatement()) {
            String since;
            try (ResultSet rs = st.executeQuery("SELECT statement_timestamp()::text")) {
                rs.next();
                since = rs.getString(1);
            }
            String sql =
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
                            + " AND xact_start < '" + since + "'::timestamptz";
            while (true) {
                int open;
                try (ResultSet rs = st.executeQuery(sql)) {
                    rs.next();
                    open = rs.getInt(1);
                }
                if (open == 0 || System.nanoTime() - deadline >= 0) return open;
                Thread.sleep(20);
            }
        } catch (SQLException e) {
            server.closeConnection();
            throw new PostgresException("SQL failed: " + e.getMessage(), e);
        }
    }
}
