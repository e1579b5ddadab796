package io.pgha.core.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A typed view of one mapping of a parsed YAML document. Every accessor names the full key in its
 * error, and {@link #rejectUnknown()} refuses keys nobody read, so a typo is an error and not a
 * silently ignored setting.
 */
final class Section {
    private static final Pattern DURATION = Pattern.compile("([+-]?\\d+)\\s*(ms|s|m|h)?");
    private final String path;
    private final Map<String, Object> values;
    private final Set<String> read = new LinkedHashSet<>();

    Section(String path, Map<?, ?> values) {
        this.path = path;
        this.values = new LinkedHashMap<>();
        values.forEach((k, v) -> this.values.put(String.valueOf(k), v));
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    boolean has(String name) {
        return values.get(name) != null;
    }

    /** The keys given in this section, in order. */
    java.util.List<String> keys() {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (Object k : values.keySet()) out.add(String.valueOf(k));
        return out;
    }

    Object raw(String name) {
        read.add(name);
        return values.get(name);
    }

    String string(String name, String dflt) {
        Object v = raw(name);
        if (v == null) return dflt;
        if (v instanceof Map || v instanceof List) throw new ConfigException(key(name) + ": expected a text value");
        String s = String.valueOf(v).trim();
        return s.isEmpty() ? dflt : s;
    }

    String requiredString(String name) {
        String s = string(name, null);
        if (s == null) throw new ConfigException(key(name) + ": is required");
        return s;
    }

    String identifier(String name, String dflt) {
        String s = string(name, dflt);
        if (s != null && !s.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
            throw new ConfigException(key(name) + ": '" + s + "' must be 1-63 letters, digits, '_', '.' or '-'");
        }
        return s;
    }

    int port(String name, Integer dflt) {
        Object v = raw(name);
        if (v == null) {
            if (dflt == null) throw new ConfigException(key(name) + ": is required");
            return dflt;
        }
        long p = integer(name, v);
        if (p < 1 || p > 65535) throw new ConfigException(key(name) + ": " + p + " is not a TCP port (1-65535)");
        return (int) p;
    }

    long integer(String name, long dflt) {
        Object v = raw(name);
        return v == null ? dflt : integer(name, v);
    }

    private long integer(String name, Object v) {
        return wholeNumber(key(name), v);
    }

    /** A whole number between {@code min} and {@code max}; an error names the key and the range. */
    long integer(String name, long dflt, long min, long max) {
        long n = integer(name, dflt);
        if (n < min || n > max)
            throw new ConfigException(key(name) + ": " + n + " is out of range (" + min + " to " + max + ")");
        return n;
    }

    /** {@link #integer(String, long, long, long)} within int: never wraps. */
    int intIn(String name, int dflt, int min, int max) {
        return (int) integer(name, dflt, min, max);
    }

    /**
     * A whole number from YAML or JSON ({@code Integer}, {@code Long}, {@code BigInteger}, a double
     * without fraction) or text of digits. Too many digits for a long is an error naming {@code key},
     * never a wrapped or clamped value.
     */
    static long wholeNumber(String key, Object v) {
        String text = String.valueOf(v).trim();
        if (!(v instanceof Number) && !text.matches("[+-]?\\d+")) {
            throw new ConfigException(key + ": '" + v + "' is not a whole number");
        }
        BigDecimal d;
        try {
            d = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": '" + v + "' is not a whole number");
        }
        if (d.signum() != 0 && d.stripTrailingZeros().scale() > 0)
            throw new ConfigException(key + ": '" + v + "' is not a whole number");
        try {
            return d.longValueExact();
        } catch (ArithmeticException e) {
            throw new ConfigException(key + ": " + d.toPlainString() + " is out of range (" + Long.MIN_VALUE + " to "
                    + Long.MAX_VALUE + ")");
        }
    }

    boolean bool(String name, boolean dflt) {
        Object v = raw(name);
        if (v == null) return dflt;
        if (v instanceof Boolean b) return b;
        String s = String.valueOf(v).trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("true") || s.equals("on") || s.equals("yes")) return true;
        if (s.equals("false") || s.equals("off") || s.equals("no")) return false;
        throw new ConfigException(key(name) + ": '" + v + "' is not true or false");
    }

    /**
     * A duration: a number of milliseconds, or text such as {@code 500ms}, {@code 3s}, {@code 1m}.
     * Never negative; a value too long to count in milliseconds is an error, not a wrapped number.
     */
    long millis(String name, long dflt) {
        Object v = raw(name);
        return v == null ? dflt : duration(key(name), v);
    }

    /** {@link #millis} for a value outside any section (the dynamic settings). */
    static long duration(String key, Object v) {
        long n;
        String unit = "ms";
        if (v instanceof Number) {
            n = wholeNumber(key, v);
        } else {
            Matcher m = DURATION.matcher(String.valueOf(v).trim());
            if (!m.matches()) throw new ConfigException(key + ": '" + v + "' is not a duration (e.g. 500ms, 3s, 1m)");
            n = wholeNumber(key, m.group(1));
            if (m.group(2) != null) unit = m.group(2);
        }
        if (n < 0) throw new ConfigException(key + ": '" + v + "' is negative; a duration is 0 or more");
        long factor = switch (unit) {
            case "s" -> 1000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 1;
        };
        try {
            return Math.multiplyExact(n, factor);
        } catch (ArithmeticException e) {
            throw new ConfigException(key + ": '" + v + "' is too long (at most " + Long.MAX_VALUE + " ms)");
        }
    }

    Section section(String name) {
        Object v = raw(name);
        if (v == null) return new Section(key(name), Map.of());
        if (!(v instanceof Map<?, ?> m)) throw new ConfigException(key(name) + ": expected a mapping");
        return new Section(key(name), m);
    }

    List<String> strings(String name, List<String> dflt) {
        Object v = raw(name);
        if (v == null) return dflt;
        if (!(v instanceof List<?> l)) throw new ConfigException(key(name) + ": expected a list");
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            if (o == null || o instanceof Map || o instanceof List)
                throw new ConfigException(key(name) + ": every entry must be text");
            out.add(String.valueOf(o));
        }
        return List.copyOf(out);
    }

    Map<String, String> stringMap(String name) {
        Section s = section(name);
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : s.values.keySet()) out.put(k, s.string(k, ""));
        return Map.copyOf(out);
    }

    /** Every key of this section with its value as text, in the document's order. */
    Map<String, String> textValues() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : values.keySet()) out.put(k, string(k, ""));
        return out;
    }

    void rejectUnknown() {
        for (String k : values.keySet()) {
            if (!read.contains(k)) throw new ConfigException(key(k) + ": unknown key");
        }
    }
}
