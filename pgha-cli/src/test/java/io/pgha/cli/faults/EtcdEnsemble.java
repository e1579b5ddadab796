package io.pgha.cli.faults;

import io.pgha.dcs.LocalEtcd;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.TcpRelay;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;

/** An etcd cluster of separate server processes ({@link LocalEtcd}), with a TCP relay per (node, server) pair. */
final class EtcdEnsemble implements DcsEnsemble {
    private final LocalEtcd etcd;
    private final TcpRelay[][] relays;

    EtcdEnsemble(Path dir, int servers, int nodes) throws IOException, InterruptedException {
        etcd = LocalEtcd.startFast(dir, servers);
        relays = new TcpRelay[nodes][servers];
        try {
            for (int n = 0; n < nodes; n++) {
                for (int s = 0; s < servers; s++) relays[n][s] = new TcpRelay(FreePorts.one(), port(s + 1));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private int port(int server) {
        String e = etcd.endpoint(server - 1);
        return Integer.parseInt(e.substring(e.lastIndexOf(':') + 1));
    }

    @Override
    public boolean etcd() {
        return true;
    }

    @Override
    public String label() {
        return "etcd";
    }

    @Override
    public String connectString(int node) {
        StringBuilder s = new StringBuilder();
        for (TcpRelay r : relays[node - 1])
            s.append(s.length() == 0 ? "" : ",").append("127.0.0.1:").append(r.port());
        return s.toString();
    }

    @Override
    public String directConnectString() {
        return etcd.endpoints();
    }

    @Override
    public int servers() {
        return etcd.size();
    }

    @Override
    public void start(int server) throws IOException {
        if (etcd.running(server - 1)) return;
        try {
            etcd.startMember(server - 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting etcd member " + server, e);
        }
    }

    /** SIGSTOP (or SIGCONT) of one server: its connections stay open, it answers nothing. */
    void freeze(int server, boolean frozen) throws IOException, InterruptedException {
        etcd.freeze(server - 1, frozen);
    }

    @Override
    public int leader() {
        return etcd.leader() + 1;
    }

    @Override
    public void kill(int server) {
        try {
            etcd.kill(server - 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean serving(int server) {
        try (Socket s = new Socket("127.0.0.1", port(server))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void startAll() throws IOException {
        try {
            etcd.startStopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting etcd", e);
        }
    }

    @Override
    public void cut(int node) {
        for (TcpRelay r : relays[node - 1]) r.cut();
    }

    @Override
    public void heal(int node) {
        for (TcpRelay r : relays[node - 1]) r.heal();
    }

    @Override
    public void close() {
        for (TcpRelay[] row : relays) for (TcpRelay r : row) if (r != null) r.close();
        etcd.close();
    }
}
