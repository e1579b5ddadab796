package io.pgha.core.config;

import io.pgha.core.net.HostPort;
import java.util.List;

/**
 * Where the DCS is: an external ZooKeeper ensemble ({@code connect}), an embedded ZooKeeper ensemble
 * formed by the agents themselves ({@code embedded}) or an etcd v3 cluster ({@code etcd}); exactly
 * one is given. And how pgha proves who it is to it.
 *
 * @param namespace the path (ZooKeeper) or key prefix (etcd) under which all clusters live
 * @param auth ZooKeeper: the digest identity every pgha client authenticates as and the only one
 *     pgha's nodes grant access to; etcd: the user and password of etcd's authentication. Null: no
 *     authentication (clusters set up before authentication existed, tests)
 * @param tls certificates for TLS to the servers (and, embedded, between the peers); null: plain TCP
 * @param readers ZooKeeper only: digest identities that the agents give read-only access to every
 *     node of the cluster besides {@code auth}'s (for {@code pgha list} and other reading commands
 *     run without pgha's own credential); empty: none
 */
public record DcsConfig(
        String connect,
        Embedded embedded,
        Etcd etcd,
        String namespace,
        Credentials auth,
        Tls tls,
        List<Reader> readers) {

    /** Which DCS. */
    public enum Kind {
        ZOOKEEPER,
        EMBEDDED_ZOOKEEPER,
        ETCD
    }

    public DcsConfig {
        int given = (connect != null ? 1 : 0) + (embedded != null ? 1 : 0) + (etcd != null ? 1 : 0);
        if (given != 1) throw new IllegalArgumentException("exactly one of connect, embedded and etcd must be given");
        readers = readers == null ? List.of() : List.copyOf(readers);
    }

    /** Without read-only identities. */
    public DcsConfig(String connect, Embedded embedded, Etcd etcd, String namespace, Credentials auth, Tls tls) {
        this(connect, embedded, etcd, namespace, auth, tls, List.of());
    }

    /** ZooKeeper without authentication and TLS. */
    public DcsConfig(String connect, Embedded embedded, String namespace) {
        this(connect, embedded, null, namespace, null, null);
    }

    /** An external ZooKeeper at {@code connect}, or an etcd cluster at its {@code endpoints}. */
    public Kind kind() {
        if (etcd != null) return Kind.ETCD;
        return embedded != null ? Kind.EMBEDDED_ZOOKEEPER : Kind.ZOOKEEPER;
    }

    /**
     * The same DCS reached through other addresses ({@code host:port,...}): a ZooKeeper config
     * becomes an external one with that connect string, an etcd one gets those endpoints. Tests use
     * it to reach the DCS through a relay.
     */
    public DcsConfig via(String addresses) {
        if (etcd != null)
            return new DcsConfig(null, null, new Etcd(List.of(addresses.split(","))), namespace, auth, tls, readers);
        return new DcsConfig(addresses, null, null, namespace, auth, tls, readers);
    }

    /**
     * A read-only identity of {@code dcs.readers}: ZooKeeper's digest identity {@code
     * username:digest}, given by its password (the agents compute the digest) or by the digest alone
     * ({@code pgha config digest USER} prints it), so that node configs need not hold the reader's
     * password. Exactly one of {@code password} and {@code digest} is set.
     *
     * @param digest base64 of the hash of {@code username:password}, as ZooKeeper stores it in ACLs
     */
    public record Reader(String username, String password, String digest) {
        public Reader {
            if ((password == null) == (digest == null))
                throw new IllegalArgumentException("a reader has either a password or a digest");
        }

        @Override
        public String toString() {
            return "Reader[" + username + (password != null ? ", password=****" : ", digest=" + digest) + "]";
        }
    }

    /**
     * An etcd v3 cluster.
     *
     * @param endpoints the client addresses, {@code host:port} (IPv6 in brackets); the scheme is
     *     https when {@code dcs.tls} is given, http otherwise
     */
    public record Etcd(List<String> endpoints) {
        public Etcd {
            endpoints = List.copyOf(endpoints);
            if (endpoints.isEmpty()) throw new IllegalArgumentException("etcd needs at least one endpoint");
        }
    }

    /**
     * Key and trust material for ZooKeeper's TLS. A file's type follows its name: {@code .pem} (key
     * and certificate chain in one file; certificates for the trust store), {@code .p12}/{@code
     * .pfx} (PKCS#12) or {@code .jks}. A password may be null (an unencrypted PEM key).
     *
     * @param keystore this process's key and certificate; required for the embedded ensemble (the
     *     server's certificate), optional for clients of an external one that does not ask clients
     *     for certificates
     * @param truststore the certificates (CA) that servers', peers' and clients' certificates must
     *     chain to
     */
    public record Tls(String keystore, String keystorePassword, String truststore, String truststorePassword) {
        @Override
        public String toString() {
            return "Tls[keystore=" + keystore + ", truststore=" + truststore + "]";
        }
    }

    /** One embedded ZooKeeper peer per agent; {@code myId} is this agent's. */
    public record Embedded(int myId, List<Peer> peers, String dataDir) {}

    /**
     * {@code id=host:clientPort:peerPort:electionPort}; an IPv6 host in brackets
     * ({@code 1=[fd00::1]:2181:2888:3888}). {@code host} is kept without brackets.
     */
    public record Peer(int id, String host, int clientPort, int peerPort, int electionPort) {
        public static Peer parse(String key, String text) {
            String form = "id=host:client_port:peer_port:election_port";
            String[] idAndRest = text.split("=", 2);
            if (idAndRest.length != 2) throw new ConfigException(key + ": '" + text + "' is not of the form " + form);
            String rest = idAndRest[1].trim();
            String host;
            if (rest.startsWith("[")) {
                int close = rest.indexOf(']');
                if (close < 0 || !rest.startsWith(":", close + 1)) {
                    throw new ConfigException(
                            key + ": '" + text + "' is not of the form " + form + " (IPv6 as [addr])");
                }
                host = rest.substring(1, close);
                rest = rest.substring(close + 2);
            } else {
                int colon = rest.indexOf(':');
                host = colon < 0 ? rest : rest.substring(0, colon);
                rest = colon < 0 ? "" : rest.substring(colon + 1);
            }
            String[] ports = rest.split(":", -1);
            if (host.isEmpty() || ports.length != 3) {
                throw new ConfigException(key + ": '" + text + "' is not of the form " + form
                        + (rest.split(":").length > 3
                                ? "; write an IPv6 address in brackets, e.g. 1=[fd00::1]:2181:2888:3888"
                                : ""));
            }
            String idText = idAndRest[0].trim();
            if (!idText.matches("\\d{1,3}") || Integer.parseInt(idText) < 1 || Integer.parseInt(idText) > 255) {
                throw new ConfigException(key + ": '" + text + "': the id must be a number from 1 to 255");
            }
            try {
                return new Peer(
                        Integer.parseInt(idText),
                        host,
                        HostPort.port(ports[0]),
                        HostPort.port(ports[1]),
                        HostPort.port(ports[2]));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key + ": '" + text + "': " + e.getMessage());
            }
        }

        /** The client address, {@code host:clientPort} (IPv6 in brackets). */
        public String clientAddress() {
            return HostPort.join(host, clientPort);
        }

        @Override
        public String toString() {
            return id + "=" + HostPort.uriHost(host) + ":" + clientPort + ":" + peerPort + ":" + electionPort;
        }
    }

    /** The client addresses: the external ZooKeeper's, every embedded peer's client port, or etcd's endpoints. */
    public String connectString() {
        if (connect != null) return connect;
        if (etcd != null) return String.join(",", etcd.endpoints());
        StringBuilder s = new StringBuilder();
        for (Peer p : embedded.peers()) {
            if (s.length() > 0) s.append(',');
            s.append(p.clientAddress());
        }
        return s.toString();
    }
}
