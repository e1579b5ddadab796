package io.pgha.core.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a long-running pgha process (agent, router, ZooKeeper server) logs: the {@code log:} section
 * of its config file. Only the levels and the line format are set here; where lines go stays
 * standard error, which systemd's journal or the demo's {@code agent.log} collects.
 *
 * @param format one human-readable line per event, or one JSON object per line for a log shipper
 * @param level the root level (upper case), or null to keep the process's default (INFO for the
 *     daemons)
 * @param loggers levels (upper case) of single loggers or whole packages, by dotted name, in the
 *     order given; a more specific name wins over a package whatever the order, as logback's
 *     hierarchy has it
 */
public record LogConfig(Format format, String level, Map<String, String> loggers) {
    /** The levels logback knows, in order of verbosity. */
    public static final List<String> LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

    /** Java-style dotted names: what a class or package logger is called. */
    private static final Pattern LOGGER_NAME =
            Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

    public static final LogConfig DEFAULT = new LogConfig(Format.TEXT, null, Map.of());

    public LogConfig {
        loggers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(loggers));
    }

    public enum Format {
        TEXT,
        JSON;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static LogConfig read(Section s) {
        String f = s.string("format", "text");
        Format format = switch (f.toLowerCase(Locale.ROOT)) {
            case "text" -> Format.TEXT;
            case "json" -> Format.JSON;
            default -> throw new ConfigException(s.key("format") + ": '" + f + "' is not one of text, json");
        };
        String level = level(s.key("level"), s.string("level", null));
        Section l = s.section("loggers");
        Map<String, String> loggers = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : l.textValues().entrySet()) {
            String name = e.getKey();
            if (!LOGGER_NAME.matcher(name).matches()) {
                throw new ConfigException(
                        l.key(name) + ": '" + name + "' is not a logger name (a class or package, e.g. io.pgha.dcs)");
            }
            String v = level(l.key(name), e.getValue());
            if (v == null) throw new ConfigException(l.key(name) + ": needs a level, one of " + levels());
            loggers.put(name, v);
        }
        s.rejectUnknown();
        return new LogConfig(format, level, loggers);
    }

    /** The level named by {@code text} in upper case, null for none; anything else names the key. */
    private static String level(String key, String text) {
        if (text == null || text.isBlank()) return null;
        String v = text.trim().toUpperCase(Locale.ROOT);
        if (v.equals("WARNING")) v = "WARN";
        if (v.equals("FALSE")) v = "OFF"; // YAML reads a bare off as false
        if (!LEVELS.contains(v)) throw new ConfigException(key + ": '" + text + "' is not one of " + levels());
        return v;
    }

    private static String levels() {
        return String.join(", ", LEVELS);
    }
}
