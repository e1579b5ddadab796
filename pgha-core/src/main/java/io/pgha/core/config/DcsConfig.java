package io.pgha.core.config;

import java.util.List;

/**
 * Where the DCS is: an external ZooKeeper ensemble ({@code connect}) or an embedded ensemble formed
 * by the agents themselves ({@code embedded}).
 *
 * @param namespace the ZooKeeper path under which all clusters live
 */
public record DcsConfig(String connect, Embedded embedded, String namespace) {

  /** One embedded ZooKeeper peer per agent; {@code myId} is this agent's. */
  public record Embedded(int myId, List<Peer> peers, String dataDir) {}

  /** {@code id=host:clientPort:peerPort:electionPort}. */
  public record Peer(int id, String host, int clientPort, int peerPort, int electionPort) {
    public static Peer parse(String key, String text) {
      String[] idAndRest = text.split("=", 2);
      String[] parts = idAndRest.length == 2 ? idAndRest[1].split(":") : new String[0];
      if (parts.length != 4) {
        throw new ConfigException(key + ": '" + text + "' is not of the form id=host:client_port:peer_port:election_port");
      }
      try {
        return new Peer(Integer.parseInt(idAndRest[0].trim()), parts[0], port(parts[1]), port(parts[2]), port(parts[3]));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key + ": '" + text + "': " + e.getMessage());
      }
    }

    private static int port(String s) {
      int p = Integer.parseInt(s.trim());
      if (p < 1 || p > 65535) throw new IllegalArgumentException("port " + p + " out of range");
      return p;
    }

    @Override
    public String toString() {
      return id + "=" + host + ":" + clientPort + ":" + peerPort + ":" + electionPort;
    }
  }

  /** The client connect string: the external one, or every embedded peer's client port. */
  public String connectString() {
    if (connect != null) return connect;
    StringBuilder s = new StringBuilder();
    for (Peer p : embedded.peers()) {
      if (s.length() > 0) s.append(',');
      s.append(p.host()).append(':').append(p.clientPort());
    }
    return s.toString();
  }
}
