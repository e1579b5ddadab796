package io.pgha.core.model;

import io.pgha.core.config.DcsConfig;
import io.pgha.core.net.HostPort;
import java.util.ArrayList;
import java.util.List;

/**
 * This cluster follows another one (a primary cluster, usually in another site) instead of taking
 * writes: its leader, the <em>standby leader</em>, replicates from the primary cluster and the other
 * members cascade from it. See docs/standby-cluster.md.
 *
 * <p>Where the standby leader gets WAL from, one or more of:
 *
 * @param hosts a libpq multi-host list {@code host:port,...} of the primary cluster's members (or
 *     one router address); the server that takes writes is chosen ({@code
 *     target_session_attrs=read-write}); null when not used
 * @param primaryCluster the primary cluster, found through its DCS: its current primary is
 *     streamed from, and followed across its failovers; null when not used
 * @param archive restore WAL from this node's {@code archive:} repository (shared with the primary
 *     cluster): alone, or as the fallback of streaming
 * @param primarySlotName a replication slot on the primary cluster's primary to stream through (it
 *     must exist there, e.g. as a permanent slot of that cluster); null: none
 */
public record StandbyCluster(String hosts, PrimaryCluster primaryCluster, boolean archive, String primarySlotName) {
    /** The name the standby leader's {@code following} takes: its upstream is the primary cluster. */
    public static final String UPSTREAM = "@primary-cluster";

    public StandbyCluster {
        if (hosts == null && primaryCluster == null && !archive) {
            throw new IllegalArgumentException("a standby cluster needs hosts, primary_cluster or archive");
        }
    }

    /**
     * A primary cluster reached through its DCS, with this node's {@code dcs.auth} and {@code
     * dcs.tls}.
     *
     * @param name the primary cluster's {@code cluster} name
     * @param zookeeper its ZooKeeper connect string, or null
     * @param etcd its etcd endpoints ({@code host:port,...}), or null
     * @param namespace its DCS namespace
     */
    public record PrimaryCluster(String name, String zookeeper, String etcd, String namespace) {
        public PrimaryCluster {
            if ((zookeeper == null) == (etcd == null)) {
                throw new IllegalArgumentException("a primary cluster needs exactly one of zookeeper and etcd");
            }
            namespace = namespace == null ? "/pgha" : namespace;
        }

        /** The primary cluster's DCS, reached with {@code own}'s authentication and TLS. */
        public DcsConfig dcs(DcsConfig own) {
            DcsConfig.Etcd e = etcd == null ? null : new DcsConfig.Etcd(List.of(etcd.split(",")));
            return new DcsConfig(zookeeper, null, e, namespace, own.auth(), own.tls());
        }

        /** For messages: {@code east (ZooKeeper zk1:2181)}. */
        public String describe() {
            return name + (zookeeper != null ? " (ZooKeeper " + zookeeper + ")" : " (etcd " + etcd + ")");
        }
    }

    /** The hosts of {@link #hosts}, in order. */
    public List<HostPort> hostList() {
        return hosts == null ? List.of() : HostPort.parseList(hosts, 5432);
    }

    /** For messages: where WAL comes from. */
    public String describe() {
        List<String> from = new ArrayList<>();
        if (primaryCluster != null) from.add("cluster " + primaryCluster.describe());
        if (hosts != null) from.add(hosts);
        if (archive) from.add("the WAL archive");
        return String.join(", then ", from);
    }
}
