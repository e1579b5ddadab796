package io.pgha.core.config;

import io.pgha.core.resource.FenceDevice;
import io.pgha.core.resource.Fencing;
import io.pgha.core.resource.ResourceConfig;
import io.pgha.core.resource.ResourceSpec;
import io.pgha.core.resource.ResourceSpec.Kind;
import io.pgha.core.resource.ResourceSpec.LocationRule;
import io.pgha.core.resource.ResourceSpec.RoleOrder;
import io.pgha.core.resource.ResourceSpec.With;
import io.pgha.core.resource.Score;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The resource settings of the dynamic config as people write them ({@code resources}, {@code
 * fencing}, {@code maintenance}, {@code primary_placement}; see docs/resources.md), parsed and
 * checked as a whole: an error names the key and what is accepted, and nothing half-valid is kept.
 */
public final class ResourceSettings {
    public static final String RESOURCES = "resources";
    public static final String FENCING = "fencing";
    public static final String MAINTENANCE = "maintenance";
    public static final String PRIMARY_PLACEMENT = "primary_placement";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");
    private static final Pattern OCF =
            Pattern.compile("ocf:([A-Za-z0-9_][A-Za-z0-9_.-]*):([A-Za-z0-9_][A-Za-z0-9_.-]*)");
    private static final Pattern PARAM = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<String> IP_KEYS = Set.of("address", "interface", "label", "arp_count");
    private static final Set<String> TAGS = Set.of("nofailover", "noloadbalance", "nosync");

    private ResourceSettings() {}

    /** {@code resources:}: a mapping of resource name to its settings. */
    public static Map<String, ResourceSpec> resources(String key, Object v) {
        if (v == null) return Map.of();
        if (!(v instanceof Map<?, ?> m)) throw new ConfigException(key + ": expected a mapping of resource names");
        Map<String, ResourceSpec> out = new LinkedHashMap<>();
        m.forEach((k, spec) -> {
            String name = String.valueOf(k);
            if (!NAME.matcher(name).matches())
                throw new ConfigException(
                        key + "." + name + ": a resource name must be 1-63 letters, digits, '_', '.' or '-'");
            if (!(spec instanceof Map<?, ?> sm)) throw new ConfigException(key + "." + name + ": expected a mapping");
            out.put(name, resource(key + "." + name, name, new Section(key + "." + name, sm)));
        });
        checkOrdering(key, out);
        return out;
    }

    private static ResourceSpec resource(String key, String name, Section s) {
        String kindText = s.requiredString("kind").toLowerCase(Locale.ROOT);
        Kind kind = switch (kindText) {
            case "ip" -> Kind.IP;
            case "ocf" -> Kind.OCF;
            case "script", "lsb" -> Kind.SCRIPT;
            default -> throw new ConfigException(s.key("kind") + ": '" + kindText + "' is not one of ip, ocf, script");
        };
        boolean lsb = kindText.equals("lsb") || s.bool("lsb", false);
        if (lsb && kind != Kind.SCRIPT)
            throw new ConfigException(s.key("lsb") + ": only a script can be an LSB init script");
        Map<String, String> params = new LinkedHashMap<>();
        Section p = s.section("params");
        for (String pk : p.keys()) {
            if (!PARAM.matcher(pk).matches())
                throw new ConfigException(
                        p.key(pk) + ": a parameter name must be letters, digits and '_', not starting with a digit");
            params.put(pk, p.string(pk, ""));
        }
        String agent = null;
        String upScript = null;
        String downScript = null;
        switch (kind) {
            case IP -> {
                if (!params.isEmpty())
                    throw new ConfigException(s.key("params") + ": an ip resource takes address, interface, label and"
                            + " arp_count directly, not params");
                for (String ik : IP_KEYS) {
                    String iv = s.string(ik, null);
                    if (iv != null) params.put(ik, iv);
                }
                String address = params.get("address");
                if (address == null)
                    throw new ConfigException(
                            s.key("address") + ": is required for an ip resource (e.g. 10.0.0.100/24)");
                address(s.key("address"), address);
                if (params.containsKey("interface") && !params.get("interface").matches("[A-Za-z0-9_.:@-]{1,15}"))
                    throw new ConfigException(
                            s.key("interface") + ": '" + params.get("interface") + "' is not an interface name");
                if (params.containsKey("arp_count")) {
                    long n = Section.wholeNumber(s.key("arp_count"), params.get("arp_count"));
                    if (n < 0 || n > 100)
                        throw new ConfigException(s.key("arp_count") + ": " + n + " is out of range (0 to 100)");
                }
                upScript = path(s, "up_script");
                downScript = path(s, "down_script");
                if (s.has("agent"))
                    throw new ConfigException(s.key("agent") + ": an ip resource has no agent; use kind: ocf for one");
            }
            case OCF -> {
                agent = s.requiredString("agent");
                if (!OCF.matcher(agent).matches())
                    throw new ConfigException(
                            s.key("agent") + ": '" + agent + "' is not ocf:PROVIDER:TYPE (e.g. ocf:heartbeat:IPaddr2)");
            }
            case SCRIPT -> {
                agent = path(s, "path");
                if (agent == null) agent = path(s, "agent");
                if (agent == null)
                    throw new ConfigException(s.key("path") + ": is required for a script resource (an absolute path)");
            }
        }
        if (kind != Kind.IP && (s.has("up_script") || s.has("down_script")))
            throw new ConfigException(key + ": up_script and down_script belong to ip resources");
        With with = with(s.key("with"), s.string("with", "primary"));
        String orderText = s.string("order", null);
        RoleOrder order = orderText == null ? RoleOrder.AFTER_PROMOTE : order(s.key("order"), orderText);
        if (orderText != null) {
            if ((order == RoleOrder.AFTER_PROMOTE || order == RoleOrder.BEFORE_PROMOTE) && with != With.PRIMARY)
                throw new ConfigException(s.key("order") + ": " + order.label() + " needs with: primary");
            if (order == RoleOrder.BEFORE_POSTGRESQL && with != With.EVERY)
                throw new ConfigException(s.key("order")
                        + ": before-postgresql needs with: every (it starts before PostgreSQL on each member)");
        }
        List<String> after = s.strings("after", List.of());
        for (String a : after)
            if (a.equals(name)) throw new ConfigException(s.key("after") + ": a resource cannot come after itself");
        List<LocationRule> location = location(s.key("location"), s.raw("location"));
        Score stickiness = s.has("stickiness") ? Score.parse(s.key("stickiness"), s.raw("stickiness")) : Score.ZERO;
        Section mon = s.section("monitor");
        long interval = mon.millis("interval", ResourceSpec.DEFAULT_MONITOR_INTERVAL_MS);
        long monTimeout = mon.millis("timeout", ResourceSpec.DEFAULT_MONITOR_TIMEOUT_MS);
        mon.rejectUnknown();
        if (interval != 0 && interval < 500)
            throw new ConfigException(mon.key("interval") + ": at least 500ms (or 0: never monitor)");
        long start = timeout(s, "start_timeout", ResourceSpec.DEFAULT_START_TIMEOUT_MS);
        long stop = timeout(s, "stop_timeout", ResourceSpec.DEFAULT_STOP_TIMEOUT_MS);
        if (monTimeout < 100) throw new ConfigException(mon.key("timeout") + ": at least 100ms");
        int threshold = s.intIn("migration_threshold", ResourceSpec.DEFAULT_MIGRATION_THRESHOLD, 0, 1_000_000);
        long failureTimeout = s.millis("failure_timeout", 0);
        boolean critical = s.bool("critical", false);
        if (critical && with != With.PRIMARY)
            throw new ConfigException(
                    s.key("critical") + ": only a resource with: primary can be critical (it moves the primary role)");
        boolean disabled = s.bool("disabled", false);
        boolean promotable = s.bool("promotable", false);
        if (promotable && (kind == Kind.IP || lsb))
            throw new ConfigException(
                    s.key("promotable") + ": only an ocf agent or an OCF-style script can be promoted");
        if (promotable && with != With.EVERY)
            throw new ConfigException(
                    s.key("promotable") + ": needs with: every (started on every member, promoted on the primary)");
        s.rejectUnknown();
        return new ResourceSpec(
                name,
                kind,
                agent,
                params,
                with,
                order,
                after,
                location,
                stickiness,
                interval,
                monTimeout,
                start,
                stop,
                threshold,
                failureTimeout,
                critical,
                disabled,
                lsb,
                upScript,
                downScript,
                promotable);
    }

    private static long timeout(Section s, String name, long dflt) {
        long t = s.millis(name, dflt);
        if (t < 100 || t > 3_600_000) throw new ConfigException(s.key(name) + ": out of range (100ms to 1h)");
        return t;
    }

    private static String path(Section s, String name) {
        String p = s.string(name, null);
        if (p == null) return null;
        if (!p.startsWith("/") || p.contains("\0") || p.contains("/../") || p.endsWith("/.."))
            throw new ConfigException(s.key(name) + ": '" + p + "' is not an absolute path");
        return p;
    }

    /** An IPv4 or IPv6 address with an optional /prefix, checked without any name lookup. */
    public static void address(String key, String text) {
        String addr = text;
        Integer prefix = null;
        int slash = text.indexOf('/');
        if (slash >= 0) {
            addr = text.substring(0, slash);
            String ps = text.substring(slash + 1);
            if (!ps.matches("\\d{1,3}"))
                throw new ConfigException(key + ": '" + text + "' has no valid prefix length after '/'");
            prefix = Integer.parseInt(ps);
        }
        boolean v4 = addr.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (v4) {
            for (String part : addr.split("\\.")) {
                if (Integer.parseInt(part) > 255)
                    throw new ConfigException(key + ": '" + text + "' is not an IPv4 or IPv6 address");
            }
            if (prefix != null && prefix > 32)
                throw new ConfigException(key + ": /" + prefix + " is not an IPv4 prefix length (0-32)");
            return;
        }
        if (addr.contains(":") && addr.matches("[0-9A-Fa-f:.]+")) {
            try {
                // a literal of hex digits and colons: parsed, never looked up
                java.net.InetAddress a = java.net.InetAddress.getByName(addr);
                if (a instanceof java.net.Inet6Address) {
                    if (prefix != null && prefix > 128)
                        throw new ConfigException(key + ": /" + prefix + " is not an IPv6 prefix length (0-128)");
                    return;
                }
            } catch (java.net.UnknownHostException | IllegalArgumentException e) {
                // falls through to the error
            }
        }
        throw new ConfigException(key + ": '" + text + "' is not an IPv4 or IPv6 address");
    }

    static With with(String key, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "primary", "master", "leader" -> With.PRIMARY;
            case "standby", "replica" -> With.STANDBY;
            case "standbys", "replicas" -> With.STANDBYS;
            case "every", "all", "clone" -> With.EVERY;
            case "any", "anywhere" -> With.ANY;
            default ->
                throw new ConfigException(key + ": '" + v + "' is not one of primary, standby, standbys, every, any");
        };
    }

    static RoleOrder order(String key, String v) {
        return switch (v.toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "after-promote" -> RoleOrder.AFTER_PROMOTE;
            case "before-promote" -> RoleOrder.BEFORE_PROMOTE;
            case "before-postgresql" -> RoleOrder.BEFORE_POSTGRESQL;
            default ->
                throw new ConfigException(
                        key + ": '" + v + "' is not one of after-promote, before-promote, before-postgresql");
        };
    }

    /** A list of {@code {node: NAME, score: S}} or {@code {tag: TAG, score: S}}. */
    static List<LocationRule> location(String key, Object v) {
        if (v == null) return List.of();
        if (!(v instanceof List<?> l))
            throw new ConfigException(key + ": expected a list of {node: NAME, score: S} or {tag: TAG, score: S}");
        List<LocationRule> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            String k = key + "[" + i + "]";
            if (!(l.get(i) instanceof Map<?, ?> m))
                throw new ConfigException(k + ": expected {node: NAME, score: S} or {tag: TAG, score: S}");
            Section s = new Section(k, m);
            String node = s.string("node", null);
            String tag = s.string("tag", null);
            if ((node == null) == (tag == null)) throw new ConfigException(k + ": give either node or tag");
            if (node != null && !NAME.matcher(node).matches())
                throw new ConfigException(s.key("node") + ": '" + node + "' is not a member name");
            if (tag != null && !TAGS.contains(tag.toLowerCase(Locale.ROOT)))
                throw new ConfigException(s.key("tag") + ": '" + tag + "' is not one of " + new TreeSet<>(TAGS));
            Score score = Score.parse(s.key("score"), s.raw("score"));
            s.rejectUnknown();
            out.add(new LocationRule(node, tag == null ? null : tag.toLowerCase(Locale.ROOT), score));
        }
        return out;
    }

    /** Every {@code after} names a resource, and the names form no cycle. */
    private static void checkOrdering(String key, Map<String, ResourceSpec> all) {
        for (ResourceSpec r : all.values()) {
            for (String a : r.after()) {
                if (!all.containsKey(a))
                    throw new ConfigException(key + "." + r.name() + ".after: '" + a + "' is not a resource (known: "
                            + String.join(", ", all.keySet()) + ")");
            }
        }
        Set<String> done = new HashSet<>();
        for (String n : all.keySet()) visit(key, n, all, done, new ArrayList<>());
    }

    private static void visit(
            String key, String n, Map<String, ResourceSpec> all, Set<String> done, List<String> path) {
        if (done.contains(n)) return;
        if (path.contains(n)) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(n), path.size()));
            cycle.add(n);
            throw new ConfigException(key + ": the after: constraints form a cycle: " + String.join(" -> ", cycle));
        }
        path.add(n);
        for (String a : all.get(n).after()) visit(key, a, all, done, path);
        path.remove(path.size() - 1);
        done.add(n);
    }

    /** {@code fencing:}. */
    public static Fencing fencing(String key, Object v) {
        if (v == null) return Fencing.OFF;
        if (!(v instanceof Map<?, ?> m))
            throw new ConfigException(key + ": expected a mapping with mode, devices and levels");
        Section s = new Section(key, m);
        String modeText = s.string("mode", "off").toLowerCase(Locale.ROOT).replace('_', '-');
        Fencing.Mode mode = switch (modeText) {
            case "off", "false" -> Fencing.Mode.OFF;
            case "when-unknown" -> Fencing.Mode.WHEN_UNKNOWN;
            case "required", "on", "true" -> Fencing.Mode.REQUIRED;
            default ->
                throw new ConfigException(
                        s.key("mode") + ": '" + modeText + "' is not one of required, when-unknown, off");
        };
        Map<String, FenceDevice> devices = new LinkedHashMap<>();
        Section ds = s.section("devices");
        for (String name : ds.keys()) {
            if (!NAME.matcher(name).matches())
                throw new ConfigException(
                        ds.key(name) + ": a device name must be 1-63 letters, digits, '_', '.' or '-'");
            Section d = ds.section(name);
            String agent = path(d, "agent");
            if (agent == null)
                throw new ConfigException(d.key("agent")
                        + ": is required (the fence agent's absolute path, e.g. /usr/sbin/fence_ipmilan)");
            Map<String, String> options = new LinkedHashMap<>();
            Section o = d.section("options");
            for (String ok : o.keys()) {
                if (!PARAM.matcher(ok).matches())
                    throw new ConfigException(o.key(ok) + ": an option name must be letters, digits and '_'");
                if (ok.equals("action") || ok.equals("plug") || ok.equals("port"))
                    throw new ConfigException(o.key(ok) + ": is set by pgha (use the device's action and plugs)");
                String ov = o.string(ok, "");
                if (ov.contains("\n")) throw new ConfigException(o.key(ok) + ": a value cannot span lines");
                options.put(ok, ov);
            }
            List<String> targets = d.strings("targets", List.of());
            Map<String, String> plugs = d.stringMap("plugs");
            String action = d.string("action", "off").toLowerCase(Locale.ROOT);
            if (!action.equals("off") && !action.equals("reboot"))
                throw new ConfigException(d.key("action") + ": '" + action + "' is not off or reboot");
            long timeout = d.millis("timeout", FenceDevice.DEFAULT_TIMEOUT_MS);
            if (timeout < 100 || timeout > 600_000)
                throw new ConfigException(d.key("timeout") + ": out of range (100ms to 10m)");
            d.rejectUnknown();
            devices.put(name, new FenceDevice(name, agent, options, targets, plugs, action, timeout));
        }
        List<List<String>> levels = new ArrayList<>();
        Object lv = s.raw("levels");
        if (lv != null) {
            if (!(lv instanceof List<?> ll))
                throw new ConfigException(s.key("levels") + ": expected a list of lists of device names");
            for (int i = 0; i < ll.size(); i++) {
                Object level = ll.get(i);
                List<String> names = new ArrayList<>();
                if (level instanceof String one) names.add(one);
                else if (level instanceof List<?> l) l.forEach(x -> names.add(String.valueOf(x)));
                else
                    throw new ConfigException(
                            s.key("levels") + "[" + i + "]: expected a device name or a list of them");
                for (String n : names) {
                    if (!devices.containsKey(n))
                        throw new ConfigException(s.key("levels") + "[" + i + "]: '" + n + "' is not a device (known: "
                                + String.join(", ", devices.keySet()) + ")");
                }
                levels.add(names);
            }
        }
        s.rejectUnknown();
        if (mode != Fencing.Mode.OFF && devices.isEmpty())
            throw new ConfigException(
                    s.key("devices") + ": fencing mode " + mode.label() + " needs at least one device");
        return new Fencing(mode, devices, levels);
    }

    /** {@code maintenance:}: the members in maintenance. */
    public static Set<String> maintenance(String key, Object v) {
        if (v == null) return Set.of();
        List<String> names;
        if (v instanceof String one) names = one.isBlank() ? List.of() : List.of(one.trim());
        else if (v instanceof List<?> l) {
            names = new ArrayList<>();
            for (Object o : l) names.add(String.valueOf(o).trim());
        } else throw new ConfigException(key + ": expected a list of member names");
        for (String n : names)
            if (!NAME.matcher(n).matches()) throw new ConfigException(key + ": '" + n + "' is not a member name");
        return new TreeSet<>(names);
    }

    /** {@code primary_placement: {location: [...], stickiness: S}}; null turns failback off. */
    public static ResourceConfig.PrimaryPlacement primaryPlacement(String key, Object v) {
        if (v == null) return null;
        if (!(v instanceof Map<?, ?> m))
            throw new ConfigException(key + ": expected a mapping with location and stickiness");
        Section s = new Section(key, m);
        List<LocationRule> location = location(s.key("location"), s.raw("location"));
        Score stickiness = s.has("stickiness") ? Score.parse(s.key("stickiness"), s.raw("stickiness")) : Score.ZERO;
        s.rejectUnknown();
        if (location.isEmpty()) return null;
        return new ResourceConfig.PrimaryPlacement(location, stickiness);
    }

    // ------------------------------------------------------------------ the written form

    /** The four settings as a person writes them (and as the DCS stores them). */
    public static Map<String, Object> toMap(ResourceConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> rs = new LinkedHashMap<>();
        c.resources().forEach((n, r) -> rs.put(n, resourceMap(r)));
        m.put(RESOURCES, rs);
        m.put(FENCING, fencingMap(c.fencing()));
        m.put(MAINTENANCE, new ArrayList<>(c.maintenance()));
        m.put(PRIMARY_PLACEMENT, c.primaryPlacement() == null ? null : placementMap(c.primaryPlacement()));
        return m;
    }

    private static Map<String, Object> resourceMap(ResourceSpec r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", r.lsb() ? "lsb" : r.kind().label());
        Map<String, String> params = new LinkedHashMap<>(r.params());
        if (r.kind() == Kind.IP) {
            for (String k : List.of("address", "interface", "label", "arp_count")) {
                String v = params.remove(k);
                if (v != null) m.put(k, v);
            }
        } else if (r.kind() == Kind.OCF) {
            m.put("agent", r.agent());
        } else {
            m.put("path", r.agent());
        }
        if (!params.isEmpty()) m.put("params", params);
        m.put("with", r.with().label());
        if (r.order() != RoleOrder.AFTER_PROMOTE) m.put("order", r.order().label());
        if (!r.after().isEmpty()) m.put("after", r.after());
        if (!r.location().isEmpty()) m.put("location", locationList(r.location()));
        if (r.stickiness().value() != 0) m.put("stickiness", r.stickiness().toString());
        Map<String, Object> mon = new LinkedHashMap<>();
        mon.put("interval", r.monitorIntervalMs() + "ms");
        mon.put("timeout", r.monitorTimeoutMs() + "ms");
        m.put("monitor", mon);
        m.put("start_timeout", r.startTimeoutMs() + "ms");
        m.put("stop_timeout", r.stopTimeoutMs() + "ms");
        m.put("migration_threshold", r.migrationThreshold());
        if (r.failureTimeoutMs() != 0) m.put("failure_timeout", r.failureTimeoutMs() + "ms");
        if (r.critical()) m.put("critical", true);
        if (r.disabled()) m.put("disabled", true);
        if (r.promotable()) m.put("promotable", true);
        if (r.upScript() != null) m.put("up_script", r.upScript());
        if (r.downScript() != null) m.put("down_script", r.downScript());
        return m;
    }

    private static List<Object> locationList(List<LocationRule> rules) {
        List<Object> out = new ArrayList<>();
        for (LocationRule l : rules) {
            Map<String, Object> e = new LinkedHashMap<>();
            if (l.node() != null) e.put("node", l.node());
            else e.put("tag", l.tag());
            e.put("score", l.score().toString());
            out.add(e);
        }
        return out;
    }

    private static Map<String, Object> fencingMap(Fencing f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", f.mode().label());
        Map<String, Object> devices = new LinkedHashMap<>();
        f.devices().forEach((n, d) -> {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("agent", d.agent());
            if (!d.options().isEmpty()) dm.put("options", new LinkedHashMap<>(d.options()));
            if (!d.targets().isEmpty()) dm.put("targets", d.targets());
            if (!d.plugs().isEmpty()) dm.put("plugs", new LinkedHashMap<>(d.plugs()));
            dm.put("action", d.action());
            dm.put("timeout", d.timeoutMs() + "ms");
            devices.put(n, dm);
        });
        if (!devices.isEmpty()) m.put("devices", devices);
        if (!f.levels().isEmpty()) m.put("levels", f.levels());
        return m;
    }

    private static Map<String, Object> placementMap(ResourceConfig.PrimaryPlacement p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("location", locationList(p.location()));
        m.put("stickiness", p.stickiness().toString());
        return m;
    }

    /** The keys of {@link #toMap}, which {@link DynamicSettings} hands to this class. */
    static boolean owns(String key) {
        return key.equals(RESOURCES) || key.equals(FENCING) || key.equals(MAINTENANCE) || key.equals(PRIMARY_PLACEMENT);
    }

    /** Fence options whose values are secrets: shown as {@code ******} by anything that prints the config. */
    public static boolean secretOption(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.contains("passw") || n.contains("secret") || n.contains("token") || n.endsWith("key");
    }
}
