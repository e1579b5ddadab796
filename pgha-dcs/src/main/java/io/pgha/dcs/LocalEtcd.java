package io.pgha.dcs;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.auth.Permission;
import io.pgha.core.config.Credentials;
import io.pgha.core.config.DcsConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local etcd cluster of OS processes on loopback, for {@code pgha demo --dcs etcd} and tests: one
 * {@code etcd} process per member, each with its own client, peer and metrics port and its own
 * directory ({@code <dir>/etcd<i>/}: the data directory {@code data/} and the log {@code etcd.log}).
 * Members can be stopped, killed and started again with their data, which is how tests make
 * server faults.
 *
 * <p>Health is asked on each member's metrics port ({@code /health}, plain HTTP even when clients
 * talk TLS), so that waiting for the cluster needs no client credentials. Children get a clean
 * environment (PATH, TZ, LANG and a UTF-8 locale): an {@code ETCD_*} variable of the caller would
 * otherwise change the members' configuration behind the command line's back.
 *
 * <p>Every process is stopped by {@link #close()}, and by a failed {@link #start}.
 */
public final class LocalEtcd implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalEtcd.class);
    private static final String HOST = "127.0.0.1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** One member's loopback ports. */
    public record Ports(int client, int peer, int metrics) {}

    /**
     * TLS for clients: the member's certificate and key, the CA clients' certificates must chain to,
     * and whether clients must show one ({@code --client-cert-auth}). Peers talk plain HTTP on
     * loopback.
     */
    public record Tls(Path certFile, Path keyFile, Path trustedCaFile, boolean clientCertAuth) {}

    private final Path binary;
    private final Path dir;
    private final List<Ports> ports;
    private final Tls tls;
    private final String token = "pgha-" + UUID.randomUUID();
    private final Process[] processes;
    /** etcd's raft timing, or null for etcd's defaults (heartbeat 100 ms, election 1 s). */
    private final int[] raftMs;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private LocalEtcd(Path binary, Path dir, List<Ports> ports, Tls tls, int[] raftMs) {
        this.raftMs = raftMs;
        this.binary = binary;
        this.dir = dir;
        this.ports = List.copyOf(ports);
        this.tls = tls;
        this.processes = new Process[ports.size()];
    }

    /** Starts {@code members} members on free loopback ports under {@code dir}, without TLS. */
    public static LocalEtcd start(Path dir, int members) throws IOException, InterruptedException {
        return start(dir, freePorts(members), null);
    }

    /**
     * Starts one member per entry of {@code ports} under {@code dir} as a new cluster and waits until
     * every member is healthy; on failure stops whatever it started and says why (with the end of
     * the failing member's log).
     */
    public static LocalEtcd start(Path dir, List<Ports> ports, Tls tls) throws IOException, InterruptedException {
        return start(dir, ports, tls, null);
    }

    /**
     * Starts {@code members} members on free loopback ports, with a raft heartbeat of 50 ms and an
     * election timeout of 500 ms: a lost etcd leader is replaced within about a second, well inside
     * the lease validity of the default {@code timing.ttl} (3 s). With etcd's defaults (100 ms, 1 s)
     * replacing it can take 2 s, and a primary whose renewals all fall in that gap loses its lease.
     */
    public static LocalEtcd startFast(Path dir, int members) throws IOException, InterruptedException {
        return startFast(dir, freePorts(members));
    }

    /** {@link #startFast(Path, int)} on the given ports (one member per entry). */
    public static LocalEtcd startFast(Path dir, List<Ports> ports) throws IOException, InterruptedException {
        return start(dir, ports, null, new int[] {50, 500});
    }

    private static LocalEtcd start(Path dir, List<Ports> ports, Tls tls, int[] raftMs)
            throws IOException, InterruptedException {
        LocalEtcd etcd = new LocalEtcd(binary(), dir, ports, tls, raftMs);
        try {
            for (int i = 0; i < ports.size(); i++) etcd.launch(i);
            for (int i = 0; i < ports.size(); i++) etcd.awaitHealthy(i);
            return etcd;
        } catch (IOException | InterruptedException | RuntimeException e) {
            etcd.close();
            throw e;
        }
    }

    /** {@code n} sets of free loopback ports, the kernel's picks. */
    public static List<Ports> freePorts(int n) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            List<Ports> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(new Ports(free(held), free(held), free(held)));
            return out;
        } finally {
            for (ServerSocket s : held) s.close();
        }
    }

    private static int free(List<ServerSocket> held) throws IOException {
        ServerSocket s = new ServerSocket(0);
        held.add(s);
        return s.getLocalPort();
    }

    /** The etcd binary: {@code /usr/bin/etcd} (Debian's etcd-server), else {@code etcd} from PATH. */
    static Path binary() {
        Path debian = Path.of("/usr/bin/etcd");
        if (Files.isExecutable(debian)) return debian;
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                Path p = Path.of(d, "etcd");
                if (Files.isExecutable(p)) return p;
            }
        }
        throw new IllegalStateException("no etcd binary: install it (Debian: apt-get install etcd-server)");
    }

    /** The client addresses, {@code host:port,...}, as {@code dcs.etcd.endpoints} takes them. */
    public String endpoints() {
        return String.join(",", endpointList());
    }

    public List<String> endpointList() {
        List<String> out = new ArrayList<>();
        for (Ports p : ports) out.add(HOST + ":" + p.client());
        return out;
    }

    /** The client address of member {@code i} (from 0). */
    public String endpoint(int i) {
        return HOST + ":" + ports.get(i).client();
    }

    public int size() {
        return ports.size();
    }

    private String name(int i) {
        return "etcd" + (i + 1);
    }

    private Path memberDir(int i) {
        return dir.resolve(name(i));
    }

    private String peerUrl(int i) {
        return "http://" + HOST + ":" + ports.get(i).peer();
    }

    private String clientUrl(int i) {
        return (tls == null ? "http://" : "https://") + HOST + ":"
                + ports.get(i).client();
    }

    private List<String> command(int i) {
        StringBuilder cluster = new StringBuilder();
        for (int m = 0; m < ports.size(); m++) {
            if (m > 0) cluster.append(',');
            cluster.append(name(m)).append('=').append(peerUrl(m));
        }
        List<String> cmd = new ArrayList<>(List.of(
                binary.toString(),
                "--name",
                name(i),
                "--data-dir",
                memberDir(i).resolve("data").toString(),
                "--listen-client-urls",
                clientUrl(i),
                "--advertise-client-urls",
                clientUrl(i),
                "--listen-peer-urls",
                peerUrl(i),
                "--initial-advertise-peer-urls",
                peerUrl(i),
                "--listen-metrics-urls",
                "http://" + HOST + ":" + ports.get(i).metrics(),
                "--initial-cluster",
                cluster.toString(),
                "--initial-cluster-token",
                token,
                "--initial-cluster-state",
                "new",
                "--logger",
                "zap",
                "--heartbeat-interval",
                String.valueOf(raftMs == null ? 100 : raftMs[0]),
                "--election-timeout",
                String.valueOf(raftMs == null ? 1000 : raftMs[1]),
                "--log-outputs",
                "stderr"));
        if (tls != null) {
            cmd.addAll(List.of(
                    "--cert-file",
                    tls.certFile().toString(),
                    "--key-file",
                    tls.keyFile().toString(),
                    "--trusted-ca-file",
                    tls.trustedCaFile().toString()));
            if (tls.clientCertAuth()) cmd.add("--client-cert-auth");
        }
        return cmd;
    }

    /**
     * Starts member {@code i}'s process (its data directory is reused: a member started again
     * rejoins with its data; the initial-cluster flags apply only to an empty one).
     */
    private synchronized void launch(int i) throws IOException {
        if (running(i)) return;
        Path d = Files.createDirectories(memberDir(i));
        Path data = d.resolve("data");
        if (!Files.exists(data)) {
            Files.createDirectory(
                    data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        ProcessBuilder pb = new ProcessBuilder(command(i))
                .directory(d.toFile())
                .redirectErrorStream(true)
                .redirectOutput(
                        ProcessBuilder.Redirect.appendTo(d.resolve("etcd.log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(cleanEnvironment());
        processes[i] = pb.start();
        LOG.info("started {} (pid {}) for clients at {}", name(i), processes[i].pid(), clientUrl(i));
    }

    /**
     * The variables a member inherits: the same few as pgha's other children (PATH, TZ, LANG, a UTF-8
     * locale), and etcd's opt-in for CPU architectures other than amd64, which etcd 3.4 refuses to
     * run on without it.
     */
    static Map<String, String> cleanEnvironment() {
        Map<String, String> env = new HashMap<>();
        for (String name : List.of("PATH", "TZ", "LANG")) {
            String v = System.getenv(name);
            if (v != null) env.put(name, v);
        }
        env.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("LC_ALL", "C.UTF-8");
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            env.put("ETCD_UNSUPPORTED_ARCH", arch.equals("aarch64") ? "arm64" : arch);
        }
        return env;
    }

    /** Waits until member {@code i} answers its health check as healthy (it has a leader). */
    private void awaitHealthy(int i) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        URI health = URI.create("http://" + HOST + ":" + ports.get(i).metrics() + "/health");
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            Process p = processes[i];
            if (p == null || !p.isAlive()) {
                throw new IOException(name(i) + " exited" + (p == null ? "" : " with " + p.exitValue())
                        + "; its log ends:\n" + logTail(i));
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(health)
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && r.body().contains("\"true\"")) return;
                last = r.statusCode() + " " + r.body().strip();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100);
        }
        throw new IOException(name(i) + " is not healthy after " + START_TIMEOUT.toSeconds() + " s (" + last
                + "); its log ends:\n" + logTail(i));
    }

    /** The last lines of member {@code i}'s log, for error messages. */
    public String logTail(int i) {
        try {
            List<String> lines = Files.readAllLines(memberDir(i).resolve("etcd.log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * The index of the member that is etcd's raft leader now, as the running members report it; -1
     * when none answers or names one (an election), and always with TLS members (not needed yet).
     */
    public int leader() {
        if (tls != null) return -1;
        List<String> targets = endpointList().stream().map(e -> "http://" + e).toList();
        try (Client c =
                Client.builder().endpoints(targets.toArray(String[]::new)).build()) {
            long leader = 0;
            Map<Long, Integer> ids = new HashMap<>();
            for (int i = 0; i < targets.size(); i++) {
                if (!running(i)) continue;
                try {
                    var status = c.getMaintenanceClient()
                            .statusMember(targets.get(i))
                            .get(2, TimeUnit.SECONDS);
                    ids.put(status.getHeader().getMemberId(), i);
                    if (status.getLeader() != 0) leader = status.getLeader();
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    LOG.debug("etcd member {} did not tell its status: {}", i, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return -1;
                }
            }
            return ids.getOrDefault(leader, -1);
        }
    }

    public synchronized boolean running(int i) {
        return processes[i] != null && processes[i].isAlive();
    }

    /** Starts member {@code i} again with its data and waits until it is healthy. */
    public void startMember(int i) throws IOException, InterruptedException {
        launch(i);
        awaitHealthy(i);
    }

    /**
     * Starts every member that is not running, with its data, and waits until all are healthy (after
     * a loss of quorum, one member alone never becomes healthy: it needs the others).
     */
    public void startStopped() throws IOException, InterruptedException {
        for (int i = 0; i < processes.length; i++) launch(i);
        for (int i = 0; i < processes.length; i++) awaitHealthy(i);
    }

    /** Stops member {@code i} as an operator would (SIGTERM), killing it when it does not exit within 10 s. */
    public void stop(int i) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = processes[i];
        }
        if (p == null || !p.isAlive()) return;
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Kills member {@code i} (SIGKILL), as a machine loss would end it. */
    /**
     * SIGSTOP ({@code frozen}) or SIGCONT of member {@code i}: a stopped member keeps its
     * connections open and answers nothing, as a machine that lost power or a cut network does until
     * TCP gives up.
     */
    public void freeze(int i, boolean frozen) throws IOException, InterruptedException {
        Process p;
        synchronized (this) {
            p = processes[i];
        }
        if (p == null) return;
        Process kill = new ProcessBuilder("kill", frozen ? "-STOP" : "-CONT", String.valueOf(p.pid()))
                .redirectErrorStream(true)
                .start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("cannot " + (frozen ? "stop" : "continue") + " etcd member " + i);
        }
    }

    public void kill(int i) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = processes[i];
        }
        if (p == null) return;
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** Kills every member. */
    public void killAll() throws InterruptedException {
        for (int i = 0; i < processes.length; i++) kill(i);
    }

    /**
     * Turns on etcd's authentication: a {@code root} user (with {@code rootPassword}) as etcd requires,
     * and {@code user} with a role of the same name that may read and write every key under {@code
     * prefix} (pgha's {@code dcs.namespace}), nothing else. {@code clientTls}: how to reach members
     * that serve TLS (null for plain ones).
     */
    public void enableAuth(String prefix, Credentials user, String rootPassword, DcsConfig.Tls clientTls)
            throws IOException {
        String scheme = clientTls == null ? "http://" : "https://";
        ClientBuilder b = Client.builder()
                .endpoints(
                        endpointList().stream().map(e -> URI.create(scheme + e)).toList());
        if (clientTls != null) b.sslContext(DcsTls.grpcClientContext(clientTls));
        try (Client c = b.build()) {
            var auth = c.getAuthClient();
            ByteSequence root = bytes("root");
            ByteSequence name = bytes(user.username());
            String from = prefix.endsWith("/") ? prefix : prefix + "/";
            await("add role root", () -> auth.roleAdd(root));
            await("add user root", () -> auth.userAdd(root, bytes(rootPassword)));
            await("grant role root", () -> auth.userGrantRole(root, root));
            await("add role " + user.username(), () -> auth.roleAdd(name));
            await(
                    "grant " + from + " to role " + user.username(),
                    () -> auth.roleGrantPermission(name, bytes(from), prefixEnd(from), Permission.Type.READWRITE));
            await("add user " + user.username(), () -> auth.userAdd(name, bytes(user.password())));
            await("grant role " + user.username(), () -> auth.userGrantRole(name, name));
            await("enable authentication", auth::authEnable);
        }
    }

    /**
     * Adds a read-only user after {@link #enableAuth}, as docs/security.md tells an operator to: a
     * role {@code pgha-reader} that may read every key under {@code prefix} and nothing else
     * (made on first use), and {@code reader} with that role. Done as {@code root}.
     */
    public void addReader(String prefix, Credentials reader, String rootPassword, DcsConfig.Tls clientTls)
            throws IOException {
        String scheme = clientTls == null ? "http://" : "https://";
        ClientBuilder b = Client.builder()
                .endpoints(
                        endpointList().stream().map(e -> URI.create(scheme + e)).toList())
                .user(bytes("root"))
                .password(bytes(rootPassword));
        if (clientTls != null) b.sslContext(DcsTls.grpcClientContext(clientTls));
        try (Client c = b.build()) {
            var auth = c.getAuthClient();
            ByteSequence role = bytes("pgha-reader");
            String from = prefix.endsWith("/") ? prefix : prefix + "/";
            boolean exists = await("list roles", auth::roleList).getRoles().contains("pgha-reader");
            if (!exists) {
                await("add role pgha-reader", () -> auth.roleAdd(role));
                await(
                        "grant read on " + from + " to role pgha-reader",
                        () -> auth.roleGrantPermission(role, bytes(from), prefixEnd(from), Permission.Type.READ));
            }
            ByteSequence name = bytes(reader.username());
            await("add user " + reader.username(), () -> auth.userAdd(name, bytes(reader.password())));
            await("grant role pgha-reader to " + reader.username(), () -> auth.userGrantRole(name, role));
        }
    }

    /** The end of the key range of every key that starts with {@code prefix}. */
    private static ByteSequence prefixEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        b[b.length - 1]++;
        return ByteSequence.from(b);
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static <T> T await(String what, Supplier<CompletableFuture<T>> call) throws IOException {
        try {
            return call.get().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("etcd: cannot " + what + ": interrupted", e);
        } catch (Exception e) {
            throw new IOException("etcd: cannot " + what + ": " + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    /** Stops every member (SIGTERM, then SIGKILL for one that does not exit within 5 s). */
    @Override
    public void close() {
        List<Process> running = new ArrayList<>();
        synchronized (this) {
            for (Process p : processes) {
                if (p != null && p.isAlive()) {
                    p.destroy();
                    running.add(p);
                }
            }
        }
        for (Process p : running) {
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "LocalEtcd[" + endpoints() + ", " + dir + "]";
    }
}
