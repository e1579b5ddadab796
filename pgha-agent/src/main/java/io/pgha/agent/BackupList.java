package io.pgha.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.core.config.ArchiveConfig;
import io.pgha.core.config.NodeConfig;
import io.pgha.dcs.Json;
import io.pgha.postgres.OsCommand;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The backups in the repository of this node's {@code archive:} section, for {@code GET /backups}
 * (the dashboard). Listing reads the repository, which belongs to PostgreSQL's OS user, so it runs
 * as that user in a child process ({@code pgha backup list --format json}), like every other
 * repository access of the agent: nothing planted there makes the root-run agent read another file.
 *
 * <p>A call never waits: it answers the last listing and, when that is older than {@link
 * #FRESH_MS} and none is running, starts a new one on the given executor. So a listing runs only
 * while someone looks, at most once a minute, one at a time.
 */
final class BackupList {
    static final long FRESH_MS = 60_000;
    private static final long TIMEOUT_MS = 60_000;

    private final Supplier<NodeConfig> config;
    private final Executor executor;
    private final Function<List<String>, OsCommand.Result> run;
    private final LongSupplier wallClock;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Map<String, Object> last;
    private volatile long lastAt;

    BackupList(
            Supplier<NodeConfig> config,
            Executor executor,
            Function<List<String>, OsCommand.Result> run,
            LongSupplier wallClock) {
        this.config = config;
        this.executor = executor;
        this.run = run;
        this.wallClock = wallClock;
    }

    /** Runs {@code pgha} as the node's OS user (the agent's own way of running pgha children). */
    static Function<List<String>, OsCommand.Result> asOsUser(Supplier<NodeConfig> config) {
        return cmd -> {
            try {
                return new OsCommand(config.get().osUser()).run(cmd, Map.of(), TIMEOUT_MS);
            } catch (io.pgha.postgres.PostgresException e) {
                return new OsCommand.Result(-1, e.getMessage());
            }
        };
    }

    /** The latest listing (see the class comment); starts a fresh one in the background when due. */
    Map<String, Object> current() {
        ArchiveConfig a = config.get().archive();
        if (a == null) {
            return RestActions.ordered(
                    "configured", false, "message", "this node has no archive: section, so it lists no backups");
        }
        Map<String, Object> l = last;
        long now = wallClock.getAsLong();
        if ((l == null || now - lastAt > FRESH_MS) && running.compareAndSet(false, true)) {
            try {
                executor.execute(this::refresh);
            } catch (RejectedExecutionException e) {
                running.set(false);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("configured", true);
        out.put("repository", a.repo());
        out.put("refreshing", running.get());
        if (l == null) out.put("message", "listing the backups...");
        else out.putAll(l);
        return out;
    }

    private void refresh() {
        try {
            ArchiveConfig a = config.get().archive();
            if (a == null) return;
            String pgha = a.pghaCommand() != null ? a.pghaCommand() : System.getProperty("pgha.self");
            Map<String, Object> doc;
            if (pgha == null) {
                doc = Map.of(
                        "error",
                        "cannot list backups: this agent does not know how to run pgha (archive.pgha_command)");
            } else {
                List<String> cmd = new ArrayList<>(List.of(
                        "sh",
                        "-c",
                        pgha + " backup list \"$@\"",
                        "pgha-backup-list",
                        "--format",
                        "json",
                        "--repo",
                        a.repo()));
                if (a.sftpKey() != null) cmd.addAll(List.of("--sftp-key", a.sftpKey()));
                if (a.sftpKnownHosts() != null) cmd.addAll(List.of("--sftp-known-hosts", a.sftpKnownHosts()));
                doc = parse(run.apply(cmd));
            }
            Map<String, Object> withTime = new LinkedHashMap<>(doc);
            withTime.put("listed_at", wallClock.getAsLong());
            last = withTime;
            lastAt = wallClock.getAsLong();
        } finally {
            running.set(false);
        }
    }

    /**
     * The dashboard's view of {@code pgha backup list --format json}: the newest backups first (at
     * most 10) and the names of incomplete ones; or {@code error} with the end of the output.
     */
    static Map<String, Object> parse(OsCommand.Result r) {
        String out = r.output();
        int start = out.indexOf("{\n");
        int end = out.lastIndexOf('}');
        if (!r.ok() || start < 0 || end < start) {
            return Map.of("error", "pgha backup list failed (exit " + r.exitCode() + "): " + r.tail());
        }
        JsonNode doc;
        try {
            doc = Json.MAPPER.readTree(out.substring(start, end + 1));
        } catch (java.io.IOException e) {
            return Map.of("error", "pgha backup list printed no JSON: " + r.tail());
        }
        List<Object> backups = new ArrayList<>();
        JsonNode all = doc.path("backups");
        for (int i = all.size() - 1; i >= 0 && backups.size() < 10; i--) backups.add(all.get(i));
        List<String> incomplete = new ArrayList<>();
        doc.path("incomplete").forEach(n -> incomplete.add(n.asText()));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", all.size());
        m.put("backups", backups);
        m.put("incomplete", incomplete);
        return m;
    }
}
