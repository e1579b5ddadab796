package io.pgha.core.config;

import io.pgha.core.model.Tags;
import io.pgha.core.net.HostPort;
import java.util.List;
import java.util.Map;

/**
 * One node's configuration, immutable once loaded. See docs/configuration.md for every key.
 *
 * @param binDir PostgreSQL's bin directory, or null to detect it
 * @param osUser the OS user PostgreSQL runs as when the agent runs as root
 * @param recloneOnRewindFailure wipe and clone again when pg_rewind fails
 * @param standbyCluster makes a new cluster a standby cluster: when this member initializes the
 *     cluster, the DCS's {@code standby_cluster} setting gets this value (afterwards the DCS value
 *     rules); null for a primary cluster
 * @param log the agent's own logging (format, levels); see {@link LogConfig}
 * @param controlSocket the agent's local control socket, through which CLI commands on this machine
 *     read the cluster without a DCS session of their own; null when turned off (see {@link
 *     ControlSocketPath})
 */
public record NodeConfig(
        String cluster,
        String name,
        String dataDir,
        String binDir,
        String osUser,
        Postgres postgresql,
        RestApi restapi,
        DcsConfig dcs,
        Timing timing,
        Tags tags,
        WatchdogConfig watchdog,
        boolean recloneOnRewindFailure,
        long primaryStartTimeoutMs,
        RouterConfig router,
        ArchiveConfig archive,
        io.pgha.core.model.StandbyCluster standbyCluster,
        LogConfig log,
        String controlSocket) {

    /**
     * What a running agent takes from {@code fresh} (its config file read again on SIGHUP): the
     * parts that can change without a restart (tags, the REST API's credentials, PostgreSQL's
     * parameters and pg_hba lines, logging); every other difference is named in {@code needRestart} and left
     * as it was, so the agent never runs on half of a new config.
     */
    public record Reload(NodeConfig config, java.util.List<String> applied, java.util.List<String> needRestart) {}

    public Reload reloaded(NodeConfig fresh) {
        java.util.List<String> applied = new java.util.ArrayList<>();
        java.util.List<String> restart = new java.util.ArrayList<>();
        if (!cluster.equals(fresh.cluster)) restart.add("cluster");
        if (!name.equals(fresh.name)) restart.add("name");
        if (!dataDir.equals(fresh.dataDir)) restart.add("data_dir");
        if (!java.util.Objects.equals(binDir, fresh.binDir)) restart.add("bin_dir");
        if (!osUser.equals(fresh.osUser)) restart.add("os_user");
        if (!dcs.equals(fresh.dcs)) restart.add("dcs");
        // The lease's timing (ttl, safety_margin) is fixed with the DCS session and the watchdog: a
        // restart. loop_wait only bounds how stale a decision may be: applied while it stays within
        // the ttl this agent keeps.
        Timing keptTiming = timing;
        if (timing.ttlMs() != fresh.timing.ttlMs() || timing.safetyMarginMs() != fresh.timing.safetyMarginMs())
            restart.add("timing.ttl/safety_margin");
        if (timing.loopWaitMs() != fresh.timing.loopWaitMs()) {
            if (fresh.timing.loopWaitMs() <= timing.ttlMs()) {
                keptTiming = new Timing(timing.ttlMs(), fresh.timing.loopWaitMs(), timing.safetyMarginMs());
                applied.add("timing.loop_wait");
            } else {
                restart.add("timing.loop_wait (beyond the running ttl)");
            }
        }
        if (!watchdog.equals(fresh.watchdog)) restart.add("watchdog");
        if (recloneOnRewindFailure != fresh.recloneOnRewindFailure)
            applied.add("remove_data_directory_on_rewind_failure");
        if (primaryStartTimeoutMs != fresh.primaryStartTimeoutMs) applied.add("primary_start_timeout");
        // The router's pooled listener takes its own changes (auth file, sizes, limits) and names those that need
        // a restart; the rest of the router section is fixed at the start.
        RouterConfig keptRouter = router;
        if (router != null && fresh.router != null && router.pool() != null && fresh.router.pool() != null) {
            if (!router.withPool(fresh.router.pool()).equals(fresh.router)) restart.add("router");
            else if (!router.pool().equals(fresh.router.pool())) {
                keptRouter = router.withPool(fresh.router.pool());
                applied.add("router.pool");
            }
        } else if (!java.util.Objects.equals(router, fresh.router)) restart.add("router");
        if (!java.util.Objects.equals(archive, fresh.archive)) restart.add("archive");
        if (!java.util.Objects.equals(standbyCluster, fresh.standbyCluster)) restart.add("standby_cluster");
        if (!java.util.Objects.equals(controlSocket, fresh.controlSocket)) restart.add("control_socket");
        Postgres p = postgresql;
        Postgres f = fresh.postgresql;
        if (!p.listen().equals(f.listen())
                || !java.util.Objects.equals(p.connectAddress(), f.connectAddress())
                || p.port() != f.port()) restart.add("postgresql.listen/connect_address/port");
        if (!p.socketDirectory().equals(f.socketDirectory())) restart.add("postgresql.socket_directory");
        if (!java.util.Objects.equals(p.superuser(), f.superuser())
                || !java.util.Objects.equals(p.replication(), f.replication()))
            restart.add("postgresql.authentication");
        if (p.walSegmentSizeMb() != f.walSegmentSizeMb()) restart.add("postgresql.wal_segment_size");
        if (!p.parameters().equals(f.parameters())) applied.add("postgresql.parameters");
        if (!p.pgHba().equals(f.pgHba())) applied.add("postgresql.pg_hba");
        if (!p.callbacks().equals(f.callbacks())) applied.add("postgresql.callbacks");
        RestApi r = restapi;
        RestApi fr = fresh.restapi;
        if (!r.listen().equals(fr.listen())
                || !java.util.Objects.equals(r.connectAddress(), fr.connectAddress())
                || r.port() != fr.port()
                || !r.listener().equals(fr.listener())) restart.add("restapi (address, TLS, allowlist)");
        if (!java.util.Objects.equals(r.auth(), fr.auth())) applied.add("restapi.authentication");
        if (!tags.equals(fresh.tags)) applied.add("tags");
        if (!java.util.Objects.equals(log, fresh.log)) applied.add("log");
        NodeConfig merged = new NodeConfig(
                cluster,
                name,
                dataDir,
                binDir,
                osUser,
                new Postgres(
                        p.listen(),
                        p.connectAddress(),
                        p.port(),
                        p.superuser(),
                        p.replication(),
                        f.parameters(),
                        f.pgHba(),
                        p.walSegmentSizeMb(),
                        p.socketDirectory(),
                        f.callbacks()),
                new RestApi(r.listen(), r.connectAddress(), r.port(), fr.auth(), r.listener()),
                dcs,
                keptTiming,
                fresh.tags,
                watchdog,
                fresh.recloneOnRewindFailure,
                fresh.primaryStartTimeoutMs,
                keptRouter,
                archive,
                standbyCluster,
                fresh.log,
                controlSocket);
        return new Reload(merged, java.util.List.copyOf(applied), java.util.List.copyOf(restart));
    }

    /**
     * PostgreSQL settings of this node.
     *
     * @param walSegmentSizeMb WAL segment size given to initdb at bootstrap (fixed for the cluster's life)
     */
    public record Postgres(
            String listen,
            String connectAddress,
            int port,
            Credentials superuser,
            Credentials replication,
            Map<String, String> parameters,
            List<String> pgHba,
            int walSegmentSizeMb,
            String socketDirectory,
            Callbacks callbacks) {
        /** PostgreSQL's Unix socket directory unless {@code postgresql.socket_directory} says otherwise. */
        public static final String DEFAULT_SOCKET_DIRECTORY = "/tmp";

        public Postgres {
            socketDirectory = socketDirectory == null ? DEFAULT_SOCKET_DIRECTORY : socketDirectory;
            callbacks = callbacks == null ? Callbacks.NONE : callbacks;
        }

        public Postgres(
                String listen,
                String connectAddress,
                int port,
                Credentials superuser,
                Credentials replication,
                Map<String, String> parameters,
                List<String> pgHba,
                int walSegmentSizeMb,
                String socketDirectory) {
            this(
                    listen,
                    connectAddress,
                    port,
                    superuser,
                    replication,
                    parameters,
                    pgHba,
                    walSegmentSizeMb,
                    socketDirectory,
                    null);
        }

        public Postgres(
                String listen,
                String connectAddress,
                int port,
                Credentials superuser,
                Credentials replication,
                Map<String, String> parameters,
                List<String> pgHba,
                int walSegmentSizeMb) {
            this(listen, connectAddress, port, superuser, replication, parameters, pgHba, walSegmentSizeMb, null);
        }
    }

    /**
     * Patroni's callbacks ({@code postgresql.callbacks}): scripts called as {@code script ACTION ROLE
     * CLUSTER} as the PostgreSQL OS user after PostgreSQL starts, stops, restarts, reloads or changes
     * its role. A callback that fails or outlives {@code timeoutMs} is logged and counted; it never
     * holds anything up.
     *
     * @param scripts by action: on_start, on_stop, on_restart, on_reload, on_role_change
     */
    public record Callbacks(Map<String, String> scripts, long timeoutMs) {
        public static final List<String> ACTIONS =
                List.of("on_start", "on_stop", "on_restart", "on_reload", "on_role_change");
        public static final long DEFAULT_TIMEOUT_MS = 30_000;
        public static final Callbacks NONE = new Callbacks(Map.of(), DEFAULT_TIMEOUT_MS);

        public Callbacks {
            scripts = scripts == null ? Map.of() : Map.copyOf(scripts);
        }
    }

    /**
     * The REST API of this node.
     *
     * @param auth basic-auth credentials for state-changing calls; null (and no client certificates
     *     required, see {@link ApiListener#verifyClient()}) means they are refused with 401
     * @param listener TLS, client networks and request timeout
     */
    public record RestApi(String listen, String connectAddress, int port, Credentials auth, ApiListener listener) {
        public RestApi(String listen, String connectAddress, int port, Credentials auth) {
            this(listen, connectAddress, port, auth, ApiListener.PLAIN);
        }

        /** The URL other members and tools use: https when TLS is configured. */
        public String url() {
            return (listener.tls() ? "https://" : "http://") + HostPort.join(connectAddress, port);
        }
    }
}
