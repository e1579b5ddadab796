package io.pgha.cli;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.config.ConfigException;
import io.pgha.core.net.HostPort;
import io.pgha.postgres.Binaries;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgha config validate|generate|digest}: node and client config files checked and written
 * before an agent or a command runs them, and the digest of a read-only DCS identity.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "config",
        description = "Check a node or client config file, write a commented one, or compute a reader's digest.",
        subcommands = {ConfigCommand.Validate.class, ConfigCommand.Generate.class, ConfigCommand.Digest.class})
final class ConfigCommand {

    /**
     * Loads the file exactly as the agent would (with the {@code PGHA_*} environment overrides), so
     * that a file can be checked before a restart instead of by one that fails.
     */
    @Command(
            mixinStandardHelpOptions = true,
            name = "validate",
            description = {
                "Check a node config file as the agent reads it (PGHA_* environment overrides included), or a"
                        + " client config (one without name and data_dir) as CLI commands read it.",
                "Prints 'valid' and exits 0, or the first error, naming its key, and exits 1."
            })
    static final class Validate implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "the node or client config file")
        Path file;

        @Override
        public Integer call() {
            ClientConfig cfg;
            try {
                cfg = ConfigLoader.loadClient(file);
            } catch (ConfigException e) {
                System.err.println(file + ": " + e.getMessage());
                return 1;
            }
            if (cfg.isNodeConfig()) {
                System.out.println(file + ": valid (cluster " + cfg.cluster() + ", member "
                        + cfg.node().name() + ", DCS " + dcs(cfg.dcs()) + ")");
            } else {
                System.out.println(file + ": valid client config (cluster " + cfg.cluster() + ", DCS "
                        + dcs(cfg.dcs())
                        + (cfg.dcs().auth() != null ? " as " + cfg.dcs().auth().username() : "")
                        + ")");
            }
            return 0;
        }

        private static String dcs(io.pgha.core.config.DcsConfig d) {
            return switch (d.kind()) {
                case ETCD -> "etcd " + String.join(",", d.etcd().endpoints());
                case EMBEDDED_ZOOKEEPER ->
                    "embedded ZooKeeper, " + d.embedded().peers().size() + " peer(s)";
                default -> "ZooKeeper " + d.connect();
            };
        }
    }

    /**
     * Writes a starting point rather than a template to fill in: what could be found out on this
     * machine is filled in (PostgreSQL's bin directory, the host name and address, ports nobody
     * listens on), secrets are random, and every value has a comment saying what it is for.
     */
    @Command(
            mixinStandardHelpOptions = true,
            name = "generate",
            description = {
                "Print a commented node config for this machine: PostgreSQL's bin directory, host name and"
                        + " address, free ports, data directory under /var/lib/pgha/NAME, random passwords.",
                "Without --dcs-connect or --etcd the node runs an embedded one-peer ZooKeeper.",
                "With --client, a client config for CLI commands instead: the cluster, its DCS and a read-only"
                        + " credential with a new random password (and what the agents' configs need to admit it).",
                "Check and adjust it, then: pgha config validate FILE."
            })
    static final class Generate implements Callable<Integer> {
        @Option(
                names = "--cluster",
                defaultValue = "main",
                paramLabel = "NAME",
                description = "the cluster's name (default: ${DEFAULT-VALUE})")
        String cluster;

        @Option(
                names = "--name",
                paramLabel = "NAME",
                description = "this node's name (default: the host name, shortened)")
        String name;

        @Option(
                names = "--dcs-connect",
                paramLabel = "HOST:PORT,...",
                description = "an external ZooKeeper ensemble's connect string")
        String zookeeper;

        @Option(names = "--etcd", paramLabel = "HOST:PORT,...", description = "etcd endpoints instead of ZooKeeper")
        String etcd;

        @Option(
                names = "--address",
                paramLabel = "ADDR",
                description = "the address others reach this node at (default: the first non-loopback IPv4"
                        + " address of this machine)")
        String address;

        @Option(
                names = "--client",
                description = "a client config (cluster, DCS, a read-only credential) for CLI commands instead of"
                        + " a node config; needs --dcs-connect or --etcd")
        boolean client;

        @Option(
                names = "--user",
                defaultValue = "reader",
                paramLabel = "USER",
                description = "with --client: the read-only user (default: ${DEFAULT-VALUE})")
        String user;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (zookeeper != null && etcd != null)
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "give either --dcs-connect or --etcd, not both");
            if (client) {
                if (zookeeper == null && etcd == null)
                    throw new picocli.CommandLine.ParameterException(
                            spec.commandLine(),
                            "--client needs --dcs-connect or --etcd (a client joins no ensemble: give the members'"
                                    + " ZooKeeper client ports or etcd's endpoints)");
                if (name != null || address != null)
                    throw new picocli.CommandLine.ParameterException(
                            spec.commandLine(), "--name and --address describe a node; --client takes neither");
                Digest.checkUser(spec, user);
                System.out.print(renderClient(cluster, zookeeper, etcd, user, secret()));
                return 0;
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--user"))
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--user goes with --client");
            System.out.print(render(detect()));
            return 0;
        }

        /** What this machine offers, with the options applied. */
        Machine detect() {
            String host = hostName();
            String n = name != null ? name : nodeName(host);
            String addr =
                    address != null ? HostPort.bare(address) : firstAddress().orElse("127.0.0.1");
            return new Machine(
                    cluster,
                    n,
                    host,
                    addr,
                    Binaries.detect().map(Path::toString).orElse(null),
                    freePort(5432),
                    freePort(8008),
                    zookeeper,
                    etcd,
                    zookeeper == null && etcd == null ? List.of(freePort(2181), freePort(2888), freePort(3888)) : null);
        }
    }

    /**
     * The facts a generated config is made of.
     *
     * @param binDir PostgreSQL's bin directory, null when none was found
     * @param zkPorts client, peer and election port of an embedded ZooKeeper peer; null with an
     *     external DCS
     */
    record Machine(
            String cluster,
            String name,
            String hostName,
            String address,
            String binDir,
            int pgPort,
            int apiPort,
            String zookeeper,
            String etcd,
            List<Integer> zkPorts) {}

    /** The config text. Secrets are new random ones each time: the same on every node is up to the operator. */
    static String render(Machine m) {
        String base = "/var/lib/pgha/" + m.name();
        String addr = yaml(m.address());
        StringBuilder s = new StringBuilder();
        s.append("# pgha node config generated by 'pgha config generate' (pgha ")
                .append(Version.current())
                .append(") on ")
                .append(m.hostName())
                .append(".\n");
        s.append("# Check every value, then: pgha config validate FILE; run with: pgha agent --config FILE.\n");
        s.append("# docs/configuration.md explains every key; unknown keys are errors. Any key can be set from the\n");
        s.append("# environment instead, e.g. PGHA_POSTGRESQL__AUTHENTICATION__SUPERUSER__PASSWORD.\n");
        s.append("# The passwords below are random: every node of the cluster needs the same ones.\n\n");
        s.append("cluster: ").append(m.cluster()).append("   # the same on every node of the cluster\n");
        s.append("name: ").append(m.name()).append("   # this node's name, unique in the cluster\n");
        s.append("data_dir: ").append(base).append("/data   # PostgreSQL's data directory (created by the agent)\n");
        if (m.binDir() != null) s.append("bin_dir: ").append(m.binDir()).append("   # found on this machine\n");
        else
            s.append("# bin_dir: /usr/lib/postgresql/15/bin   # no PostgreSQL server binaries found on this machine:\n")
                    .append("#                                       apt-get install -y postgresql\n");
        s.append("os_user: postgres   # PostgreSQL runs as this user when the agent runs as root\n\n");

        s.append("postgresql:\n");
        s.append("  listen: ").append(addr).append("   # listen_addresses\n");
        s.append("  connect_address: ").append(addr).append("   # how other nodes and clients reach this node\n");
        s.append("  port: ")
                .append(m.pgPort())
                .append(portNote(m.pgPort(), 5432))
                .append('\n');
        s.append("  authentication:\n");
        s.append("    superuser:   # the agent's own connections (and pgha query)\n");
        s.append("      username: postgres\n");
        s.append("      password: ").append(secret()).append('\n');
        s.append("    replication:   # standbys stream and clone with it\n");
        s.append("      username: replicator\n");
        s.append("      password: ").append(secret()).append('\n');
        s.append("  parameters:   # any postgresql.conf setting except those pgha manages\n");
        s.append("    max_connections: 100\n");
        s.append("  # pg_hba:   # default: peer locally, scram-sha-256 over the network\n");
        s.append("  #   - \"host all all 10.0.0.0/24 scram-sha-256\"\n\n");

        s.append("restapi:\n");
        s.append("  listen: ").append(addr).append('\n');
        s.append("  port: ")
                .append(m.apiPort())
                .append(portNote(m.apiPort(), 8008))
                .append('\n');
        s.append("  authentication:   # required for changes (switchover, pause, ...)\n");
        s.append("    username: admin\n");
        s.append("    password: ").append(secret()).append("\n\n");

        s.append("dcs:\n");
        if (m.etcd() != null) {
            s.append("  etcd:\n");
            s.append("    endpoints: ").append(yaml(m.etcd())).append('\n');
            s.append("  # auth: {username: pgha, password: ...}   # when etcd has authentication enabled\n");
        } else if (m.zookeeper() != null) {
            s.append("  zookeeper:\n");
            s.append("    connect: ").append(yaml(m.zookeeper())).append('\n');
            s.append("  # auth: {username: pgha, password: ...}   # the digest identity the ensemble admits"
                    + " (docs/security.md)\n");
        } else {
            List<Integer> p = m.zkPorts();
            s.append("  embedded:   # a ZooKeeper peer inside this agent; a cluster needs 1, 3 or 5 peers, the same\n");
            s.append("              # list on every node (each with its own my_id)\n");
            s.append("    my_id: 1\n");
            s.append("    data_dir: ").append(base).append("/zookeeper\n");
            s.append("    peers: [\"1=")
                    .append(HostPort.join(m.address(), p.get(0)))
                    .append(':')
                    .append(p.get(1))
                    .append(':')
                    .append(p.get(2))
                    .append("\"]   # id=host:client_port:peer_port:election_port\n");
            s.append("  auth:   # pgha's ZooKeeper admits this identity alone (docs/security.md)\n");
            s.append("    username: pgha\n");
            s.append("    password: ").append(secret()).append('\n');
        }
        s.append('\n');
        s.append("timing:\n");
        s.append("  ttl: ")
                .append(m.etcd() != null ? "3s" : "2500ms")
                .append("   # leader lease; a crashed primary is replaced after about this long\n");
        s.append("  loop_wait: 1s   # pause between agent cycles\n\n");
        s.append("tags:\n");
        s.append("  nofailover: false   # true: never promote this node automatically\n");
        s.append("  priority: 0   # breaks ties between equally advanced standbys (higher wins)\n\n");
        s.append("watchdog:\n");
        s.append("  mode: off   # automatic or required with a watchdog device (docs/fencing.md)\n");
        return alignComments(s.toString());
    }

    /**
     * A client config: the cluster, its DCS and a read-only identity with a new password, followed by
     * what the agents' configs (ZooKeeper) or etcd's administrator need so that it is admitted.
     */
    static String renderClient(String cluster, String zookeeper, String etcd, String user, String password) {
        StringBuilder s = new StringBuilder();
        s.append("# pgha client config generated by 'pgha config generate --client' (pgha ")
                .append(Version.current())
                .append(").\n");
        s.append("# For CLI commands that read the cluster (pgha list -c FILE, topology, history, dsn): it holds a\n");
        s.append(
                "# read-only DCS credential and none of a node's secrets. Check it with: pgha config validate FILE.\n");
        s.append("# The password below is new and random; keep the file private (mode 0600).\n\n");
        s.append("cluster: ").append(cluster).append("   # the cluster to look at\n\n");
        s.append("dcs:\n");
        if (etcd != null) {
            s.append("  etcd:\n");
            s.append("    endpoints: ").append(yaml(etcd)).append('\n');
        } else {
            s.append("  zookeeper:\n");
            s.append("    connect: ").append(yaml(zookeeper)).append('\n');
        }
        s.append("  # namespace: /pgha   # as in the agents' configs\n");
        s.append("  auth:   # a read-only identity: it can read the cluster, not change it\n");
        s.append("    username: ").append(user).append('\n');
        s.append("    password: ").append(password).append('\n');
        s.append("  # tls: {truststore: /etc/pgha/tls/ca.pem}   # when the DCS speaks TLS (keystore: a client"
                + " certificate)\n\n");
        if (etcd != null) {
            s.append("# etcd admits the user once its administrator made it, as etcd's root user:\n");
            s.append("#   etcdctl role add pgha-reader\n");
            s.append("#   etcdctl role grant-permission --prefix=true pgha-reader read /pgha/   # the namespace\n");
            s.append("#   etcdctl user add ").append(user).append("   # with the password above\n");
            s.append("#   etcdctl user grant-role ").append(user).append(" pgha-reader\n\n");
        } else {
            s.append("# ZooKeeper admits the user once every agent's node config lists it and the agents were\n");
            s.append("# restarted one at a time (docs/security.md):\n");
            s.append("# dcs:\n");
            s.append("#   readers:\n");
            s.append("#     - {username: ")
                    .append(user)
                    .append(", digest: \"")
                    .append(io.pgha.dcs.ZooKeeperAccess.digest(user, password))
                    .append("\"}\n\n");
        }
        s.append("# restapi:   # only for pgha restart, reload and reinit (through the agents' REST API)\n");
        s.append("#   authentication: {username: admin, password: ...}\n");
        s.append("#   cafile: /etc/pgha/tls/ca.pem   # when the agents speak https\n");
        s.append("# postgresql:   # only for pgha query (and the parameter check of pgha edit-config)\n");
        s.append("#   authentication:\n");
        s.append("#     superuser: {username: postgres, password: ...}\n");
        return alignComments(s.toString());
    }

    /**
     * {@code pgha config digest USER}: the ZooKeeper digest of a read-only user's password, for the
     * {@code dcs.readers} of the agents' configs, so that those need not hold the password.
     */
    @Command(
            mixinStandardHelpOptions = true,
            name = "digest",
            description = {
                "Print the ZooKeeper digest of a read-only user's password as an entry of dcs.readers, for the"
                        + " agents' node configs (which then need not hold the password).",
                "The password is read from the terminal without echo (asked twice) or, when there is no terminal,"
                        + " from the first line of standard input. It is never printed."
            })
    static final class Digest implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "USER", description = "the read-only user's name")
        String user;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        @SuppressWarnings("SystemConsoleNull") // Java 17: null means no terminal
        public Integer call() throws IOException {
            checkUser(spec, user);
            String password;
            java.io.Console console = System.console();
            if (console != null) {
                char[] first = console.readPassword("Password for %s: ", user);
                char[] again = console.readPassword("Again: ");
                if (first == null || again == null || !java.util.Arrays.equals(first, again)) {
                    System.err.println("error: the passwords differ; nothing printed");
                    return 1;
                }
                password = new String(first);
            } else {
                java.io.BufferedReader in = new java.io.BufferedReader(
                        new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
                password = in.readLine();
            }
            if (password == null || password.length() < 8) {
                System.err.println("error: the password is shorter than 8 characters; use a long random one (e.g."
                        + " openssl rand -hex 24)");
                return 1;
            }
            System.out.println("- {username: " + user + ", digest: \""
                    + io.pgha.dcs.ZooKeeperAccess.digest(user, password) + "\"}");
            return 0;
        }

        /** A user name as dcs.auth and dcs.readers take it. */
        static void checkUser(picocli.CommandLine.Model.CommandSpec spec, String user) {
            if (!user.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}"))
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "'" + user + "' is not a user name: 1-63 letters, digits, '_', '.' or '-'");
        }
    }

    /** Lines' trailing comments start in one column, as in docs/examples/node.yml. */
    static String alignComments(String text) {
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            int at = line.indexOf("   # ");
            if (at > 0 && !line.stripLeading().startsWith("#")) {
                String code = line.substring(0, at);
                line = code + " ".repeat(Math.max(2, 32 - code.length())) + line.substring(at + 3);
            }
            out.append(line).append('\n');
        }
        return out.substring(0, out.length() - 1);
    }

    private static String portNote(int port, int usual) {
        return port == usual ? "" : "   # " + usual + " is in use on this machine";
    }

    /** A YAML scalar: quoted when YAML could read it as something other than this string. */
    static String yaml(String v) {
        return v.matches("[A-Za-z0-9][A-Za-z0-9_./-]*") && !v.matches("\\d+(\\.\\d+)?")
                ? v
                : "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private static String secret() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** A node name from a host name: its first label, in the characters node names may hold. */
    static String nodeName(String host) {
        String first = host.split("\\.", -1)[0].toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
        first = first.replaceAll("^[^a-z0-9]+", "");
        if (first.length() > 63) first = first.substring(0, 63);
        return first.isEmpty() ? "node1" : first;
    }

    /** The first up, non-loopback IPv4 address of this machine (by interface name, for a stable answer). */
    static Optional<String> firstAddress() {
        try {
            List<NetworkInterface> nics = new ArrayList<>(Collections.list(NetworkInterface.getNetworkInterfaces()));
            nics.sort(java.util.Comparator.comparing(NetworkInterface::getName));
            for (NetworkInterface n : nics) {
                if (!n.isUp() || n.isLoopback() || n.isVirtual()) continue;
                for (InetAddress a : Collections.list(n.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                        return Optional.of(a.getHostAddress());
                }
            }
        } catch (IOException e) {
            // no interfaces to look at
        }
        return Optional.empty();
    }

    /** {@code usual} when nothing listens there, else the next free port above it. */
    static int freePort(int usual) {
        for (int p = usual; p < usual + 100; p++) {
            if (free(p)) return p;
        }
        return usual;
    }

    /** Nothing listens on {@code port}: a wildcard bind fails when any address of the machine holds it. */
    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
