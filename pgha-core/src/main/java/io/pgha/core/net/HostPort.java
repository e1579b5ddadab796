package io.pgha.core.net;

import java.util.ArrayList;
import java.util.List;

/**
 * A host and a TCP port. The one rule for IPv6 literals: in a {@code host:port} pair or a URL they
 * are written in brackets ({@code [::1]:2181}, {@code http://[::1]:8008}); as a bare host (a listen
 * address, libpq's {@code host=}) they are written without. A pair with an unbracketed IPv6 literal
 * ({@code ::1:2181}) is refused rather than guessed at.
 */
public record HostPort(String host, int port) {

    public HostPort {
        host = bare(host);
        if (host.isEmpty()) throw new IllegalArgumentException("empty host");
        checkPort(port);
    }

    /** {@code host} without the brackets an IPv6 literal may have been given with. */
    public static String bare(String host) {
        String h = host.trim();
        return h.length() > 2 && h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    /** {@code host} as it goes into a URL or a {@code host:port} pair: an IPv6 literal in brackets. */
    public static String uriHost(String host) {
        if (host == null) return "null";
        String h = bare(host);
        return h.indexOf(':') >= 0 ? "[" + h + "]" : h;
    }

    /** {@code host:port}, an IPv6 literal in brackets. */
    public static String join(String host, int port) {
        return uriHost(host) + ":" + port;
    }

    /** Whether {@code listen} means every interface (IPv4 or IPv6). */
    public static boolean wildcard(String listen) {
        String h = bare(listen);
        return h.equals("0.0.0.0") || h.equals("*") || h.equals("::") || h.equals("0:0:0:0:0:0:0:0");
    }

    /**
     * Parses {@code host:port} or {@code [ipv6]:port}; with {@code defaultPort > 0} the port may be
     * left out. Throws IllegalArgumentException saying what is wrong.
     */
    public static HostPort parse(String text, int defaultPort) {
        String t = text.trim();
        String host;
        String port;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("'" + t + "' has no closing ']'");
            host = t.substring(1, close);
            if (host.indexOf(':') < 0)
                throw new IllegalArgumentException("'" + t + "': only IPv6 literals go in brackets");
            String rest = t.substring(close + 1);
            if (!rest.isEmpty() && !rest.startsWith(":"))
                throw new IllegalArgumentException("'" + t + "': expected ':port' after ']'");
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = t.indexOf(':');
            if (colon >= 0 && t.indexOf(':', colon + 1) >= 0) {
                throw new IllegalArgumentException("'" + t + "': write an IPv6 address in brackets, e.g. [::1]:2181");
            }
            host = colon < 0 ? t : t.substring(0, colon);
            port = colon < 0 ? null : t.substring(colon + 1);
        }
        if (host.isEmpty()) throw new IllegalArgumentException("'" + t + "' has no host");
        if (port == null) {
            if (defaultPort <= 0) throw new IllegalArgumentException("'" + t + "' has no port (host:port)");
            return new HostPort(host, defaultPort);
        }
        return new HostPort(host, port(port));
    }

    /** Parses a TCP port number, 1 to 65535. */
    public static int port(String text) {
        String t = text.trim();
        if (!t.matches("\\d{1,9}"))
            throw new IllegalArgumentException("port '" + t + "' is not a number from 1 to 65535");
        int p = Integer.parseInt(t);
        checkPort(p);
        return p;
    }

    private static void checkPort(int p) {
        if (p < 1 || p > 65535) throw new IllegalArgumentException("port " + p + " is not a TCP port (1-65535)");
    }

    /**
     * Parses a ZooKeeper connect string, {@code host[:port],...[/chroot]}, each host possibly an IPv6
     * literal in brackets; the port defaults to 2181 as in ZooKeeper's own client.
     */
    public static List<HostPort> parseList(String connect, int defaultPort) {
        String hosts = connect.trim();
        int slash = hosts.indexOf('/');
        if (slash >= 0) hosts = hosts.substring(0, slash);
        List<HostPort> out = new ArrayList<>();
        for (String part : hosts.split(",", -1)) {
            if (part.isBlank()) throw new IllegalArgumentException("'" + connect + "' has an empty entry");
            out.add(parse(part, defaultPort));
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return join(host, port);
    }
}
