package io.pgha.dcs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.pgha.core.config.ConfigException;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.SlotPositions;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the bytes of one read of a cluster's DCS entries into a {@link ClusterState}, entry by
 * entry, so that one entry that does not parse (a bad member record, a config that does not
 * validate) costs that entry only and is never taken for an unreachable DCS. What stands in for a
 * bad entry, and why:
 *
 * <ul>
 *   <li>{@code members/<name>}: skipped (the member looks absent, as if its session had ended).
 *   <li>{@code config}: must parse and pass the same validation as {@code pgha edit-config}
 *       ({@link DynamicSettings#apply}); otherwise the last valid config this client read is kept.
 *       A client that never read one uses {@link #CONFIG_STAND_IN}, not the defaults: the defaults
 *       are asynchronous, and an agent that believed that while the lost config said synchronous
 *       could promote a standby that misses acknowledged commits.
 *   <li>{@code sync}: always {@link SyncState#UNREADABLE}, never a remembered record: a record
 *       remembered from before the damage may be older than what the primary did since (after its
 *       agent restarted it cannot know the old record), while UNREADABLE names nobody, so no
 *       standby is promoted, and the primary replaces it with a record of its own on its next cycle.
 *   <li>{@code failover}: absent; an operator request that cannot be read is not acted on, and
 *       the next request replaces it ({@link ZooKeeperDcs#requestFailover}).
 *   <li>{@code optime}: the last value read, else {@link Lsn#ZERO} (as when absent); the primary
 *       republishes its position whenever it differs, which repairs the entry.
 *   <li>{@code history}: the last value read, else empty (as when absent).
 *   <li>{@code slots}: as absent: standbys advance no slot copy until the primary republishes the
 *       positions, which it does on its next cycle.
 * </ul>
 *
 * <p>Each bad entry is named in {@link ClusterState#unreadable()} and logged once per distinct bad
 * value, not on every cycle. Thread-safe.
 */
final class ClusterDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterDecoder.class);
    private static final TypeReference<List<HistoryEntry>> HISTORY = new TypeReference<>() {};
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};
    /** The stored record's fields, by the setting each is checked as. */
    private static final Map<String, String> CONFIG_FIELDS = Map.ofEntries(
            Map.entry("paused", DynamicSettings.PAUSE),
            Map.entry("maximumLagOnFailover", DynamicSettings.MAXIMUM_LAG),
            Map.entry("synchronousMode", DynamicSettings.SYNC_MODE),
            Map.entry("synchronousModeStrict", DynamicSettings.SYNC_STRICT),
            Map.entry("synchronousNodeCount", DynamicSettings.SYNC_COUNT),
            Map.entry("failsafeMode", DynamicSettings.FAILSAFE),
            Map.entry("switchoverDrainTimeoutMs", DynamicSettings.SWITCHOVER_DRAIN),
            Map.entry("memberSlotsTtlMs", DynamicSettings.MEMBER_SLOTS_TTL),
            Map.entry("slots", DynamicSettings.SLOTS),
            Map.entry("standbyCluster", DynamicSettings.STANDBY_CLUSTER),
            Map.entry("postgresql", DynamicSettings.POSTGRESQL));

    /**
     * The config assumed by a client that has never read a valid one: synchronous (non-strict), so
     * that automatic failover needs the DCS record of synchronous standbys whatever the lost config
     * said; not paused, because an agent that stops while it believes the cluster paused leaves a
     * primary running for the others to replace.
     */
    static final DynamicConfig CONFIG_STAND_IN = DynamicConfig.DEFAULT.withSynchronous(SyncMode.ON, false, 1);

    /** The JSON field names of {@link DynamicConfig} and the setting each one is. */
    /** The bytes of each entry; null for an entry that does not exist. */
    record Raw(
            byte[] initialize,
            byte[] leader,
            Map<String, byte[]> members,
            byte[] config,
            byte[] failover,
            byte[] optime,
            byte[] history,
            byte[] sync,
            byte[] slots) {
        Raw(
                byte[] initialize,
                byte[] leader,
                Map<String, byte[]> members,
                byte[] config,
                byte[] failover,
                byte[] optime,
                byte[] history,
                byte[] sync) {
            this(initialize, leader, members, config, failover, optime, history, sync, null);
        }
    }

    /** An entry's bytes do not parse or do not validate; the message says how. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }

    private final String root;
    private DynamicConfig lastConfig;
    private Lsn lastOptime = Lsn.ZERO;
    private List<HistoryEntry> lastHistory = List.of();
    /** The bad value last logged per entry: a value is logged once, until the entry changes. */
    private final Map<String, byte[]> logged = new HashMap<>();

    ClusterDecoder(String root) {
        this.root = root;
    }

    synchronized ClusterState decode(Raw raw) {
        Set<String> bad = new TreeSet<>();
        Map<String, Member> members = new HashMap<>();
        raw.members().forEach((name, bytes) -> {
            Member m = entry("members/" + name, bytes, b -> member(name, b), bad);
            if (m != null) members.put(name, m);
        });
        if (raw.config() == null) {
            lastConfig = DynamicConfig.DEFAULT;
        } else {
            DynamicConfig c = entry("config", raw.config(), ClusterDecoder::config, bad);
            if (c != null) lastConfig = c;
        }
        FailoverRequest failover =
                raw.failover() == null ? null : entry("failover", raw.failover(), ClusterDecoder::failover, bad);
        if (raw.optime() == null) {
            lastOptime = Lsn.ZERO;
        } else {
            Lsn o = entry("optime", raw.optime(), ClusterDecoder::optime, bad);
            if (o != null) lastOptime = o;
        }
        if (raw.history() == null) {
            lastHistory = List.of();
        } else {
            List<HistoryEntry> h = entry("history", raw.history(), ClusterDecoder::history, bad);
            if (h != null) lastHistory = h;
        }
        SyncState sync = SyncState.EMPTY;
        if (raw.sync() != null) {
            SyncState s = entry("sync", raw.sync(), ClusterDecoder::sync, bad);
            sync = s == null ? SyncState.UNREADABLE : s;
        }
        SlotPositions slots = SlotPositions.EMPTY;
        if (raw.slots() != null) {
            SlotPositions s = entry("slots", raw.slots(), d -> json(d, SlotPositions.class), bad);
            if (s != null) slots = s;
        }
        logged.keySet().retainAll(bad);
        return new ClusterState(
                text(raw.initialize()),
                text(raw.leader()),
                members,
                config(),
                failover,
                lastOptime,
                lastHistory,
                sync,
                slots,
                bad);
    }

    /** The config as the last read saw it: the last valid one, or the stand-in when none was read. */
    synchronized DynamicConfig config() {
        return lastConfig == null ? CONFIG_STAND_IN : lastConfig;
    }

    private interface Parser<T> {
        T parse(byte[] data) throws Invalid;
    }

    /** Parses one entry; null (and the entry named in {@code bad}, logged once) when it is invalid. */
    private <T> T entry(String name, byte[] data, Parser<T> parser, Set<String> bad) {
        try {
            T value = parser.parse(data);
            logged.remove(name);
            return value;
        } catch (Invalid e) {
            bad.add(name);
            if (!Arrays.equals(logged.get(name), data)) {
                logged.put(name, data.clone());
                LOG.error("{}/{} in the DCS does not parse ({}); {}", root, name, e.getMessage(), consequence(name));
            }
            return null;
        }
    }

    private static String consequence(String name) {
        if (name.startsWith("members/")) return "that member is left out until it publishes a valid record";
        return switch (name) {
            case "config" -> "keeping the last valid config (fix it with 'pgha edit-config')";
            case "sync" -> "no standby counts as synchronous until the primary rewrites the record";
            case "failover" -> "ignoring it (the next switchover or failover request replaces it)";
            case "slots" -> "no slot copy is advanced until the primary publishes the positions again";
            default -> "keeping the last value read";
        };
    }

    private static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static <T> T json(byte[] data, Class<T> type) throws Invalid {
        try {
            T value = Json.parse(data, type);
            if (value == null) throw new Invalid("null");
            return value;
        } catch (Exception e) {
            throw new Invalid(firstLine(e));
        }
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    static Member member(String name, byte[] data) throws Invalid {
        Member m = json(data, Member.class);
        if (!name.equals(m.name())) throw new Invalid("the record names '" + m.name() + "', not " + name);
        if (m.role() == null || m.state() == null || m.host() == null || m.walPosition() == null || m.tags() == null) {
            throw new Invalid("role, state, host, walPosition and tags are required");
        }
        if (m.pgPort() < 1 || m.pgPort() > 65535 || m.timeline() < 0)
            throw new Invalid("pgPort or timeline out of range");
        return m;
    }

    /** A stored config, accepted only when {@code pgha edit-config} would accept the same values. */
    static DynamicConfig config(byte[] data) throws Invalid {
        Map<String, Object> fields;
        try {
            fields = Json.MAPPER.readValue(data, OBJECT);
        } catch (Exception e) {
            throw new Invalid(firstLine(e));
        }
        if (fields == null) throw new Invalid("null");
        Map<String, Object> settings = new LinkedHashMap<>();
        fields.forEach((field, value) -> {
            if ((field.equals("resources") || field.equals("sets")) && value instanceof Map<?, ?> rm) {
                // stored in the written form (see Json): resources, fencing, maintenance,
                // primary_placement; replication_sets, replication_sets_journal
                rm.forEach((k, v) -> settings.put(String.valueOf(k), v));
                return;
            }
            String setting = CONFIG_FIELDS.get(field);
            if (setting == null) return; // unknown fields: a newer version's, ignored
            settings.put(
                    setting,
                    field.equals("slots")
                            ? slotSettings(value)
                            : field.equals("standbyCluster") || field.equals("postgresql")
                                    ? standbySettings(value)
                                    : value);
        });
        try {
            return DynamicSettings.apply(DynamicConfig.DEFAULT, settings);
        } catch (ConfigException e) {
            throw new Invalid(e.getMessage());
        }
    }

    /**
     * A stored record (standby_cluster, postgresql) in the form a person writes it: snake_case keys,
     * absent fields left out. The keys of {@code postgresql.parameters} are parameter names, kept as
     * they are.
     */
    private static Object standbySettings(Object stored) {
        if (!(stored instanceof Map<?, ?> m)) return stored;
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (v == null) return;
            String key = String.valueOf(k).replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
            out.put(key, v instanceof Map<?, ?> nested && !key.equals("parameters") ? standbySettings(nested) : v);
        });
        return out;
    }

    /**
     * The stored permanent slots in the form a person writes them (and edit-config checks): the
     * stored type is the enum's name ({@code LOGICAL}), and absent fields are stored as null.
     */
    private static Object slotSettings(Object stored) {
        if (!(stored instanceof Map<?, ?> slots)) return stored;
        Map<String, Object> out = new LinkedHashMap<>();
        slots.forEach((name, slot) -> {
            if (!(slot instanceof Map<?, ?> f)) {
                out.put(String.valueOf(name), slot);
                return;
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            f.forEach((k, v) -> {
                if (v != null)
                    fields.put(
                            String.valueOf(k),
                            k.equals("type") ? String.valueOf(v).toLowerCase(java.util.Locale.ROOT) : v);
            });
            out.put(String.valueOf(name), fields);
        });
        return out;
    }

    static FailoverRequest failover(byte[] data) throws Invalid {
        return json(data, FailoverRequest.class);
    }

    static Lsn optime(byte[] data) throws Invalid {
        try {
            return Lsn.parse(new String(data, StandardCharsets.UTF_8).trim());
        } catch (IllegalArgumentException e) {
            throw new Invalid(e.getMessage());
        }
    }

    static List<HistoryEntry> history(byte[] data) throws Invalid {
        List<HistoryEntry> h;
        try {
            h = Json.MAPPER.readValue(data, HISTORY);
        } catch (Exception e) {
            throw new Invalid(firstLine(e));
        }
        if (h == null) throw new Invalid("null");
        for (HistoryEntry e : h) {
            if (e == null || e.timeline() < 1 || e.switchpoint() == null)
                throw new Invalid("an entry without timeline or switch point");
        }
        return List.copyOf(h);
    }

    static SyncState sync(byte[] data) throws Invalid {
        SyncState s = json(data, SyncState.class);
        if (s.leader() == null) throw new Invalid("the record names no leader");
        return s;
    }
}
