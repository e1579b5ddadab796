package io.pgha.agent.resource;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IP address with its prefix length, as written {@code 10.0.0.5/24} or {@code fd00::5/64};
 * the prefix is -1 when not known yet (to be taken from the network it lands in). Only literals are
 * accepted: a host name would make every monitor depend on DNS.
 */
record VirtualIp(InetAddress address, int prefix) {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /**
     * Parses {@code ADDRESS[/PREFIX]}, with {@code prefix} (may be null) as the separate setting;
     * the messages start with the setting they blame.
     */
    static VirtualIp parse(String address, String prefix) {
        if (address == null || address.isBlank()) throw new IllegalArgumentException("address: missing");
        String literal = address.strip();
        String inline = null;
        int slash = literal.indexOf('/');
        if (slash >= 0) {
            inline = literal.substring(slash + 1);
            literal = literal.substring(0, slash);
        }
        InetAddress ip = literal(literal, address);
        int max = ip instanceof Inet4Address ? 32 : 128;
        int p = -1;
        if (inline != null) p = prefixLength("address", inline, max, address);
        if (prefix != null && !prefix.isBlank()) {
            int q = prefixLength("prefix", prefix.strip(), max, prefix);
            if (p >= 0 && p != q) {
                throw new IllegalArgumentException(
                        "prefix: " + q + " disagrees with the /" + p + " of address '" + address + "'");
            }
            p = q;
        }
        return new VirtualIp(ip, p);
    }

    private static InetAddress literal(String s, String whole) {
        String bad = "address: '" + whole + "' is not an IPv4 or IPv6 address";
        var v4 = IPV4.matcher(s);
        if (v4.matches()) {
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                int octet = Integer.parseInt(v4.group(i + 1));
                if (octet > 255) throw new IllegalArgumentException(bad);
                b[i] = (byte) octet;
            }
            return byBytes(b);
        }
        if (IPV6.matcher(s).matches()) {
            try {
                // a literal with ':' is parsed, never looked up
                InetAddress a = InetAddress.getByName(s);
                if (a instanceof Inet6Address) return a;
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(bad);
            }
        }
        throw new IllegalArgumentException(bad);
    }

    private static InetAddress byBytes(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four or sixteen bytes are always an address
        }
    }

    private static int prefixLength(String setting, String s, int max, String whole) {
        try {
            int p = Integer.parseInt(s);
            if (p >= 1 && p <= max) return p;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(setting + ": '" + whole + "' has no valid prefix length (1 to " + max + ")");
    }

    boolean ipv6() {
        return address instanceof Inet6Address;
    }

    VirtualIp withPrefix(int p) {
        return new VirtualIp(address, p);
    }

    /** This address's network (with this prefix) contains {@code other}. */
    boolean networkContains(InetAddress other) {
        byte[] a = address.getAddress();
        byte[] b = other.getAddress();
        if (a.length != b.length || prefix < 0) return false;
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
        }
        return true;
    }

    /** The address alone, as {@code ip} prints it (IPv6 in the RFC 5952 form: {@code fd00:213::100}). */
    String host() {
        if (!ipv6()) return address.getHostAddress();
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        int bestStart = -1;
        int bestLen = 1; // a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) j++;
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (s.length() > 0 && s.charAt(s.length() - 1) != ':') s.append(':');
            s.append(Integer.toHexString(groups[i]));
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return prefix < 0 ? host() : host() + "/" + prefix;
    }
}
