package io.pgha.cli;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.Credentials;
import io.pgha.core.config.DcsConfig;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.DcsFactory;
import io.pgha.postgres.OsCommand;
import io.pgha.postgres.Processes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of N nodes on loopback, each node its own OS process (agent JVM with an embedded
 * ZooKeeper peer, plus its postmaster), so killing a node's processes is what a machine loss looks
 * like. Used by {@code pgha demo} and by the end-to-end tests. {@link #close()} stops every process
 * it started, also postmasters left behind by a killed agent.
 *
 * <p>Ports: node i (1-based) has PostgreSQL on {@code pgPort + i - 1}, its REST API on {@code
 * apiPort + i - 1} and its ZooKeeper peer on {@code zkPort + i - 1} (client), {@code + 100} (peer)
 * and {@code + 200} (election).
 *
 * <p>Tests may put node i on another address ({@link Options#hosts}) and start it through a prefix
 * such as {@code ip netns exec NS} ({@link Options#launchPrefix}), so that every node lives in its
 * own network namespace. Nodes on their own addresses all use the same ports (a virtual IP then
 * reaches whichever is primary on one port) and keep PostgreSQL's Unix socket in their own
 * directory.
 *
 * <p>An embedded ensemble is secured as production ones should be: every client authenticates with
 * a digest credential made for this cluster, every node is readable by that credential only, and
 * clients and peers talk TLS with a self-signed certificate ({@link DemoSecrets}). With {@code
 * externalZk} the nodes use the caller's server as it is, without either.
 */
public final class LocalCluster implements AutoCloseable {
    /**
     * What to build. {@code extraYaml} is appended to every node's config (e.g. timing, tags), with
     * {@code ${node}} replaced by the node's name. With
     * {@code externalZk} set, node i uses {@code externalZk.get(i - 1)} as its ZooKeeper connect
     * string instead of an embedded peer (tests put a relay there to cut one node off).
     */
    /**
     * @param externalZk per node, the address list of an external DCS instead of an embedded
     *     ZooKeeper ensemble (null: embedded)
     * @param etcd whether {@code externalZk} lists etcd endpoints rather than ZooKeeper servers
     * @param hosts per node, the address its PostgreSQL, REST API and embedded ZooKeeper peer listen
     *     on and advertise (null: 127.0.0.1 for every node)
     * @param launchPrefix per node, the command its agent is started through, e.g. {@code ip netns
     *     exec NS} to run it in a network namespace; it must exec the agent, keeping the pid (null:
     *     none)
     * @param trusted networks (CIDR) from which PostgreSQL lets anyone in as any user without a
     *     password, as it does from loopback; every node's host is added by itself (null: none)
     */
    public record Options(
            String name,
            int nodes,
            Path dir,
            int pgPort,
            int apiPort,
            int zkPort,
            String extraYaml,
            List<String> externalZk,
            boolean etcd,
            List<String> hosts,
            List<List<String>> launchPrefix,
            List<String> trusted) {
        public Options {
            if (nodes < 1 || nodes > 9)
                throw new IllegalArgumentException("--nodes: " + nodes + " is not between 1 and 9");
            if (nodes == 2 && externalZk == null)
                throw new IllegalArgumentException(
                        "--nodes: 2 nodes cannot keep a ZooKeeper quorum when one is lost; use 1 or 3+");
            if (etcd && externalZk == null) throw new IllegalArgumentException("etcd needs its endpoints");
            hosts = hosts == null ? java.util.Collections.nCopies(nodes, LOOPBACK) : List.copyOf(hosts);
            if (hosts.size() != nodes)
                throw new IllegalArgumentException(hosts.size() + " hosts given for " + nodes + " nodes");
            launchPrefix = launchPrefix == null
                    ? java.util.Collections.nCopies(nodes, List.of())
                    : launchPrefix.stream().map(List::copyOf).toList();
            if (launchPrefix.size() != nodes)
                throw new IllegalArgumentException(
                        launchPrefix.size() + " launch prefixes given for " + nodes + " nodes");
            trusted = trusted == null ? List.of() : List.copyOf(trusted);
        }

        public Options(
                String name,
                int nodes,
                Path dir,
                int pgPort,
                int apiPort,
                int zkPort,
                String extraYaml,
                List<String> externalZk,
                boolean etcd) {
            this(name, nodes, dir, pgPort, apiPort, zkPort, extraYaml, externalZk, etcd, null, null, null);
        }

        public Options(
                String name,
                int nodes,
                Path dir,
                int pgPort,
                int apiPort,
                int zkPort,
                String extraYaml,
                List<String> externalZk) {
            this(name, nodes, dir, pgPort, apiPort, zkPort, extraYaml, externalZk, false);
        }

        /**
         * These options with node i on {@code hosts.get(i - 1)}, started through {@code
         * launchPrefix.get(i - 1)}, and PostgreSQL trusting {@code trusted} networks.
         */
        public Options on(List<String> hosts, List<List<String>> launchPrefix, List<String> trusted) {
            return new Options(
                    name,
                    nodes,
                    dir,
                    pgPort,
                    apiPort,
                    zkPort,
                    extraYaml,
                    externalZk,
                    etcd,
                    hosts,
                    launchPrefix,
                    trusted);
        }

        /** Whether every node runs on loopback of this host's network namespace. */
        boolean loopbackOnly() {
            return hosts.stream().allMatch(LOOPBACK::equals)
                    && launchPrefix.stream().allMatch(List::isEmpty);
        }
    }

    private static final String LOOPBACK = "127.0.0.1";

    private final Options opt;
    private final List<Path> configs = new ArrayList<>();
    private final Process[] agents;
    private final String apiPassword;
    /** The ZooKeeper credential and certificates of the embedded ensemble; null with {@code externalZk}. */
    private final Credentials dcsAuth;

    private final DcsConfig.Tls dcsTls;
    private Dcs dcs;
    private String observerConnect;
    /** Node configs read once, for {@link #anyAgentConnected}. */
    private NodeConfig[] nodeConfigs;

    private LocalCluster(Options opt, String apiPassword, Credentials dcsAuth, DcsConfig.Tls dcsTls) {
        this.opt = opt;
        this.agents = new Process[opt.nodes()];
        this.apiPassword = apiPassword;
        this.dcsAuth = dcsAuth;
        this.dcsTls = dcsTls;
    }

    /** Writes (or re-uses) each node's config under {@code dir}; starts nothing. */
    public static LocalCluster create(Options opt) throws IOException {
        // nodes elsewhere (another address, another network namespace) cannot be checked from here
        for (int i = 1; i <= opt.nodes() && opt.loopbackOnly(); i++) {
            checkFree("--pg-port", opt.pgPort() + i - 1);
            checkFree("--api-port", opt.apiPort() + i - 1);
            if (opt.externalZk() == null) {
                checkFree("--zk-port", opt.zkPort() + i - 1);
                checkFree("--zk-port (+100 peer)", opt.zkPort() + 100 + i - 1);
                checkFree("--zk-port (+200 election)", opt.zkPort() + 200 + i - 1);
            }
        }
        Files.createDirectories(opt.dir());
        if (OsCommand.runningAsRoot()) {
            // PostgreSQL runs as another user and must be able to reach its directories below this one.
            Files.setPosixFilePermissions(opt.dir(), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        byte[] secret = new byte[12];
        new SecureRandom().nextBytes(secret);
        Credentials dcsAuth = null;
        DcsConfig.Tls dcsTls = null;
        if (opt.externalZk() == null) {
            String dcsPassword = DemoSecrets.dcsPassword(opt.dir());
            dcsAuth = new Credentials(DemoSecrets.DCS_USER, dcsPassword);
            dcsTls = DemoSecrets.tls(opt.dir(), opt.hosts());
        }
        LocalCluster c = new LocalCluster(opt, HexFormat.of().formatHex(secret), dcsAuth, dcsTls);
        for (int i = 1; i <= opt.nodes(); i++) c.writeConfig(i);
        return c;
    }

    private static void checkFree(String option, int port) throws IOException {
        if (port < 1 || port > 65535)
            throw new IllegalArgumentException(option + ": port " + port + " is out of range");
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new IOException(option + ": port " + port + " on 127.0.0.1 is already in use");
        }
    }

    public String nodeName(int i) {
        return "node" + i;
    }

    public Path config(int i) {
        return configs.get(i - 1);
    }

    /** Node i's agent log. */
    public Path agentLog(int i) {
        return opt.dir().resolve(nodeName(i)).resolve("agent.log");
    }

    /** The address node i listens on and advertises. */
    public String host(int i) {
        return opt.hosts().get(i - 1);
    }

    public int pgPort(int i) {
        return opt.pgPort() + offset(i);
    }

    public int apiPort(int i) {
        return opt.apiPort() + offset(i);
    }

    /** Nodes on loopback differ in their ports; nodes on their own addresses share them. */
    private int offset(int i) {
        return opt.loopbackOnly() ? i - 1 : 0;
    }

    public Path directory() {
        return opt.dir();
    }

    public int nodes() {
        return opt.nodes();
    }

    public String apiPassword() {
        return apiPassword;
    }

    private void writeConfig(int i) throws IOException {
        Path nodeDir = opt.dir().resolve(nodeName(i));
        Files.createDirectories(nodeDir);
        StringBuilder peers = new StringBuilder();
        for (int j = 1; j <= opt.nodes(); j++) {
            int z = opt.zkPort() + offset(j);
            peers.append("      - \"")
                    .append(j)
                    .append('=')
                    .append(host(j))
                    .append(':')
                    .append(z)
                    .append(':')
                    .append(z + 100)
                    .append(':')
                    .append(z + 200)
                    .append("\"\n");
        }
        StringBuilder hba = new StringBuilder();
        List<String> trusted = new ArrayList<>(List.of(LOOPBACK + "/32"));
        for (int j = 1; j <= opt.nodes(); j++) trusted.add(host(j) + (host(j).contains(":") ? "/128" : "/32"));
        trusted.addAll(opt.trusted());
        for (String net : trusted.stream().distinct().toList()) {
            hba.append("    - \"host all all ").append(net).append(" trust\"\n");
            hba.append("    - \"host replication all ").append(net).append(" trust\"\n");
        }
        String yaml = (opt.loopbackOnly()
                        ? "# pgha demo node. Loopback only; local connections need no password (demo only:\n"
                        : "# pgha test node. Connections from the nodes and from " + opt.trusted()
                                + " need no password (tests only:\n")
                + "# production configs default to scram-sha-256). See docs/configuration.md.\n"
                + "cluster: " + opt.name() + "\n"
                + "name: " + nodeName(i) + "\n"
                + "data_dir: " + nodeDir.resolve("data").toAbsolutePath() + "\n"
                + controlSocket(i)
                + "remove_data_directory_on_rewind_failure: true\n"
                + "postgresql:\n"
                // on its own address a node's PostgreSQL listens on every address of its namespace, so
                // that a virtual IP added there reaches it too
                + (opt.loopbackOnly()
                        ? "  listen: " + host(i) + "\n"
                        : "  listen: 0.0.0.0\n  connect_address: " + host(i) + "\n")
                + "  port: " + pgPort(i) + "\n"
                + (opt.loopbackOnly()
                        ? ""
                        : "  socket_directory: " + nodeDir.resolve("run").toAbsolutePath() + "\n")
                + "  authentication:\n"
                + "    superuser: {username: postgres}\n"
                + "    replication: {username: postgres}\n"
                + "  pg_hba:\n"
                + "    - \"local all all trust\"\n"
                + hba
                + "  parameters:\n"
                + "    shared_buffers: 32MB\n"
                + "    max_connections: '60'\n"
                + "    fsync: 'on'\n"
                + "restapi:\n"
                + "  listen: " + host(i) + "\n"
                + "  port: " + apiPort(i) + "\n"
                + "  authentication: {username: admin, password: " + apiPassword + "}\n"
                + "dcs:\n"
                + (dcsAuth == null
                        ? ""
                        : "  auth: {username: " + dcsAuth.username() + ", password: " + dcsAuth.password() + "}\n")
                + (dcsTls == null
                        ? ""
                        : "  tls: {keystore: " + dcsTls.keystore()
                                + (dcsTls.keystorePassword() == null
                                        ? ""
                                        : ", keystore_password: " + dcsTls.keystorePassword())
                                + ", truststore: " + dcsTls.truststore() + "}\n")
                + (opt.etcd()
                        ? "  etcd: {endpoints: \"" + opt.externalZk().get(i - 1) + "\"}\n"
                        : opt.externalZk() != null
                                ? "  zookeeper: {connect: \"" + opt.externalZk().get(i - 1) + "\"}\n"
                                : "  embedded:\n"
                                        + "    my_id: " + i + "\n"
                                        + "    data_dir: "
                                        + nodeDir.resolve("zookeeper").toAbsolutePath() + "\n"
                                        + "    peers:\n" + peers)
                + (opt.extraYaml() == null ? "" : opt.extraYaml().replace("${node}", nodeName(i)) + "\n");
        Path cfg = opt.dir().resolve(nodeName(i) + ".yml");
        // the file holds the REST API's, the DCS's and the key store's passwords: owner-only from its creation
        Files.deleteIfExists(cfg);
        Files.createFile(cfg, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(cfg, yaml);
        ConfigLoader.load(cfg); // fail now, naming the key, rather than in a child process
        configs.add(cfg);
    }

    /**
     * The {@code control_socket} line of node i: in the cluster's own directory ({@code
     * DIR/control/}, made 0700 by the agent), so that a cluster removed with its directory (a test's,
     * a demo's with --fresh) leaves no socket behind, even one of an agent that was killed; the
     * default ({@code /run/pgha/}) where that path would be too long for a socket.
     */
    private String controlSocket(int i) {
        Path p = opt.dir().resolve("control").resolve(nodeName(i) + ".sock").toAbsolutePath();
        if (p.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                > io.pgha.core.config.ControlSocketPath.MAX_BYTES) return "";
        return "control_socket: " + p + "\n";
    }

    // ------------------------------------------------------------------ processes

    public void startAll() throws IOException {
        for (int i = 1; i <= opt.nodes(); i++) start(i);
    }

    /** Starts node i's agent process (which starts its PostgreSQL). */
    public synchronized void start(int i) throws IOException {
        if (agents[i - 1] != null && agents[i - 1].isAlive()) return;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(opt.launchPrefix().get(i - 1));
        cmd.addAll(List.of(
                java,
                "-Xms16m",
                "-Xmx64m",
                // a young generation of 4 MB and a heap that gives back what it does not use: an
                // idle agent collects every 8-10 s in 3-7 ms; 20 MB of heap committed instead of 30
                "-Xmn4m",
                "-XX:MinHeapFreeRatio=10",
                "-XX:MaxHeapFreeRatio=20",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xss256k",
                "-XX:MaxMetaspaceSize=80m",
                "-XX:ReservedCodeCacheSize=24m",
                "-XX:MaxDirectMemorySize=16m",
                // no hsperfdata file, and no sampler waking every 50 ms (2 ms of CPU a second idle)
                "-XX:-UsePerfData",
                "-Dpgha.log.level=INFO",
                // the agent's own logging setup, also when a test class path carries a logback-test.xml
                "-Dpgha.log.defaults=true"));
        // a class data archive (the launcher's pgha.cds, handed on to the JVMs the agent starts: archive
        // server, archive_command): agents start faster and share its pages
        cmd.addAll(ChildJvm.archiveOptions(true));
        String extra = System.getenv("PGHA_AGENT_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            for (String o : extra.trim().split("\\s+")) cmd.add(o.replace("{node}", nodeName(i)));
        }
        cmd.addAll(List.of(
                "-cp",
                ChildJvm.classPath(),
                Main.class.getName(),
                "agent",
                "--config",
                config(i).toString()));
        Path log = opt.dir().resolve(nodeName(i)).resolve("agent.log");
        agents[i - 1] = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    public boolean agentAlive(int i) {
        return agents[i - 1] != null && agents[i - 1].isAlive();
    }

    /** SIGKILL of node i: its agent, its postmaster and every PostgreSQL process, like a power cut. */
    public void kill(int i) {
        Process p = agents[i - 1];
        if (p != null) {
            p.destroyForcibly();
            waitFor(p, 10);
        }
        killPostgres(i);
    }

    private void killPostgres(int i) {
        postmaster(i).ifPresent(pm -> {
            List<ProcessHandle> children = pm.descendants().toList();
            pm.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            awaitGone(pm);
        });
    }

    /** SIGKILL of node i's postmaster only, its agent keeps running. */
    public void killPostmaster(int i) {
        postmaster(i).ifPresent(pm -> {
            pm.destroyForcibly();
            awaitGone(pm);
        });
    }

    private static void awaitGone(ProcessHandle p) {
        try {
            Processes.awaitExit(p.pid(), 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * SIGSTOP of every process of node i (agent, postmaster, backends): the node freezes as in a
     * long pause of the whole machine. {@link #thaw} resumes it.
     */
    public void freeze(int i) {
        signal("STOP", nodeProcesses(i));
    }

    /** SIGSTOP of node i's agent only: its PostgreSQL runs on, unsupervised (a hung agent). */
    public void freezeAgent(int i) {
        Process p = agents[i - 1];
        if (p != null) signal("STOP", List.of(p.pid()));
    }

    /** SIGCONT of node i's agent. */
    public void thawAgent(int i) {
        Process p = agents[i - 1];
        if (p != null) signal("CONT", List.of(p.pid()));
    }

    /** SIGCONT of every process of node i. */
    public void thaw(int i) {
        signal("CONT", nodeProcesses(i));
    }

    private List<Long> nodeProcesses(int i) {
        List<Long> pids = new ArrayList<>();
        Process agent = agents[i - 1];
        if (agent != null && agent.isAlive()) pids.add(agent.pid());
        postmaster(i).ifPresent(pm -> {
            pids.add(pm.pid());
            pm.descendants().forEach(d -> pids.add(d.pid()));
        });
        return pids;
    }

    /** Sends {@code sig} (HUP, TERM, ...) to node i's agent process only. */
    public void signalAgent(int i, String sig) {
        Process p = agents[i - 1];
        if (p != null && p.isAlive()) signal(sig, List.of(p.pid()));
    }

    /** The exit status of node i's agent process, once it ended; null while it runs (or never ran). */
    public Integer agentExitCode(int i) {
        Process p = agents[i - 1];
        return p == null || p.isAlive() ? null : p.exitValue();
    }

    private static void signal(String sig, List<Long> pids) {
        if (pids.isEmpty()) return;
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + sig));
        pids.forEach(p -> cmd.add(String.valueOf(p)));
        try {
            new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM to node i's agent: it stops PostgreSQL cleanly and leaves the cluster. */
    public void stop(int i) {
        Process p = agents[i - 1];
        if (p == null) return;
        p.destroy();
        if (!waitFor(p, 30)) {
            p.destroyForcibly();
            waitFor(p, 10);
        }
    }

    public Optional<ProcessHandle> postmaster(int i) {
        long pid = Processes.postmasterPid(opt.dir().resolve(nodeName(i)).resolve("data"));
        return pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
    }

    private static boolean waitFor(Process p, int seconds) {
        try {
            return p.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ------------------------------------------------------------------ observing

    /** A DCS client for the cluster (created on first use, closed with the cluster). */
    public synchronized Dcs dcs() {
        if (dcs == null) {
            NodeConfig cfg = ConfigLoader.load(config(1));
            dcs = DcsFactory.observer(
                    observerConnect != null ? cfg.dcs().via(observerConnect) : cfg.dcs(),
                    cfg.cluster(),
                    cfg.timing().ttlMs());
        }
        return dcs;
    }

    /**
     * Observes (and controls) the cluster through {@code connect} instead of node 1's own DCS
     * address, e.g. when a test cuts node 1 off from ZooKeeper.
     */
    public synchronized void observeVia(String connect) {
        observerConnect = connect;
        if (dcs != null) {
            dcs.close();
            dcs = null;
        }
    }

    public ClusterState state() throws DcsException {
        return dcs().read();
    }

    /**
     * True when the agent of some node answers on its control socket with its DCS session up. The
     * demo waits for that before its own DCS client's first attempt: while the embedded ensemble
     * elects, each attempt costs the client and a server a TLS handshake that the server then
     * closes, CPU that the election and the agents' start need. True also when a node has no control
     * socket in the cluster's directory (nothing to ask); the caller bounds its wait besides.
     */
    public synchronized boolean anyAgentConnected() {
        if (nodeConfigs == null) {
            nodeConfigs = new NodeConfig[opt.nodes()];
            for (int i = 1; i <= opt.nodes(); i++) nodeConfigs[i - 1] = ConfigLoader.load(config(i));
        }
        for (NodeConfig n : nodeConfigs) {
            // a node's socket outside the cluster's directory (its path would be too long there) may be
            // another cluster's: nothing to wait for
            if (n.controlSocket() == null
                    || !Path.of(n.controlSocket()).startsWith(opt.dir().toAbsolutePath())) return true;
            if (LocalReads.ask(n, "list", true, 1000) != null) return true;
        }
        return false;
    }

    /** True when a primary holds the lease and every live node runs as its streaming standby. */
    public boolean healthy(int expectedMembers) {
        try {
            return healthy(state(), expectedMembers);
        } catch (DcsException e) {
            return false;
        }
    }

    /** {@link #healthy(int)} of a view already read. */
    public static boolean healthy(ClusterState c, int expectedMembers) {
        // a standby cluster's leader is its standby leader, a running standby
        Optional<Member> leader =
                c.leaderMember().filter(m -> m.isRunningPrimary() || (c.config().standby() && m.isRunningStandby()));
        if (leader.isEmpty()) return false;
        long streaming = c.members().values().stream()
                .filter(m -> m.isRunningStandby()
                        && m.streaming()
                        && leader.get().name().equals(m.following()))
                .count();
        return streaming == expectedMembers - 1;
    }

    /** The libpq multi-host URI that always reaches the primary. */
    public String libpqUrl() {
        StringBuilder s = new StringBuilder("postgresql://postgres@");
        for (int i = 1; i <= opt.nodes(); i++)
            s.append(i > 1 ? "," : "").append(hostForUrl(host(i))).append(':').append(pgPort(i));
        return s.append("/postgres?target_session_attrs=read-write").toString();
    }

    /** The pgJDBC multi-host URL that always reaches the primary. */
    public String jdbcUrl() {
        StringBuilder s = new StringBuilder("jdbc:postgresql://");
        for (int i = 1; i <= opt.nodes(); i++)
            s.append(i > 1 ? "," : "").append(hostForUrl(host(i))).append(':').append(pgPort(i));
        return s.append("/postgres?targetServerType=primary&user=postgres").toString();
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    public Map<String, Path> configsByName() {
        Map<String, Path> m = new TreeMap<>();
        for (int i = 1; i <= opt.nodes(); i++) m.put(nodeName(i), config(i));
        return m;
    }

    /** Stops every agent (SIGTERM, then SIGKILL) and any postmaster still running. */
    @Override
    public synchronized void close() {
        if (dcs != null) {
            dcs.close();
            dcs = null;
        }
        for (int i = 1; i <= opt.nodes(); i++) thaw(i); // a frozen process ignores SIGTERM until resumed
        for (Process p : agents) if (p != null) p.destroy();
        for (int i = 1; i <= opt.nodes(); i++) {
            Process p = agents[i - 1];
            if (p != null && !waitFor(p, 30)) {
                p.destroyForcibly();
                waitFor(p, 10);
            }
        }
        for (int i = 1; i <= opt.nodes(); i++) killPostgres(i);
    }
}
