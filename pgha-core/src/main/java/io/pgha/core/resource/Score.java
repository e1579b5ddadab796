package io.pgha.core.resource;

import io.pgha.core.config.ConfigException;
import java.util.Locale;

/**
 * A placement score as Pacemaker counts them: whole numbers that saturate at ±{@link #INFINITY}.
 * {@code -INFINITY} forbids a node, {@code +INFINITY} requires it; {@code INFINITY - INFINITY} is
 * {@code -INFINITY} (a ban wins).
 */
public record Score(long value) implements Comparable<Score> {
    /** Pacemaker's INFINITY: any score at or beyond it is infinite. */
    public static final long INFINITY = 1_000_000;

    public static final Score ZERO = new Score(0);
    public static final Score PLUS_INFINITY = new Score(INFINITY);
    public static final Score MINUS_INFINITY = new Score(-INFINITY);

    public Score {
        value = Math.max(-INFINITY, Math.min(INFINITY, value));
    }

    /** Parses {@code 100}, {@code -50}, {@code INFINITY}, {@code +INFINITY} or {@code -INFINITY} (any case). */
    public static Score parse(String key, Object v) {
        if (v == null) throw new ConfigException(key + ": is required");
        if (v instanceof Number n) {
            if (n.doubleValue() != Math.rint(n.doubleValue()))
                throw new ConfigException(key + ": '" + v + "' is not a whole number or INFINITY");
            return new Score(n.longValue());
        }
        String s = String.valueOf(v).trim().toUpperCase(Locale.ROOT);
        switch (s) {
            case "INFINITY", "+INFINITY", "INF", "+INF" -> {
                return PLUS_INFINITY;
            }
            case "-INFINITY", "-INF" -> {
                return MINUS_INFINITY;
            }
            default -> {
                if (!s.matches("[+-]?\\d{1,18}"))
                    throw new ConfigException(
                            key + ": '" + v + "' is not a score (a whole number, INFINITY or -INFINITY)");
                return new Score(Long.parseLong(s));
            }
        }
    }

    /** The sum, saturating; a ban ({@code -INFINITY}) beats everything. */
    public Score plus(Score o) {
        if (value == -INFINITY || o.value == -INFINITY) return MINUS_INFINITY;
        if (value == INFINITY || o.value == INFINITY) return PLUS_INFINITY;
        return new Score(value + o.value);
    }

    public boolean banned() {
        return value == -INFINITY;
    }

    @Override
    public int compareTo(Score o) {
        return Long.compare(value, o.value);
    }

    @Override
    public String toString() {
        return value == INFINITY ? "INFINITY" : value == -INFINITY ? "-INFINITY" : Long.toString(value);
    }
}
