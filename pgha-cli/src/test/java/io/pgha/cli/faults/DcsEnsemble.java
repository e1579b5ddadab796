package io.pgha.cli.faults;

import java.io.IOException;

/**
 * The DCS of a fault campaign: separate server processes, each node reaching every server through
 * its own relays, so that a fault can stop a server, the whole DCS, or one node's access to it.
 */
interface DcsEnsemble extends AutoCloseable {
    /** Whether the nodes' configs name etcd endpoints (else ZooKeeper servers). */
    boolean etcd();

    /** What node {@code node} connects to: its own relays to every server. */
    String connectString(int node);

    /** The servers directly, for the test's own client. */
    String directConnectString();

    int servers();

    /** Starts server {@code server} again (with its data) if it is not running. */
    void start(int server) throws IOException;

    /** Starts every server that is not running (after a whole outage too). */
    void startAll() throws IOException;

    /**
     * The server that leads the ensemble now (1-based), or 0 when this ensemble cannot tell. Losing
     * it is the harder case: writes stop until the others elect a new leader.
     */
    default int leader() {
        return 0;
    }

    /** SIGKILL of one server. */
    void kill(int server);

    boolean serving(int server);

    /** Cuts node {@code node} off from every server. */
    void cut(int node);

    void heal(int node);

    /** A short name for reports: "zookeeper", "etcd". */
    String label();

    @Override
    void close();
}
