package io.pgha.cli.faults;

import io.pgha.cli.ChildJvm;
import io.pgha.cli.Main;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.TcpRelay;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A ZooKeeper ensemble of separate server processes ({@code pgha zookeeper}), and one TCP relay per
 * (node, server) pair so that a test can cut one node off from every server while the node still
 * reaches the others over PostgreSQL's ports.
 */
final class ZkEnsemble implements DcsEnsemble {
    private final Path dir;
    private final int servers;
    private final int clientBase;
    private final Process[] procs;
    private final TcpRelay[][] relays;

    ZkEnsemble(Path dir, int servers, int nodes) throws IOException {
        this.dir = dir;
        this.servers = servers;
        this.clientBase = FreePorts.block(servers, 100, 200);
        this.procs = new Process[servers];
        this.relays = new TcpRelay[nodes][servers];
        for (int s = 1; s <= servers; s++) start(s);
        for (int n = 0; n < nodes; n++) {
            for (int s = 0; s < servers; s++) relays[n][s] = new TcpRelay(FreePorts.one(), clientBase + s);
        }
    }

    @Override
    public boolean etcd() {
        return false;
    }

    @Override
    public String label() {
        return "zookeeper";
    }

    @Override
    public synchronized void start(int server) throws IOException {
        if (procs[server - 1] != null && procs[server - 1].isAlive()) return;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(
                List.of(java, "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dpgha.log.defaults=true"));
        cmd.addAll(ChildJvm.archiveOptions(false));
        cmd.addAll(List.of(
                "-cp",
                ChildJvm.classPath(),
                Main.class.getName(),
                "zookeeper",
                "--id",
                String.valueOf(server),
                "--data-dir",
                dir.resolve("zk" + server).toString()));
        for (int s = 1; s <= servers; s++) {
            int c = clientBase + s - 1;
            cmd.add("--peer");
            cmd.add(s + "=127.0.0.1:" + c + ":" + (c + 100) + ":" + (c + 200));
        }
        Files.createDirectories(dir);
        procs[server - 1] = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("zk" + server + ".log").toFile()))
                .start();
    }

    @Override
    public void startAll() throws IOException {
        for (int s = 1; s <= servers; s++) start(s);
    }

    /** SIGKILL of one server. */
    @Override
    public synchronized void kill(int server) {
        Process p = procs[server - 1];
        if (p == null) return;
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The server whose {@code srvr} answer says "Mode: leader", or 0 when none says so now. */
    @Override
    public int leader() {
        for (int s = 1; s <= servers; s++) {
            try (Socket socket = new Socket("127.0.0.1", clientBase + s - 1)) {
                socket.setSoTimeout(2000);
                socket.getOutputStream().write("srvr".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String answer =
                        new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
                if (answer.contains("Mode: leader")) return s;
            } catch (IOException e) {
                // not serving: not the leader
            }
        }
        return 0;
    }

    @Override
    public boolean serving(int server) {
        try (Socket s = new Socket("127.0.0.1", clientBase + server - 1)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Node {@code node}'s connect string: its own relays to every server. */
    @Override
    public String connectString(int node) {
        StringBuilder s = new StringBuilder();
        for (TcpRelay r : relays[node - 1])
            s.append(s.length() == 0 ? "" : ",").append("127.0.0.1:").append(r.port());
        return s.toString();
    }

    /** The servers directly, for the test's own client. */
    @Override
    public String directConnectString() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < servers; i++)
            s.append(i == 0 ? "" : ",").append("127.0.0.1:").append(clientBase + i);
        return s.toString();
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
    public int servers() {
        return servers;
    }

    @Override
    public synchronized void close() {
        for (TcpRelay[] row : relays) for (TcpRelay r : row) if (r != null) r.close();
        for (int s = 1; s <= servers; s++) kill(s);
    }
}
