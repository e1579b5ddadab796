package io.pgha.core.config;

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
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
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
    if (v instanceof Number n && n.doubleValue() == n.longValue()) return n.longValue();
    try {
      return Long.parseLong(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(key(name) + ": '" + v + "' is not a whole number");
    }
  }

  boolean bool(String name, boolean dflt) {
    Object v = raw(name);
    if (v == null) return dflt;
    if (v instanceof Boolean b) return b;
    String s = String.valueOf(v).trim().toLowerCase();
    if (s.equals("true") || s.equals("on") || s.equals("yes")) return true;
    if (s.equals("false") || s.equals("off") || s.equals("no")) return false;
    throw new ConfigException(key(name) + ": '" + v + "' is not true or false");
  }

  /** A duration: a number of milliseconds, or text such as {@code 500ms}, {@code 3s}, {@code 1m}. */
  long millis(String name, long dflt) {
    Object v = raw(name);
    if (v == null) return dflt;
    if (v instanceof Number n && n.doubleValue() == n.longValue()) return n.longValue();
    Matcher m = DURATION.matcher(String.valueOf(v).trim());
    if (!m.matches()) throw new ConfigException(key(name) + ": '" + v + "' is not a duration (e.g. 500ms, 3s, 1m)");
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    return switch (unit) {
      case "s" -> n * 1000;
      case "m" -> n * 60_000;
      case "h" -> n * 3_600_000;
      default -> n;
    };
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
      if (o == null || o instanceof Map || o instanceof List) throw new ConfigException(key(name) + ": every entry must be text");
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

  void rejectUnknown() {
    for (String k : values.keySet()) {
      if (!read.contains(k)) throw new ConfigException(key(k) + ": unknown key");
    }
  }
}
