package io.pgha.core.config;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks PostgreSQL parameter values against the server's own description of them (a row of
 * {@code pg_settings}): the name exists (or is a custom {@code prefix.name}), booleans and enums take
 * only their values, numbers parse (with the units PostgreSQL accepts for that parameter) and lie in
 * {@code [min_val, max_val]}. Pure: the caller reads {@code pg_settings} from a running member.
 */
public final class ParameterCheck {
    private ParameterCheck() {}

    /** One row of pg_settings, as far as checking needs it. */
    public record Setting(
            String name,
            String vartype,
            String unit,
            String minVal,
            String maxVal,
            List<String> enumVals,
            String context) {
        /** Whether a new value takes effect only after a restart. */
        public boolean needsRestart() {
            return "postmaster".equals(context) || "internal".equals(context);
        }
    }

    private static final Pattern NUMBER_WITH_UNIT =
            Pattern.compile("\\s*([+-]?[0-9]*\\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\\s*([A-Za-z]*)\\s*");

    private static final Map<String, Long> MEMORY_BYTES = Map.of(
            "B", 1L, "kB", 1024L, "MB", 1024L * 1024, "GB", 1024L * 1024 * 1024, "TB", 1024L * 1024 * 1024 * 1024);
    private static final Map<String, Double> TIME_MS =
            Map.of("us", 0.001, "ms", 1.0, "s", 1000.0, "min", 60_000.0, "h", 3_600_000.0, "d", 86_400_000.0);

    /**
     * What is wrong with setting {@code name} to {@code value}, naming both; null when it is fine.
     *
     * @param catalog pg_settings of a running member, by name
     */
    public static String problem(String name, String value, Map<String, Setting> catalog) {
        String key = "postgresql.parameters." + name;
        if (ConfigReader.MANAGED_PARAMETERS.contains(name)) return key + ": is managed by pgha and cannot be set";
        Setting s = catalog.get(name.toLowerCase(Locale.ROOT));
        if (s == null) {
            // custom options (an extension's, before it is loaded) are accepted as PostgreSQL does
            return name.contains(".") ? null : key + ": PostgreSQL has no parameter of this name";
        }
        if (value == null) return key + ": needs a value";
        return switch (s.vartype()) {
            case "bool" -> bool(value) ? null : key + ": '" + value + "' is not a boolean (on, off, true, false, 1, 0)";
            case "enum" ->
                s.enumVals().stream().anyMatch(e -> e.equalsIgnoreCase(value.trim()))
                        ? null
                        : key + ": '" + value + "' is not one of " + String.join(", ", s.enumVals());
            case "integer", "real" -> number(key, value, s);
            default -> null; // string: PostgreSQL takes any text
        };
    }

    /** Every problem of {@code parameters}, in order. */
    public static List<String> problems(Map<String, String> parameters, Map<String, Setting> catalog) {
        List<String> out = new ArrayList<>();
        parameters.forEach((k, v) -> {
            String p = problem(k, v, catalog);
            if (p != null) out.add(p);
        });
        return out;
    }

    private static boolean bool(String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        return !t.isEmpty()
                && ("true".startsWith(t)
                        || "false".startsWith(t)
                        || "yes".startsWith(t)
                        || "no".startsWith(t)
                        || t.equals("on")
                        || t.equals("off")
                        || t.equals("1")
                        || t.equals("0"));
    }

    private static String number(String key, String value, Setting s) {
        Matcher m = NUMBER_WITH_UNIT.matcher(value);
        if (!m.matches()) return key + ": '" + value + "' is not a number" + unitHint(s);
        BigDecimal n;
        try {
            n = new BigDecimal(m.group(1));
        } catch (NumberFormatException e) {
            return key + ": '" + value + "' is not a number" + unitHint(s);
        }
        String given = m.group(2);
        if (!given.isEmpty()) {
            Double factor = factor(given, s.unit());
            if (factor == null) return key + ": '" + given + "' is not a unit of this parameter" + unitHint(s);
            n = n.multiply(BigDecimal.valueOf(factor));
        }
        if ("integer".equals(s.vartype())
                && given.isEmpty()
                && n.stripTrailingZeros().scale() > 0) {
            return key + ": '" + value + "' is not a whole number";
        }
        if (s.minVal() != null && n.compareTo(new BigDecimal(s.minVal())) < 0) {
            return key + ": " + value + " is below the minimum " + s.minVal() + unitSuffix(s);
        }
        if (s.maxVal() != null && n.compareTo(new BigDecimal(s.maxVal())) > 0) {
            return key + ": " + value + " is above the maximum " + s.maxVal() + unitSuffix(s);
        }
        return null;
    }

    /** How many of the parameter's own units one {@code given} is; null when the unit does not fit. */
    static Double factor(String given, String unit) {
        if (unit == null || unit.isEmpty()) return null;
        Matcher base = Pattern.compile("([0-9]*)([A-Za-z]+)").matcher(unit);
        if (!base.matches()) return null;
        double multiple = base.group(1).isEmpty() ? 1 : Double.parseDouble(base.group(1));
        String baseUnit = base.group(2);
        if (MEMORY_BYTES.containsKey(baseUnit) && MEMORY_BYTES.containsKey(given)) {
            return (double) MEMORY_BYTES.get(given) / (MEMORY_BYTES.get(baseUnit) * multiple);
        }
        if (TIME_MS.containsKey(baseUnit) && TIME_MS.containsKey(given)) {
            return TIME_MS.get(given) / (TIME_MS.get(baseUnit) * multiple);
        }
        return null;
    }

    private static String unitHint(Setting s) {
        if (s.unit() == null || s.unit().isEmpty()) return "";
        return " (a number of " + s.unit() + ", or with a unit such as "
                + (factor("MB", s.unit()) != null ? "MB or GB" : "ms, s or min") + ")";
    }

    private static String unitSuffix(Setting s) {
        return s.unit() == null || s.unit().isEmpty() ? "" : " (in " + s.unit() + ")";
    }
}
