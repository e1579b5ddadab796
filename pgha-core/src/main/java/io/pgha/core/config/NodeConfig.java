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
        LogConfig log) {

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
            int walSegmentSizeMb) {}

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
