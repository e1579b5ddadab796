package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.postgres.OsCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code pgha archive serve} running beside PostgreSQL, as PostgreSQL's OS user, while the
 * node has an {@code archive:} section: archive_command and restore_command then hand their calls to
 * it instead of starting a JVM each (docs/archive.md). Started when a postmaster runs, started again
 * when it ends (after {@link #RETRY_MS}, doubling up to {@link #MAX_RETRY_MS}, when it ended within
 * {@link #QUICK_EXIT_MS} of its start),
 * and stopped with the agent. Its output goes to the agent's log.
 */
final class ArchiveServerKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveServerKeeper.class);
    static final long PERIOD_MS = 500;
    static final long QUICK_EXIT_MS = 10_000;
    static final long RETRY_MS = 5_000;
    static final long MAX_RETRY_MS = 300_000;

    private final NodeConfig cfg;
    private final String pgha;
    private final LongSupplier postmasterPid;
    private ScheduledExecutorService timer;
    private Process process;
    private long startedAt;
    private long notBefore;
    private long retryMs = RETRY_MS;
    private boolean closed;

    /** {@code pgha}: the command that runs pgha as PostgreSQL's OS user (a shell word list). */
    ArchiveServerKeeper(NodeConfig cfg, String pgha, LongSupplier postmasterPid) {
        this.cfg = cfg;
        this.pgha = pgha;
        this.postmasterPid = postmasterPid;
    }

    /** The pgha command the server runs with: archive.pgha_command, else this JVM's server command. */
    static String command(NodeConfig cfg) {
        if (cfg.archive().pghaCommand() != null) return cfg.archive().pghaCommand();
        String server = System.getProperty("pgha.server");
        return server != null ? server : System.getProperty("pgha.self");
    }

    synchronized void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "archive-server-keeper");
            t.setDaemon(true);
            return t;
        });
        var unused = timer.scheduleWithFixedDelay(this::checkQuietly, 0, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    private void checkQuietly() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.warn("archive server keeper: {}", e.toString());
        }
    }

    /** One look: starts the server when a postmaster runs and no server does. */
    synchronized void check() {
        if (closed) return;
        if (process != null) {
            if (process.isAlive()) return;
            long ranMs = (System.nanoTime() - startedAt) / 1_000_000;
            LOG.warn(
                    "archive server {} ended with exit code {} after {} ms", process.pid(), process.exitValue(), ranMs);
            // a server that cannot run (a repository it cannot open, say) is not restarted in a tight
            // loop: 5 s, then twice as long after each quick exit, up to 5 minutes
            if (ranMs < QUICK_EXIT_MS) {
                notBefore = System.nanoTime() + retryMs * 1_000_000;
                retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
            } else {
                retryMs = RETRY_MS;
            }
            process = null;
        }
        if (postmasterPid.getAsLong() <= 0 || System.nanoTime() - notBefore < 0) return;
        if (pgha == null) {
            LOG.warn("archive server: no pgha command is known; set archive.pgha_command");
            notBefore = System.nanoTime() + 60_000_000_000L;
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "exec " + pgha + " \"$@\"", "pgha"));
        cmd.addAll(cfg.archive().serveArgs(Path.of(cfg.dataDir(), "pg_wal").toString()));
        // a killed agent cannot stop its server: the server ends by itself when the agent is gone
        cmd.addAll(List.of("--watch-pid", String.valueOf(ProcessHandle.current().pid())));
        try {
            process = new OsCommand(cfg.osUser())
                    .builder(cmd, Map.of())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            LOG.warn("cannot start the archive server: {}", e.getMessage());
            notBefore = System.nanoTime() + RETRY_MS * 1_000_000;
            return;
        }
        startedAt = System.nanoTime();
        Process p = process;
        Thread out = new Thread(() -> relay(p), "archive-server-output");
        out.setDaemon(true);
        out.start();
        LOG.info("archive server {} started for {}", p.pid(), cfg.archive().spool());
    }

    private static void relay(Process p) {
        try (BufferedReader r = p.inputReader(StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) LOG.info("archive server: {}", line);
        } catch (IOException e) {
            // the server ended
        }
    }

    /** The running server's pid, or -1. */
    synchronized long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    /** Stops the server: SIGTERM (it answers the calls that run, new calls go to the fallback), then SIGKILL. */
    @Override
    public void close() {
        Process p;
        synchronized (this) {
            closed = true;
            if (timer != null) timer.shutdownNow();
            p = process;
            process = null;
        }
        if (p == null || !p.isAlive()) return;
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
    }
}
