package io.pgha.core.config;

import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.SyncMode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The cluster-wide settings as people edit them ({@code pgha edit-config}, REST {@code PATCH
 * /config}): snake_case keys with plain values, except {@code slots}, a mapping (see {@link
 * SlotSettings}). Every change is validated as a whole before
 * anything is written; an error names the key and the accepted values.
 */
public final class DynamicSettings {
    public static final String PAUSE = "pause";
    public static final String MAXIMUM_LAG = "maximum_lag_on_failover";
    public static final String SYNC_MODE = "synchronous_mode";
    public static final String SYNC_STRICT = "synchronous_mode_strict";
    public static final String SYNC_COUNT = "synchronous_node_count";
    public static final String FAILSAFE = "failsafe_mode";
    public static final String SWITCHOVER_DRAIN = "switchover_drain_timeout";
    public static final String MEMBER_SLOTS_TTL = "member_slots_ttl";
    public static final String SLOTS = "slots";
    public static final String STANDBY_CLUSTER = "standby_cluster";
    /** {@code postgresql: {parameters: {...}, pg_hba: [...]}}, or one parameter as {@code postgresql.parameters.NAME}. */
    public static final String POSTGRESQL = "postgresql";

    private static final String PARAMETER_PREFIX = "postgresql.parameters.";
    private static final Pattern PARAMETER_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    private static final Pattern SIZE = Pattern.compile("(?i)(\\d+)\\s*(B|kB|MB|GB|TB)?");

    private DynamicSettings() {}

    /** The settings in a stable order, values as a person would write them. */
    public static Map<String, Object> toMap(DynamicConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(PAUSE, c.paused());
        m.put(MAXIMUM_LAG, c.maximumLagOnFailover());
        m.put(SYNC_MODE, c.synchronousMode().label());
        m.put(SYNC_STRICT, c.synchronousModeStrict());
        m.put(SYNC_COUNT, c.synchronousNodeCount());
        m.put(FAILSAFE, c.failsafeMode());
        m.put(SWITCHOVER_DRAIN, c.switchoverDrainTimeoutMs() + "ms");
        m.put(MEMBER_SLOTS_TTL, SlotSettings.duration(c.memberSlotsTtlMs()));
        m.put(SLOTS, SlotSettings.toMap(c.slots()));
        m.put(STANDBY_CLUSTER, StandbySettings.toMap(c.standbyCluster()));
        Map<String, Object> pg = new LinkedHashMap<>();
        pg.put("parameters", c.postgresql().parameters());
        pg.put("pg_hba", c.postgresql().pgHba());
        m.put(POSTGRESQL, pg);
        m.putAll(ResourceSettings.toMap(c.resources()));
        m.putAll(SetsSettings.toMap(c.sets(), true));
        return m;
    }

    /**
     * {@link #toMap} for showing: the values of fence options that name a secret (a password, a
     * token) are replaced by {@code ******}. Never write this form back.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> toDisplayMap(DynamicConfig c) {
        Map<String, Object> m = toMap(c);
        m.putAll(SetsSettings.toMap(c.sets(), false));
        Object fencing = m.get(ResourceSettings.FENCING);
        if (fencing instanceof Map<?, ?> f && f.get("devices") instanceof Map<?, ?> devices) {
            for (Object d : devices.values()) {
                if (d instanceof Map<?, ?> dm && dm.get("options") instanceof Map<?, ?> opts) {
                    ((Map<String, Object>) opts).replaceAll((k, v) -> ResourceSettings.secretOption(k) ? "******" : v);
                }
            }
        }
        return m;
    }

    /**
     * {@code base} with {@code changes} applied. Values may be strings ("on", "2", "1MB") or the
     * JSON/YAML scalars they stand for; a null value resets the key to its default.
     */
    public static DynamicConfig apply(DynamicConfig base, Map<String, ?> changes) {
        boolean paused = base.paused();
        long lag = base.maximumLagOnFailover();
        SyncMode mode = base.synchronousMode();
        boolean strict = base.synchronousModeStrict();
        int count = base.synchronousNodeCount();
        boolean failsafe = base.failsafeMode();
        long drain = base.switchoverDrainTimeoutMs();
        long slotsTtl = base.memberSlotsTtlMs();
        var slots = base.slots();
        var standby = base.standbyCluster();
        Map<String, String> parameters =
                new java.util.TreeMap<>(base.postgresql().parameters());
        java.util.List<String> pgHba = base.postgresql().pgHba();
        var res = base.resources();
        var resources = res.resources();
        var fencing = res.fencing();
        var maintenance = res.maintenance();
        var primaryPlacement = res.primaryPlacement();
        Object setsDoc = null;
        boolean setsChanged = false;
        var journal = base.sets().journal();
        DynamicConfig d = DynamicConfig.DEFAULT;
        for (Map.Entry<String, ?> e : changes.entrySet()) {
            String key = e.getKey();
            Object v = e.getValue();
            if (key.startsWith(PARAMETER_PREFIX)) {
                String name = key.substring(PARAMETER_PREFIX.length());
                String value = v == null ? null : String.valueOf(v);
                if (value == null || value.isEmpty()) parameters.remove(name);
                else parameters.put(name, parameter(key, name, value));
                continue;
            }
            if (key.equals("postgresql.pg_hba")) {
                pgHba = hba(key, v);
                continue;
            }
            switch (key) {
                case PAUSE -> paused = v == null ? d.paused() : bool(key, v);
                case MAXIMUM_LAG -> lag = v == null ? d.maximumLagOnFailover() : bytes(key, v);
                case SYNC_MODE -> {
                    SyncMode m = v == null ? d.synchronousMode() : SyncMode.parse(String.valueOf(v));
                    if (m == null) throw new ConfigException(key + ": '" + v + "' is not one of off, on, quorum");
                    mode = m;
                }
                case SYNC_STRICT -> strict = v == null ? d.synchronousModeStrict() : bool(key, v);
                case SYNC_COUNT -> {
                    long n = v == null ? d.synchronousNodeCount() : integer(key, v);
                    if (n < 1 || n > 32) throw new ConfigException(key + ": " + n + " is out of range (1 to 32)");
                    count = (int) n;
                }
                case FAILSAFE -> failsafe = v == null ? d.failsafeMode() : bool(key, v);
                case SWITCHOVER_DRAIN -> {
                    drain = v == null ? d.switchoverDrainTimeoutMs() : Section.duration(key, v);
                    if (drain < 0 || drain > 600_000)
                        throw new ConfigException(key + ": " + drain + "ms is out of range (0 to 10m)");
                }
                case MEMBER_SLOTS_TTL -> slotsTtl = v == null ? d.memberSlotsTtlMs() : SlotSettings.ttl(key, v);
                case SLOTS -> slots = v == null ? d.slots() : SlotSettings.slots(key, v);
                case STANDBY_CLUSTER -> standby = StandbySettings.parse(key, v);
                case ResourceSettings.RESOURCES -> resources = ResourceSettings.resources(key, v);
                case ResourceSettings.FENCING -> fencing = ResourceSettings.fencing(key, v);
                case ResourceSettings.MAINTENANCE -> maintenance = ResourceSettings.maintenance(key, v);
                case ResourceSettings.PRIMARY_PLACEMENT -> primaryPlacement = ResourceSettings.primaryPlacement(key, v);
                case SetsSettings.SETS -> {
                    setsDoc = v;
                    setsChanged = true;
                }
                case SetsSettings.JOURNAL -> journal = SetsSettings.journal(key, v);
                case POSTGRESQL -> {
                    if (v == null) {
                        parameters.clear();
                        pgHba = java.util.List.of();
                    } else {
                        if (!(v instanceof Map<?, ?> pm))
                            throw new ConfigException(key + ": expected a mapping with parameters and pg_hba");
                        Section sec = new Section(key, pm);
                        parameters.clear();
                        Section params = sec.section("parameters");
                        for (String name : params.keys()) {
                            Object pv = params.raw(name);
                            if (pv != null)
                                parameters.put(name, parameter(key + ".parameters." + name, name, String.valueOf(pv)));
                        }
                        pgHba = sec.has("pg_hba") ? hba(key + ".pg_hba", sec.raw("pg_hba")) : java.util.List.of();
                        sec.rejectUnknown();
                    }
                }
                default ->
                    throw new ConfigException(
                            "unknown setting '" + key + "' (known: " + String.join(", ", toMap(d).keySet()) + ")");
            }
        }
        return new DynamicConfig(
                paused,
                lag,
                mode,
                strict,
                count,
                failsafe,
                drain,
                slotsTtl,
                slots,
                standby,
                new DynamicConfig.Postgres(parameters, pgHba),
                new io.pgha.core.resource.ResourceConfig(resources, fencing, maintenance, primaryPlacement),
                setsChanged
                        ? SetsSettings.parse(SetsSettings.SETS, setsDoc, journal)
                        : new io.pgha.core.sets.SetsConfig(
                                base.sets().nodes(),
                                base.sets().sets(),
                                base.sets().sequenceSyncMs(),
                                journal));
    }

    /** A cluster-wide parameter: a valid name that pgha does not manage itself. */
    private static String parameter(String key, String name, String value) {
        if (!PARAMETER_NAME.matcher(name).matches()) {
            throw new ConfigException(key + ": '" + name + "' is not a PostgreSQL parameter name");
        }
        if (ConfigReader.MANAGED_PARAMETERS.contains(name.toLowerCase(Locale.ROOT))) {
            throw new ConfigException(key + ": is managed by pgha and cannot be set");
        }
        return value;
    }

    /** pg_hba lines: a list of text lines (one line also as a string). */
    private static java.util.List<String> hba(String key, Object v) {
        if (v == null) return java.util.List.of();
        if (v instanceof String one) return one.isBlank() ? java.util.List.of() : java.util.List.of(one);
        if (!(v instanceof java.util.List<?> l)) throw new ConfigException(key + ": expected a list of pg_hba lines");
        java.util.List<String> out = new java.util.ArrayList<>();
        for (Object o : l) {
            if (o == null || o instanceof Map || o instanceof java.util.List)
                throw new ConfigException(key + ": every entry must be one pg_hba line");
            String line = String.valueOf(o).trim();
            if (line.contains("\n")) throw new ConfigException(key + ": '" + line + "' spans several lines");
            out.add(line);
        }
        return java.util.List.copyOf(out);
    }

    /** Parses {@code KEY=VALUE}. */
    public static Map.Entry<String, String> assignment(String text) {
        int eq = text.indexOf('=');
        if (eq <= 0) throw new ConfigException("'" + text + "' is not KEY=VALUE");
        return Map.entry(text.substring(0, eq).trim(), text.substring(eq + 1).trim());
    }

    private static boolean bool(String key, Object v) {
        if (v instanceof Boolean b) return b;
        return switch (String.valueOf(v).trim().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes", "1" -> true;
            case "false", "off", "no", "0" -> false;
            default -> throw new ConfigException(key + ": '" + v + "' is not a boolean (true or false)");
        };
    }

    private static long integer(String key, Object v) {
        return Section.wholeNumber(key, v);
    }

    /** A size setting: {@code dflt} when absent, else {@link #bytes}. */
    static long size(String key, Object v, long dflt) {
        return v == null ? dflt : bytes(key, v);
    }

    static long bytes(String key, Object v) {
        if (v instanceof Number) {
            long n = integer(key, v);
            if (n < 0) throw new ConfigException(key + ": must not be negative");
            return n;
        }
        try {
            return parseSize(String.valueOf(v));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ": " + e.getMessage());
        }
    }

    /**
     * A size in bytes: digits, optionally followed by B, kB, MB, GB or TB (any case, powers of 1024).
     * IllegalArgumentException when it is not a size or does not fit in a long (never a wrapped value).
     */
    public static long parseSize(String text) {
        var m = SIZE.matcher(text.trim());
        if (!m.matches())
            throw new IllegalArgumentException("'" + text + "' is not a size (bytes, or a number with kB, MB, GB, TB)");
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        long mult = switch (unit) {
            case "KB" -> 1024L;
            case "MB" -> 1024L * 1024;
            case "GB" -> 1024L * 1024 * 1024;
            case "TB" -> 1024L * 1024 * 1024 * 1024;
            default -> 1;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), mult);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large (at most " + Long.MAX_VALUE + " bytes)");
        }
    }
}
