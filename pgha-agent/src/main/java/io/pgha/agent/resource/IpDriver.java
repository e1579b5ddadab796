package io.pgha.agent.resource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pgha's own virtual IP: adds an address to an interface with {@code ip}, announces it, and takes
 * it away again.
 *
 * <p>Parameters:
 *
 * <ul>
 *   <li>{@code address}: an IPv4 or IPv6 literal, with {@code /PREFIX} or with {@code prefix} set
 *       apart; without either, the prefix of the interface's network that contains the address.
 *   <li>{@code interface} (optional): without it, the interface that has an address in a network
 *       containing the virtual IP (the longest such prefix) when starting, and wherever the address
 *       is when monitoring or stopping.
 *   <li>{@code label} (optional, IPv4 only): {@code ip addr add ... label L}, such as {@code eth0:pg}.
 *   <li>{@code arp_count} (default 3): gratuitous ARPs ({@code arping -U}, iputils) or unsolicited
 *       neighbour advertisements ({@code send_ua} of resource-agents, when installed) after start;
 *       0 sends none. A failed announcement is logged and does not fail the start.
 *   <li>{@code up_script}, {@code down_script} (optional): called as UCARP calls its scripts, {@code
 *       SCRIPT INTERFACE ADDRESS} (the address without its prefix), the up script after the address
 *       was added, the down script before it is removed. Like UCARP, their exit codes are logged and
 *       do not stop the address from coming or going.
 * </ul>
 *
 * <p>Start is idempotent (an address already present is a success and runs nothing), and so is stop
 * (an absent address is a success). IPv6 addresses are added {@code nodad}, usable at once. Every
 * command is prefixed with {@code netnsPrefix} (such as {@code ip netns exec NS}), and {@code ip}
 * is {@code ipCommand}: tests run the driver inside a network namespace.
 */
public final class IpDriver implements ResourceDriver {
    private static final Logger LOG = LoggerFactory.getLogger(IpDriver.class);

    public static final List<String> DEFAULT_IP = List.of("ip");
    public static final Path SEND_UA = Path.of("/usr/libexec/heartbeat/send_ua");
    private static final Set<String> PARAMETERS =
            Set.of("address", "prefix", "interface", "label", "arp_count", "up_script", "down_script");
    private static final long ANNOUNCE_INTERVAL_MS = 200;

    private final String name;
    private final Map<String, String> params;
    private final List<String> ipCommand;
    private final List<String> netnsPrefix;
    private final Path sendUa;

    public IpDriver(String name, Map<String, String> params) {
        this(name, params, DEFAULT_IP, List.of());
    }

    /**
     * @param ipCommand how to call {@code ip}, default {@code [ip]}
     * @param netnsPrefix put before every command run (ip, arping, send_ua, scripts); default empty
     * @throws IllegalArgumentException for a bad name or an unknown parameter (values are checked by
     *     {@link #validate(long)} and every action, which answer {@link OcfStatus#ERR_CONFIGURED})
     */
    public IpDriver(String name, Map<String, String> params, List<String> ipCommand, List<String> netnsPrefix) {
        this(name, params, ipCommand, netnsPrefix, SEND_UA);
    }

    IpDriver(String name, Map<String, String> params, List<String> ipCommand, List<String> netnsPrefix, Path sendUa) {
        this.name = ResourceEnv.checkInstance(name);
        for (String key : params.keySet()) {
            if (!PARAMETERS.contains(key)) {
                throw new IllegalArgumentException("resource " + name + ": unknown parameter '" + key + "' (known: "
                        + String.join(", ", PARAMETERS.stream().sorted().toList()) + ")");
            }
        }
        this.params = Map.copyOf(params);
        this.ipCommand = List.copyOf(ipCommand);
        this.netnsPrefix = List.copyOf(netnsPrefix);
        this.sendUa = sendUa;
    }

    /** The parameters, checked. */
    private record Config(VirtualIp ip, String iface, String label, int arpCount, Path upScript, Path downScript) {
        static Config parse(Map<String, String> p) {
            VirtualIp ip = VirtualIp.parse(p.get("address"), p.get("prefix"));
            String iface = blankToNull(p.get("interface"));
            if (iface != null && !iface.matches("[A-Za-z0-9_.:@-]{1,15}")) {
                throw new IllegalArgumentException("interface: '" + iface + "' is not an interface name");
            }
            String label = blankToNull(p.get("label"));
            if (label != null) {
                if (ip.ipv6()) throw new IllegalArgumentException("label: only IPv4 addresses carry a label");
                if (label.length() > 15 || !label.matches("[A-Za-z0-9_.:-]+")) {
                    throw new IllegalArgumentException(
                            "label: '" + label + "' must be at most 15 letters, digits or _ . : -");
                }
                if (iface != null && !label.equals(iface) && !label.startsWith(iface + ":")) {
                    throw new IllegalArgumentException(
                            "label: '" + label + "' must be the interface name or start with '" + iface + ":'");
                }
            }
            int arp = 3;
            String count = blankToNull(p.get("arp_count"));
            if (count != null) {
                try {
                    arp = Integer.parseInt(count);
                } catch (NumberFormatException e) {
                    arp = -1;
                }
                if (arp < 0 || arp > 100) {
                    throw new IllegalArgumentException("arp_count: '" + count + "' is not a number from 0 to 100");
                }
            }
            return new Config(ip, iface, label, arp, path(p.get("up_script")), path(p.get("down_script")));
        }

        private static Path path(String s) {
            return blankToNull(s) == null ? null : Path.of(s.strip());
        }

        private static String blankToNull(String s) {
            return s == null || s.isBlank() ? null : s.strip();
        }
    }

    /** An address on an interface, one line of {@code ip -o addr}. */
    record IfAddress(String iface, VirtualIp ip, String line) {}

    /** A failure of one step, carrying the result to return. */
    private static final class Failed extends Exception {
        final ActionResult result;
        final boolean noInterface;

        Failed(ActionResult result) {
            this(result, false);
        }

        Failed(ActionResult result, boolean noInterface) {
            super(result.output(), null, false, false);
            this.result = result;
            this.noInterface = noInterface;
        }
    }

    @Override
    public ActionResult start(long timeoutMs) {
        return ActionLog.log(LOG, describe(), timed("start", timeoutMs, this::doStart));
    }

    @Override
    public ActionResult stop(long timeoutMs) {
        return ActionLog.log(LOG, describe(), timed("stop", timeoutMs, this::doStop));
    }

    @Override
    public ActionResult monitor(long timeoutMs) {
        return ActionLog.log(LOG, describe(), timed("monitor", timeoutMs, this::doMonitor));
    }

    @Override
    public ActionResult validate(long timeoutMs) {
        return ActionLog.log(LOG, describe(), timed("validate-all", timeoutMs, this::doValidate));
    }

    @Override
    public String describe() {
        String a = params.getOrDefault("address", "?");
        return name + " (ip:" + a + (params.containsKey("interface") ? " on " + params.get("interface") : "") + ")";
    }

    private interface Step {
        String run(String action, Config c, long deadline) throws Failed;
    }

    private ActionResult timed(String action, long timeoutMs, Step step) {
        long start = System.nanoTime();
        long deadline = start + timeoutMs * 1_000_000L;
        String output;
        try {
            output = step.run(action, Config.parse(params), deadline);
        } catch (IllegalArgumentException e) {
            return new ActionResult(
                    action, OcfStatus.ERR_CONFIGURED, OcfStatus.ERR_CONFIGURED.code(), e.getMessage(), ms(start));
        } catch (Failed f) {
            ActionResult r = f.result;
            return new ActionResult(action, r.status(), r.exitCode(), r.output(), ms(start));
        }
        return new ActionResult(action, OcfStatus.SUCCESS, 0, output, ms(start));
    }

    private String doStart(String action, Config c, long deadline) throws Failed {
        IfAddress present = findPresent(action, c, deadline).orElse(null);
        if (present != null) return c.ip().host() + " is already on " + present.iface();
        String iface = c.iface();
        VirtualIp ip = c.ip();
        if (iface == null || ip.prefix() < 0) {
            IfAddress net = containingNetwork(action, c, deadline);
            iface = net.iface();
            if (ip.prefix() < 0) ip = ip.withPrefix(net.ip().prefix());
        }
        List<String> add = new ArrayList<>(List.of("addr", "add", ip.toString(), "dev", iface));
        if (c.label() != null) add.addAll(List.of("label", c.label()));
        if (ip.ipv6()) add.add("nodad");
        Child.Outcome o = ip(deadline, add);
        if (!o.exited()) throw fail(action, o);
        if (o.exitCode() != 0
                && !o.output().contains("already assigned")
                && !o.output().contains("File exists")) {
            throw new Failed(new ActionResult(
                    action,
                    OcfStatus.ERR_GENERIC,
                    o.exitCode(),
                    "ip addr add " + ip + " dev " + iface + " failed: "
                            + o.output().strip(),
                    0));
        }
        announce(c, ip, iface, deadline);
        script("up_script", c.upScript(), iface, ip, deadline);
        return "added " + ip + " to " + iface;
    }

    private String doStop(String action, Config c, long deadline) throws Failed {
        IfAddress present;
        try {
            present = findPresent(action, c, deadline).orElse(null);
        } catch (Failed f) {
            if (!f.noInterface) throw f;
            return f.result.output() + "; nothing to remove"; // no interface, no address on it
        }
        if (present == null) return c.ip().host() + " is not present";
        script("down_script", c.downScript(), present.iface(), present.ip(), deadline);
        Child.Outcome o = ip(deadline, List.of("addr", "del", present.ip().toString(), "dev", present.iface()));
        if (!o.exited()) throw fail(action, o);
        if (o.exitCode() != 0
                && !o.output().contains("Cannot assign requested address")
                && !o.output().contains("not found")) {
            throw new Failed(new ActionResult(
                    action,
                    OcfStatus.ERR_GENERIC,
                    o.exitCode(),
                    "ip addr del " + present.ip() + " dev " + present.iface() + " failed: "
                            + o.output().strip(),
                    0));
        }
        return "removed " + present.ip() + " from " + present.iface();
    }

    private String doMonitor(String action, Config c, long deadline) throws Failed {
        IfAddress present = findPresent(action, c, deadline).orElse(null);
        if (present == null) {
            throw new Failed(ActionResult.of(action, OcfStatus.NOT_RUNNING, c.ip().host() + " is not present"));
        }
        if (present.line().contains("dadfailed")) {
            throw new Failed(ActionResult.of(
                    action,
                    OcfStatus.ERR_GENERIC,
                    c.ip().host() + " on " + present.iface() + ": duplicate address detected (dadfailed)"));
        }
        return c.ip().host() + " is on " + present.iface();
    }

    private String doValidate(String action, Config c, long deadline) throws Failed {
        for (Path s : new Path[] {c.upScript(), c.downScript()}) {
            if (s != null && !(Files.isRegularFile(s) && Files.isExecutable(s))) {
                throw new Failed(ActionResult.of(action, OcfStatus.ERR_INSTALLED, "no executable script " + s));
            }
        }
        if (c.iface() != null) {
            addresses(action, c.iface(), deadline); // fails when it does not exist
            if (c.ip().prefix() >= 0) return c.ip() + " can go on " + c.iface();
        }
        IfAddress net = containingNetwork(action, c, deadline);
        return c.ip().withPrefix(
                                c.ip().prefix() >= 0
                                        ? c.ip().prefix()
                                        : net.ip().prefix()) + " can go on " + net.iface();
    }

    /** Where the address is now: on the configured interface, or on any when none is configured. */
    private Optional<IfAddress> findPresent(String action, Config c, long deadline) throws Failed {
        return addresses(action, c.iface(), deadline).stream()
                .filter(a -> a.ip().address().equals(c.ip().address()))
                .findFirst();
    }

    /** The interface address whose network contains the virtual IP, the most specific first. */
    private IfAddress containingNetwork(String action, Config c, long deadline) throws Failed {
        Optional<IfAddress> net = addresses(action, c.iface(), deadline).stream()
                .filter(a -> !a.ip().address().equals(c.ip().address()) && a.ip().networkContains(c.ip().address()))
                .max((x, y) -> Integer.compare(x.ip().prefix(), y.ip().prefix()));
        if (net.isPresent()) return net.get();
        String msg = c.iface() == null
                ? "no interface has an address in a network containing " + c.ip().host()
                : "interface " + c.iface() + " has no address in a network containing " + c.ip().host();
        if (c.ip().prefix() < 0) msg += "; give the address as ADDRESS/PREFIX";
        // without an interface of its own this node cannot hold the address; with one, the setting is wrong
        OcfStatus status = c.iface() == null ? OcfStatus.ERR_INSTALLED : OcfStatus.ERR_CONFIGURED;
        throw new Failed(ActionResult.of(action, status, msg));
    }

    /** {@code ip -o addr show [dev IFACE]}; a missing interface fails with {@link OcfStatus#ERR_INSTALLED}. */
    List<IfAddress> addresses(String action, String iface, long deadline) throws Failed {
        List<String> args = new ArrayList<>(List.of("-o", "addr", "show"));
        if (iface != null) args.addAll(List.of("dev", iface));
        Child.Outcome o = ip(deadline, args);
        if (!o.exited()) throw fail(action, o);
        if (o.exitCode() != 0) {
            if (iface != null && o.output().contains("does not exist")) {
                throw new Failed(
                        ActionResult.of(action, OcfStatus.ERR_INSTALLED, "interface " + iface + " does not exist"),
                        true);
            }
            throw new Failed(new ActionResult(
                    action,
                    OcfStatus.ERR_GENERIC,
                    o.exitCode(),
                    "ip addr show failed: " + o.output().strip(),
                    0));
        }
        return parseAddresses(o.output());
    }

    /** Lines like {@code 3: d0    inet 10.0.0.5/24 brd ... scope global secondary d0:vip\ ...}. */
    static List<IfAddress> parseAddresses(String output) {
        List<IfAddress> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4 || !(f[2].equals("inet") || f[2].equals("inet6"))) continue;
            String iface = f[1];
            int at = iface.indexOf('@');
            if (at > 0) iface = iface.substring(0, at);
            try {
                out.add(new IfAddress(iface, VirtualIp.parse(f[3], null), line));
            } catch (IllegalArgumentException e) {
                LOG.debug("skipping unreadable address line: {}", line);
            }
        }
        return out;
    }

    private void announce(Config c, VirtualIp ip, String iface, long deadline) {
        if (c.arpCount() == 0) return;
        List<String> cmd;
        if (!ip.ipv6()) {
            cmd = List.of("arping", "-q", "-U", "-c", Integer.toString(c.arpCount()), "-I", iface, ip.host());
        } else if (Files.isExecutable(sendUa)) {
            cmd = List.of(
                    sendUa.toString(),
                    "-i",
                    Long.toString(ANNOUNCE_INTERVAL_MS),
                    "-c",
                    Integer.toString(c.arpCount()),
                    ip.host(),
                    Integer.toString(ip.prefix()),
                    iface);
        } else {
            LOG.debug("resource {}: no {}; the kernel announces {} itself", describe(), sendUa, ip);
            return;
        }
        // arping waits a second between packets: allow for that, within the action's time
        long budgetMs = Math.min(remainingMs(deadline), c.arpCount() * 1000L + 2000);
        Child.Outcome o = new Child(prefixed(cmd)).run(budgetMs);
        // send_ua exits 0 even when it could not send: its "ERROR" lines tell
        if (!o.exited() || o.exitCode() != 0 || o.output().contains("ERROR")) {
            LOG.warn(
                    "resource {}: announcing {} on {} failed ({}): {}",
                    describe(),
                    ip,
                    iface,
                    o.exited() ? "exit " + o.exitCode() : o.ending(),
                    ActionResult.lastLine(o.output()));
        }
    }

    private void script(String setting, Path script, String iface, VirtualIp ip, long deadline) {
        if (script == null) return;
        Child.Outcome o = new Child(prefixed(List.of(script.toString(), iface, ip.host()))).run(remainingMs(deadline));
        if (!o.exited() || o.exitCode() != 0) {
            LOG.warn(
                    "resource {}: {} {} {} {} failed ({}): {}",
                    describe(),
                    setting,
                    script,
                    iface,
                    ip.host(),
                    o.exited() ? "exit " + o.exitCode() : o.ending(),
                    ActionResult.lastLine(o.output()));
        }
    }

    private Child.Outcome ip(long deadline, List<String> args) {
        List<String> cmd = new ArrayList<>(ipCommand);
        cmd.addAll(args);
        return new Child(prefixed(cmd)).env(Map.of("LC_ALL", "C")).run(remainingMs(deadline));
    }

    private List<String> prefixed(List<String> cmd) {
        List<String> full = new ArrayList<>(netnsPrefix);
        full.addAll(cmd);
        return full;
    }

    private static Failed fail(String action, Child.Outcome o) {
        return new Failed(OcfDriver.result(action, o));
    }

    private static long remainingMs(long deadline) {
        return Math.max(0, (deadline - System.nanoTime()) / 1_000_000L);
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000L;
    }
}
