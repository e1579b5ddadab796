package io.pgha.core.config;

import java.nio.charset.StandardCharsets;

/**
 * Where an agent's local control socket lives ({@code control_socket}). A CLI command run on the
 * agent's machine with the node's config file asks the agent through it instead of opening a DCS
 * session of its own: on a cold JVM that session (TLS, the key store) is most of a {@code pgha
 * list}.
 *
 * <p>The default depends on the OS user alone (not on the environment, which differs between a
 * service and a login shell), the same for the agent and a CLI run by that user: {@code /run/pgha/}
 * for root, {@code /tmp/pgha-USER/} for another user, and in it {@code CLUSTER.NAME.HASH.sock}, where HASH comes from the data directory's path, so
 * that two clusters of the same name on one machine (two demos) do not meet. The agent makes the
 * directory with mode 0700, so only its own user can connect; a CLI run by anyone else finds no
 * socket and reads the DCS itself, as it always did.
 */
public final class ControlSocketPath {
    /** The longest path a Unix domain socket takes on Linux (sun_path, 108 bytes with its NUL). */
    public static final int MAX_BYTES = 107;

    private ControlSocketPath() {}

    /** {@code control_socket}: a path, {@code off} (or YAML's false), or absent for the default. */
    static String read(Section root, String cluster, String name, String dataDir) {
        Object raw = root.raw("control_socket");
        if (Boolean.FALSE.equals(raw) || (raw instanceof String s && s.trim().equalsIgnoreCase("off"))) return null;
        if (raw == null) return defaultFor(cluster, name, dataDir);
        String p = root.string("control_socket", null);
        if (p == null) return defaultFor(cluster, name, dataDir);
        if (!p.startsWith("/"))
            throw new ConfigException("control_socket: '" + p + "' must be an absolute path (or off)");
        if (p.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES)
            throw new ConfigException(
                    "control_socket: '" + p + "' is longer than a Unix socket's path may be (" + MAX_BYTES + " bytes)");
        return p;
    }

    /** The default path for this node, for the OS user this JVM runs as. */
    public static String defaultFor(String cluster, String name, String dataDir) {
        String user = System.getProperty("user.name", "");
        String dir = "root".equals(user) ? "/run/pgha" : "/tmp/pgha-" + user;
        String hash = String.format("%08x", dataDir.hashCode());
        String p = dir + "/" + cluster + "." + name + "." + hash + ".sock";
        if (p.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES) return p;
        return dir + "/" + String.format("%08x", (cluster + "\0" + name).hashCode()) + "." + hash + ".sock";
    }
}
