package io.pgha.core.config;

import io.pgha.core.model.PermanentSlot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The slot settings of the dynamic config: {@code member_slots_ttl} (a duration) and {@code slots}
 * (a mapping of slot name to {@code {type: physical|logical, database: NAME, plugin: NAME}}),
 * validated with errors that name the key. The value of {@code slots} always replaces the whole
 * mapping; {@code null} empties it.
 */
public final class SlotSettings {
    /** What PostgreSQL accepts as a slot name. */
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    /** Database names pgha accepts (they go into a JDBC URL): no quoting needed anywhere. */
    private static final Pattern DATABASE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$-]{0,62}");

    private static final Pattern PLUGIN = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}");
    /** The prefix of the slots pgha creates for members; permanent slots may not use it. */
    public static final String MEMBER_PREFIX = "pgha_";
    /**
     * The prefix of the slots of replication sets (pgha-logical's Names.PREFIX): the sets commands
     * create and drop them on a primary themselves, in steps that must not be undone by an agent
     * whose view of the DCS is a cycle old.
     */
    public static final String SET_PREFIX = "pghaset_";

    static final long MAX_TTL_MS = 30L * 24 * 3_600_000;

    private SlotSettings() {}

    static long ttl(String key, Object v) {
        long ms = new Section("", Map.of(key, v)).millis(key, 0);
        if (ms < 0 || ms > MAX_TTL_MS) throw new ConfigException(key + ": " + ms + "ms is out of range (0 to 720h)");
        return ms;
    }

    static Map<String, PermanentSlot> slots(String key, Object v) {
        if (!(v instanceof Map<?, ?> m)) {
            throw new ConfigException(
                    key + ": expected a mapping of slot names to {type: physical|logical, database, plugin}");
        }
        Map<String, PermanentSlot> out = new TreeMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String name = String.valueOf(e.getKey());
            String k = key + "." + name;
            if (!SLOT_NAME.matcher(name).matches()) {
                throw new ConfigException(
                        k + ": '" + name + "' is not a slot name (1-63 lower-case letters, digits and '_')");
            }
            if (name.startsWith(MEMBER_PREFIX)) {
                throw new ConfigException(k + ": names starting with '" + MEMBER_PREFIX
                        + "' are reserved for the slots pgha creates for members");
            }
            if (!(e.getValue() instanceof Map<?, ?> fields))
                throw new ConfigException(k + ": expected a mapping with type (physical or logical)");
            out.put(name, slot(new Section(k, fields)));
        }
        return out;
    }

    private static PermanentSlot slot(Section s) {
        String type = s.requiredString("type");
        String database = s.string("database", null);
        String plugin = s.string("plugin", null);
        s.rejectUnknown();
        switch (type) {
            case "physical" -> {
                if (database != null)
                    throw new ConfigException(s.key("database") + ": only a logical slot has a database");
                if (plugin != null) throw new ConfigException(s.key("plugin") + ": only a logical slot has a plugin");
                return PermanentSlot.PHYSICAL;
            }
            case "logical" -> {
                if (database == null) throw new ConfigException(s.key("database") + ": is required for a logical slot");
                if (plugin == null) throw new ConfigException(s.key("plugin") + ": is required for a logical slot");
                if (!DATABASE.matcher(database).matches()) {
                    throw new ConfigException(
                            s.key("database") + ": '" + database + "' must be 1-63 letters, digits, '_', '$' or '-'");
                }
                if (!PLUGIN.matcher(plugin).matches()) {
                    throw new ConfigException(
                            s.key("plugin") + ": '" + plugin + "' must be 1-63 letters, digits, '_', '.' or '-'");
                }
                return PermanentSlot.logical(database, plugin);
            }
            default -> throw new ConfigException(s.key("type") + ": '" + type + "' is not one of physical, logical");
        }
    }

    /** The slots as a person would write them (and as {@link #slots} reads them back). */
    static Map<String, Object> toMap(Map<String, PermanentSlot> slots) {
        Map<String, Object> out = new LinkedHashMap<>();
        slots.forEach((name, slot) -> {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("type", slot.type().label());
            if (slot.logical()) {
                fields.put("database", slot.database());
                fields.put("plugin", slot.plugin());
            }
            out.put(name, fields);
        });
        return out;
    }

    /** A duration in the largest unit that states it exactly (as {@link Section#millis} reads it). */
    static String duration(long ms) {
        if (ms > 0 && ms % 3_600_000 == 0) return ms / 3_600_000 + "h";
        if (ms > 0 && ms % 60_000 == 0) return ms / 60_000 + "m";
        if (ms > 0 && ms % 1000 == 0) return ms / 1000 + "s";
        return ms + "ms";
    }
}
