package io.pgha.dcs;

import io.pgha.core.config.DcsConfig;
import java.nio.file.Path;

/**
 * Builds the {@link Dcs} a config section names: ZooKeeper (external or the embedded ensemble) or
 * etcd. The agent, the CLI and the router obtain their DCS here and see only the interface.
 */
public final class DcsFactory {
    private DcsFactory() {}

    /**
     * A client for a member that may hold the leader lease: its session timeout (ZooKeeper) or lease
     * TTL (etcd) must be {@code ttlMs}, or the client is refused ({@link Dcs.Connection#REFUSED},
     * reported by {@link Dcs#checkSession}).
     */
    public static Dcs member(DcsConfig dcs, String cluster, long ttlMs) {
        return switch (dcs.kind()) {
            case ETCD -> EtcdDcs.connectMember(dcs, cluster, ttlMs);
            case ZOOKEEPER, EMBEDDED_ZOOKEEPER -> ZooKeeperDcs.connectMember(dcs, cluster, ttlMs);
        };
    }

    /**
     * A client that holds no lease (CLI, router), taking any session timeout; calls fail after about
     * {@code timeoutMs / 2} when no server answers.
     */
    public static Dcs observer(DcsConfig dcs, String cluster, long timeoutMs) {
        return switch (dcs.kind()) {
            case ETCD -> EtcdDcs.connect(dcs, cluster, timeoutMs);
            case ZOOKEEPER, EMBEDDED_ZOOKEEPER -> ZooKeeperDcs.connect(dcs, cluster, timeoutMs);
        };
    }

    /**
     * {@link #observer}, connected: waits up to {@code waitMs} and throws a message that names the
     * DCS when it cannot be reached or refuses this client.
     */
    public static Dcs connectedObserver(DcsConfig dcs, String cluster, long timeoutMs, long waitMs)
            throws InterruptedException {
        Dcs client = observer(dcs, cluster, timeoutMs);
        try {
            if (!client.awaitConnected(waitMs)) {
                throw new DcsUnreachableException("cannot reach " + client.describe() + " (waited " + waitMs + " ms)");
            }
            if (client.connection() == Dcs.Connection.REFUSED) {
                try {
                    client.read();
                } catch (DcsException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }
            return client;
        } catch (RuntimeException | InterruptedException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Starts this node's peer of the embedded ZooKeeper ensemble when the config has one; null for
     * an external DCS.
     */
    public static AutoCloseable startEmbedded(DcsConfig dcs) throws Exception {
        if (dcs.kind() != DcsConfig.Kind.EMBEDDED_ZOOKEEPER) return null;
        var e = dcs.embedded();
        return EmbeddedZooKeeper.start(e.myId(), e.peers(), Path.of(e.dataDir()), ZooKeeperAccess.of(dcs));
    }
}
