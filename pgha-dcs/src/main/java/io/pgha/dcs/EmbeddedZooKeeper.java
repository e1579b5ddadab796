package io.pgha.dcs;

import io.pgha.core.config.DcsConfig;
import io.pgha.core.net.HostPort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;
import org.apache.zookeeper.server.quorum.QuorumPeer;
import org.apache.zookeeper.server.quorum.QuorumPeerMain;

/**
 * A ZooKeeper server inside this JVM: one peer of an ensemble formed by the agents, or a standalone
 * server (one peer, as tests use). The admin HTTP server is off; every port is the configured one.
 * With a {@link ZooKeeperAccess} that authenticates, the server refuses every operation of a client
 * that has not authenticated with a digest; with TLS, the client port speaks TLS only and the peers
 * talk TLS to each other (see {@link ZooKeeperAccess#serverProperties}).
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
    /** Tick of the embedded servers; sessions may be as short as two ticks. */
    public static final int TICK_MS = 200;

    /**
     * The longest wait of leader election between two rounds of votes (a system property that
     * ZooKeeper reads once per JVM; a value given on the command line wins). ZooKeeper waits 200 ms,
     * then twice as long each round, up to 60 s: a peer cut off from the others for a minute or more
     * may take up to another minute to rejoin after the network heals, and its agent stays without a
     * DCS meanwhile. pgha's peers ask again at least every 2 s; the cost is a few election messages
     * every 2 s while a peer is cut off. (A shorter first wait was tried for the start of a cluster:
     * it did not help, since there the peers' TLS connections to each other are what takes time.)
     */
    static final int MAX_NOTIFICATION_MS = 2000;

    static {
        electionTimings();
    }

    /** Sets ZooKeeper's longest election wait unless given already; true when it is pgha's. */
    static boolean electionTimings() {
        String max = org.apache.zookeeper.server.quorum.FastLeaderElection.MAX_NOTIFICATION_INTERVAL;
        if (System.getProperty(max) == null) System.setProperty(max, String.valueOf(MAX_NOTIFICATION_MS));
        return System.getProperty(max).equals(String.valueOf(MAX_NOTIFICATION_MS));
    }

    private final ZooKeeperServerEmbedded server;
    private final String connectString;

    private EmbeddedZooKeeper(ZooKeeperServerEmbedded server, String connectString) {
        this.server = server;
        this.connectString = connectString;
    }

    /** Starts peer {@code myId} of {@code peers}, keeping its data under {@code dataDir}. */
    public static EmbeddedZooKeeper start(int myId, List<DcsConfig.Peer> peers, Path dataDir) throws Exception {
        return start(myId, peers, dataDir, ZooKeeperAccess.OPEN);
    }

    /** Starts peer {@code myId} of {@code peers} with the authentication and TLS of {@code access}. */
    public static EmbeddedZooKeeper start(int myId, List<DcsConfig.Peer> peers, Path dataDir, ZooKeeperAccess access)
            throws Exception {
        return start(myId, peers, dataDir, TICK_MS, 2 * TICK_MS, 60_000, access);
    }

    /**
     * Starts peer {@code myId} with the given tick and session timeout limits: the server grants a
     * client's requested session timeout clamped to [{@code minSessionMs}, {@code maxSessionMs}] (an
     * external server's defaults are 2 and 20 ticks). Tests use it to stand in for such servers.
     */
    public static EmbeddedZooKeeper start(
            int myId, List<DcsConfig.Peer> peers, Path dataDir, int tickMs, int minSessionMs, int maxSessionMs)
            throws Exception {
        return start(myId, peers, dataDir, tickMs, minSessionMs, maxSessionMs, ZooKeeperAccess.OPEN);
    }

    private static EmbeddedZooKeeper start(
            int myId,
            List<DcsConfig.Peer> peers,
            Path dataDir,
            int tickMs,
            int minSessionMs,
            int maxSessionMs,
            ZooKeeperAccess access)
            throws Exception {
        DcsConfig.Peer me = peers.stream()
                .filter(p -> p.id() == myId)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no peer with id " + myId));
        Path data = dataDir.resolve("data");
        Files.createDirectories(data);
        Properties p = new Properties();
        p.setProperty("tickTime", String.valueOf(tickMs));
        p.setProperty("initLimit", "50");
        p.setProperty("syncLimit", "5");
        p.setProperty("minSessionTimeout", String.valueOf(minSessionMs));
        p.setProperty("maxSessionTimeout", String.valueOf(maxSessionMs));
        p.setProperty("dataDir", data.toString());
        p.setProperty("clientPort", String.valueOf(me.clientPort()));
        p.setProperty("clientPortAddress", me.host());
        p.setProperty("admin.enableServer", "false");
        p.setProperty("4lw.commands.whitelist", "srvr,ruok,mntr");
        // No per-request latency reservoirs (about 1.8 MB of heap in each agent); mntr keeps the
        // server's own figures (state, latency, znodes, followers, outstanding requests).
        p.setProperty("metricsProvider.className", "org.apache.zookeeper.metrics.impl.NullMetricsProvider");
        p.setProperty("autopurge.purgeInterval", "1");
        p.setProperty("autopurge.snapRetainCount", "3");
        p.setProperty("snapCount", "10000");
        access.serverProperties(p, me.clientPort());
        if (peers.size() > 1) {
            for (DcsConfig.Peer peer : peers) {
                p.setProperty(
                        "server." + peer.id(), HostPort.join(peer.host(), peer.peerPort()) + ":" + peer.electionPort());
            }
            writeMyId(data, myId);
        }
        ZooKeeperServerEmbedded server = ZooKeeperServerEmbedded.builder()
                .baseDir(dataDir)
                .configuration(p)
                .exitHandler(ExitHandler.LOG_ONLY)
                .build();
        access.registerServerProviders();
        // A quorum peer "starts" before the ensemble has a leader; clients wait for that themselves.
        server.start(60_000);
        String connect = me.clientAddress();
        return new EmbeddedZooKeeper(server, connect);
    }

    /** A standalone server on {@code port} of loopback, for tests and single-node setups. */
    public static EmbeddedZooKeeper standalone(int port, Path dataDir) throws Exception {
        return start(1, List.of(new DcsConfig.Peer(1, "127.0.0.1", port, 0, 0)), dataDir);
    }

    /** A standalone server on {@code port} of loopback with the authentication and TLS of {@code access}. */
    public static EmbeddedZooKeeper standalone(int port, Path dataDir, ZooKeeperAccess access) throws Exception {
        return start(1, List.of(new DcsConfig.Peer(1, "127.0.0.1", port, 0, 0)), dataDir, access);
    }

    /** A standalone server on {@code host}:{@code port} whose tick is {@code tickMs} and whose session limits are ZooKeeper's defaults (2 and 20 ticks). */
    public static EmbeddedZooKeeper standalone(String host, int port, Path dataDir, int tickMs) throws Exception {
        return start(1, List.of(new DcsConfig.Peer(1, host, port, 0, 0)), dataDir, tickMs, 2 * tickMs, 20 * tickMs);
    }

    private static void writeMyId(Path data, int myId) throws IOException {
        Files.writeString(data.resolve("myid"), String.valueOf(myId), StandardCharsets.US_ASCII);
    }

    public String connectString() {
        return connectString;
    }

    /**
     * Whether this peer serves clients: a standalone server once started, a quorum peer once it leads
     * or follows and has caught up with the leader. Before that it accepts a client's connection (the
     * TLS handshake included) and closes it at once. Read from ZooKeeper's objects in this JVM, which
     * its embedding API does not expose; true when they cannot be read (then nobody is held back).
     */
    public boolean serving() {
        try {
            java.lang.reflect.Field main = server.getClass().getDeclaredField("maincluster");
            main.setAccessible(true);
            Object cluster = main.get(server);
            if (cluster == null) return true; // standalone: started means serving
            java.lang.reflect.Field peerField = QuorumPeerMain.class.getDeclaredField("quorumPeer");
            peerField.setAccessible(true);
            QuorumPeer peer = (QuorumPeer) peerField.get(cluster);
            if (peer == null) return false;
            ZooKeeperServer zk = peer.getActiveServer();
            return zk != null && zk.isRunning();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true;
        }
    }

    /**
     * Waits up to {@code timeoutMs} until this peer {@link #serving serves}; true when it does. An
     * agent waits so before its client's first attempt, while the ensemble elects a leader: each
     * attempt on a server that does not serve yet costs both sides a TLS handshake, and at a
     * cluster's start those were most of the CPU the election competed with.
     */
    public boolean awaitServing(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!serving()) {
            if (System.nanoTime() - deadline >= 0) return false;
            Thread.sleep(10);
        }
        return true;
    }

    @Override
    public void close() {
        server.close();
    }
}
