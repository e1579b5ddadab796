package io.pgha.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * An IP network written as {@code address/prefix} ({@code 10.0.0.0/8}, {@code fd00::/8}); a bare
 * address is a network of one ({@code /32} or {@code /128}). Only literal addresses are accepted,
 * never host names, so parsing never touches DNS. IPv4 networks never contain IPv6 addresses and
 * the other way round.
 */
public record Cidr(byte[] network, int prefix) {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    public Cidr {
        network = network.clone();
        if (prefix < 0 || prefix > network.length * 8)
            throw new IllegalArgumentException("prefix " + prefix + " out of range");
    }

    /**
     * Parses {@code text}; a {@link ConfigException} naming {@code key} when it is not a literal IP
     * network. Host bits set below the prefix are an error too (they usually mean a typo).
     */
    public static Cidr parse(String key, String text) {
        String t = text.trim();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        byte[] bytes = literal(addr);
        if (bytes == null) throw bad(key, text);
        int prefix = bytes.length * 8;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw bad(key, text);
            }
            if (prefix < 0 || prefix > bytes.length * 8) throw bad(key, text);
        }
        Cidr c = new Cidr(bytes, prefix);
        if (!java.util.Arrays.equals(c.masked(bytes), bytes)) {
            throw new ConfigException(key + ": '" + text + "' has host bits set below /" + prefix + " (did you mean "
                    + c.describeMasked(bytes) + "?)");
        }
        return c;
    }

    /** Whether {@code address} lies in this network. */
    public boolean contains(InetAddress address) {
        return matches(address.getAddress());
    }

    private boolean matches(byte[] addr) {
        if (addr.length != network.length) return false;
        int full = prefix / 8;
        for (int i = 0; i < full; i++) if (addr[i] != network[i]) return false;
        int rest = prefix % 8;
        if (rest == 0) return true;
        int mask = (0xff << (8 - rest)) & 0xff;
        return (addr[full] & mask) == (network[full] & mask);
    }

    private byte[] masked(byte[] addr) {
        byte[] out = addr.clone();
        for (int bit = prefix; bit < out.length * 8; bit++) out[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        return out;
    }

    private String describeMasked(byte[] addr) {
        try {
            return InetAddress.getByAddress(masked(addr)).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            return "?";
        }
    }

    private static byte[] literal(String addr) {
        boolean v4 = IPV4.matcher(addr).matches();
        if (!v4 && !IPV6.matcher(addr).matches()) return null;
        // An out-of-range octet would make getByName look the text up as a host name.
        if (v4) for (String octet : addr.split("\\.")) if (Integer.parseInt(octet) > 255) return null;
        try {
            // A literal: getByName parses it without any lookup.
            return InetAddress.getByName(addr).getAddress();
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
    }

    private static ConfigException bad(String key, String text) {
        return new ConfigException(
                key + ": '" + text + "' is not an IP network such as 10.0.0.0/8, 192.0.2.7 or fd00::/8");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && prefix == c.prefix && java.util.Arrays.equals(network, c.network);
    }

    @Override
    public int hashCode() {
        return 31 * java.util.Arrays.hashCode(network) + prefix;
    }

    @Override
    public String toString() {
        return describeMasked(network);
    }

    @Override
    public byte[] network() {
        return network.clone();
    }
}
