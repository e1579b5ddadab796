package io.pgha.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small network of Linux network namespaces on one bridge, for tests that need real addresses:
 * members 1..N and a client, each in its own namespace with one interface {@code eth0} (a veth whose
 * other end is a port of the bridge), all in one /24 inside 10.213.0.0/16 that no interface or
 * route of the host uses. The bridge itself has {@code .254} in the root namespace, so this JVM
 * reaches every namespace through it; member i has {@code .i}, the client {@code .200}.
 *
 * <p>Nothing else of the host is touched: the lab adds only its own bridge (with its connected
 * route), veths and namespaces, all named with a random tag ({@code pgb<tag>}, {@code pgv<tag>-i},
 * {@code pgn<tag>-i}), and {@link #close()} removes them again, also after a partial {@link #create},
 * killing what still runs inside the namespaces. A JVM shutdown hook closes a lab nobody closed.
 *
 * <p>Needs root (CAP_NET_ADMIN and the right to mount {@code /run/netns}) and {@code ip} from
 * iproute2; {@link #unavailable()} says why a lab cannot be made here.
 */
public final class NetLab implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetLab.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String TAG_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789";
    /** The /16 every lab's /24 is chosen in. */
    private static final int SECOND_OCTET = 213;

    private static final int CLIENT_HOST = 200;
    private static final int BRIDGE_HOST = 254;
    private static final int FIRST_FREE_HOST = 100;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private static Optional<String> unavailable;

    /** The outcome of a finished command: its exit code and its output (stdout and stderr together). */
    public record ProcessResult(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }
    }

    private final String tag;
    private final int members;
    private final int third;
    private final Thread hook;
    private int nextFree = FIRST_FREE_HOST;
    private boolean closed;

    private NetLab(String tag, int members, int third) {
        this.tag = tag;
        this.members = members;
        this.third = third;
        this.hook = new Thread(this::closeQuietly, "netlab-" + tag + "-cleanup");
    }

    /**
     * Why no lab can be made here (no {@code ip}, not root, namespaces or bridges not permitted), or
     * empty when it can. Tries once per JVM, by adding and removing a namespace and a bridge.
     */
    public static synchronized Optional<String> unavailable() {
        if (unavailable == null) unavailable = probe();
        return unavailable;
    }

    private static Optional<String> probe() {
        if (!System.getProperty("os.name", "")
                .toLowerCase(java.util.Locale.ROOT)
                .contains("linux"))
            return Optional.of("network namespaces need Linux, this is " + System.getProperty("os.name"));
        String tag = freshTag();
        String ns = "pgn" + tag + "-probe";
        String bridge = "pgb" + tag;
        try {
            ProcessResult add = run(null, COMMAND_TIMEOUT, "ip", "netns", "add", ns);
            if (!add.ok())
                return Optional.of("'ip netns add' failed: " + add.output().strip());
            ProcessResult del = run(null, COMMAND_TIMEOUT, "ip", "netns", "del", ns);
            if (!del.ok())
                return Optional.of("'ip netns del' failed: " + del.output().strip());
            ProcessResult br = run(null, COMMAND_TIMEOUT, "ip", "link", "add", bridge, "type", "bridge");
            if (!br.ok())
                return Optional.of(
                        "'ip link add type bridge' failed: " + br.output().strip());
            run(null, COMMAND_TIMEOUT, "ip", "link", "del", bridge);
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot run 'ip' (iproute2): " + e.getMessage());
        }
    }

    /**
     * Makes a lab with {@code members} member namespaces (1..99) and a client namespace. Throws an
     * IOException naming the failed command when the host does not permit it ({@link #unavailable()}
     * says so in advance); whatever was made by then is removed again.
     */
    public static NetLab create(int members) throws IOException {
        if (members < 1 || members >= FIRST_FREE_HOST)
            throw new IllegalArgumentException("members: " + members + " is not between 1 and 99");
        Optional<String> why = unavailable();
        if (why.isPresent()) throw new IOException("network namespaces are not available here: " + why.get());
        for (int attempt = 0; ; attempt++) {
            NetLab lab = new NetLab(uniqueTag(), members, freeThirdOctet());
            Runtime.getRuntime().addShutdownHook(lab.hook);
            try {
                lab.build();
                if (lab.subnetSharedWithOthers() && attempt < 5) {
                    // another lab (another JVM) took the same /24 at the same moment: try another one
                    lab.close();
                    continue;
                }
                return lab;
            } catch (IOException | RuntimeException e) {
                try {
                    lab.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    private void build() throws IOException {
        ip("link", "add", bridge(), "type", "bridge");
        ip("addr", "add", bridgeAddress() + "/24", "dev", bridge());
        ip("link", "set", bridge(), "up");
        for (int i = 1; i <= members; i++) addNamespace(namespace(i), veth(String.valueOf(i)), address(i));
        addNamespace(clientNamespace(), veth("c"), clientAddress());
    }

    private void addNamespace(String ns, String veth, String address) throws IOException {
        ip("netns", "add", ns);
        ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("link", "set", veth, "master", bridge());
        ip("link", "set", veth, "up");
        ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", ns, "link", "set", "lo", "up");
    }

    // ------------------------------------------------------------------ names and addresses

    /** The name of member i's namespace (1-based). */
    public String namespace(int i) {
        checkMember(i);
        return "pgn" + tag + "-" + i;
    }

    /** Member i's address (without prefix length). */
    public String address(int i) {
        checkMember(i);
        return host(i);
    }

    public String clientNamespace() {
        return "pgn" + tag + "-c";
    }

    public String clientAddress() {
        return host(CLIENT_HOST);
    }

    /** The bridge's address in the root namespace: where this JVM's connections to the lab come from. */
    public String bridgeAddress() {
        return host(BRIDGE_HOST);
    }

    /** The lab's network, e.g. {@code 10.213.5.0/24}. */
    public String subnet() {
        return host(0) + "/24";
    }

    /** The name of the bridge in the root namespace. */
    public String bridge() {
        return "pgb" + tag;
    }

    public int members() {
        return members;
    }

    /**
     * An address of the lab's subnet that no interface of the lab has (for a virtual IP): .100 on the
     * first call, .101 on the next, and so on.
     */
    public synchronized String freeAddress() {
        if (nextFree >= CLIENT_HOST) throw new IllegalStateException("no free address left in " + subnet());
        return host(nextFree++);
    }

    /** The command prefix that runs a program in namespace {@code ns}: {@code ip netns exec ns}. */
    public List<String> exec(String ns) {
        return List.of("ip", "netns", "exec", ns);
    }

    private String host(int h) {
        return "10." + SECOND_OCTET + "." + third + "." + h;
    }

    private String veth(String suffix) {
        return "pgv" + tag + "-" + suffix;
    }

    private void checkMember(int i) {
        if (i < 1 || i > members)
            throw new IllegalArgumentException("member " + i + " is not between 1 and " + members);
    }

    // ------------------------------------------------------------------ running things

    /** Runs {@code cmd} in namespace {@code ns} (null: the root namespace) and waits up to 30 s for it. */
    public ProcessResult run(String ns, String... cmd) throws IOException {
        return run(ns, COMMAND_TIMEOUT, cmd);
    }

    /**
     * Runs {@code cmd} in namespace {@code ns} (null: the root namespace); kills it after {@code
     * timeout} and reports exit code 124 (as {@code timeout(1)} does) with what it printed so far.
     */
    public static ProcessResult run(String ns, Duration timeout, String... cmd) throws IOException {
        List<String> full = new ArrayList<>();
        if (ns != null) full.addAll(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(cmd));
        // a file, not a pipe: a background child keeping the output open cannot hold this call up
        Path out = Files.createTempFile("netlab", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(full)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile());
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            boolean done;
            try {
                done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + full, e);
            }
            if (!done) {
                p.destroyForcibly();
                waitQuietly(p);
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            return new ProcessResult(done ? p.exitValue() : 124, text);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static void waitQuietly(Process p) {
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code ip args} in the root namespace; throws with its output when it fails. */
    private static String ip(String... args) throws IOException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        ProcessResult r = run(null, COMMAND_TIMEOUT, cmd);
        if (!r.ok())
            throw new IOException(String.join(" ", cmd) + " failed (" + r.exitCode() + "): "
                    + r.output().strip());
        return r.output();
    }

    /**
     * Whether a TCP connection from namespace {@code ns} (null: the root namespace) to {@code
     * address} gets an answer within 2 s: accepted or refused both prove the path works, only no
     * answer at all (no route, no ARP reply, timeout) means unreachable. Needs no listener and no
     * ping, only bash.
     */
    public boolean reachable(String ns, String address) throws IOException {
        ProcessResult r = run(
                ns,
                Duration.ofSeconds(5),
                "timeout",
                "2",
                "bash",
                "-c",
                "exec 3<>/dev/tcp/" + address + "/9 && echo connected");
        return r.ok() || r.output().contains("Connection refused");
    }

    // ------------------------------------------------------------------ faults and observation

    /** Pulls member i's cable: its bridge port goes down, so nothing reaches it or leaves it. */
    public void cut(int i) throws IOException {
        checkMember(i);
        ip("link", "set", veth(String.valueOf(i)), "down");
    }

    /** Plugs member i's cable back in. */
    public void restore(int i) throws IOException {
        checkMember(i);
        ip("link", "set", veth(String.valueOf(i)), "up");
    }

    /** The neighbour table of namespace {@code ns}: address to link-layer address, entries that have one. */
    public Map<String, String> neighbours(String ns) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : ip("-n", ns, "neigh", "show").lines().toList()) {
            List<String> f = List.of(line.trim().split("\\s+"));
            int ll = f.indexOf("lladdr");
            if (!f.isEmpty() && ll > 0 && ll + 1 < f.size())
                m.put(f.get(0), f.get(ll + 1).toLowerCase(java.util.Locale.ROOT));
        }
        return m;
    }

    // ------------------------------------------------------------------ choosing names and a subnet

    private static String freshTag() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4; i++) b.append(TAG_CHARS.charAt(RANDOM.nextInt(TAG_CHARS.length())));
        return b.toString();
    }

    /** A tag no existing namespace or link name contains. */
    private static String uniqueTag() throws IOException {
        String links = ip("-o", "link", "show");
        String namespaces = ip("netns", "list");
        for (int attempt = 0; attempt < 100; attempt++) {
            String tag = freshTag();
            if (!links.contains(tag) && !namespaces.contains(tag)) return tag;
        }
        throw new IOException("no unused lab name found");
    }

    /** A /24 of 10.213.0.0/16 that overlaps no address and no route of the host. */
    private static int freeThirdOctet() throws IOException {
        List<long[]> used = usedPrefixes();
        List<Integer> candidates = new ArrayList<>();
        for (int s = 0; s < 256; s++) {
            long net = (10L << 24) | ((long) SECOND_OCTET << 16) | ((long) s << 8);
            if (used.stream().noneMatch(u -> overlaps(net, 24, u[0], (int) u[1]))) candidates.add(s);
        }
        if (candidates.isEmpty())
            throw new IOException("every /24 of 10." + SECOND_OCTET + ".0.0/16 is in use on this host");
        return candidates.get(RANDOM.nextInt(candidates.size()));
    }

    /** Every IPv4 prefix the root namespace has an address in or a route to (the default route left out). */
    private static List<long[]> usedPrefixes() throws IOException {
        List<long[]> used = new ArrayList<>();
        for (String line : ip("-o", "-4", "addr", "show").lines().toList()) {
            List<String> f = List.of(line.trim().split("\\s+"));
            int inet = f.indexOf("inet");
            if (inet >= 0 && inet + 1 < f.size()) parsePrefix(f.get(inet + 1)).ifPresent(used::add);
        }
        for (String table : List.of("main", "local")) {
            for (String line : ip("-4", "route", "show", "table", table).lines().toList()) {
                List<String> f = List.of(line.trim().split("\\s+"));
                if (f.isEmpty() || f.get(0).equals("default")) continue;
                String dst = f.get(0).matches("[a-z]+") && f.size() > 1 ? f.get(1) : f.get(0); // "local 1.2.3.4 ..."
                parsePrefix(dst).ifPresent(used::add);
            }
        }
        return used;
    }

    private static Optional<long[]> parsePrefix(String text) {
        String[] parts = text.split("/", 2);
        String[] octets = parts[0].split("\\.", -1);
        if (octets.length != 4) return Optional.empty();
        long a = 0;
        try {
            for (String o : octets) a = (a << 8) | Integer.parseInt(o);
            int len = parts.length == 2 ? Integer.parseInt(parts[1]) : 32;
            return Optional.of(new long[] {a, len});
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean overlaps(long a, int lenA, long b, int lenB) {
        int len = Math.min(lenA, lenB);
        long mask = len == 0 ? 0 : (0xFFFFFFFFL << (32 - len)) & 0xFFFFFFFFL;
        return (a & mask) == (b & mask);
    }

    /** Whether an interface other than this lab's bridge has an address in the lab's /24. */
    private boolean subnetSharedWithOthers() throws IOException {
        long net = (10L << 24) | ((long) SECOND_OCTET << 16) | ((long) third << 8);
        for (String line : ip("-o", "-4", "addr", "show").lines().toList()) {
            List<String> f = List.of(line.trim().split("\\s+"));
            int inet = f.indexOf("inet");
            if (inet < 0 || inet + 1 >= f.size() || f.size() < 2 || f.get(1).equals(bridge())) continue;
            Optional<long[]> p = parsePrefix(f.get(inet + 1));
            if (p.isPresent() && overlaps(net, 24, p.get()[0], (int) p.get()[1])) return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ cleaning up

    /**
     * Kills every process still running in the lab's namespaces, deletes the namespaces, the veths
     * and the bridge. Safe to call again and after a partial {@link #create}; throws when something
     * of the lab is still there afterwards.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: this is the hook
        }
        List<String> namespaces = new ArrayList<>();
        for (int i = 1; i <= members; i++) namespaces.add("pgn" + tag + "-" + i);
        namespaces.add(clientNamespace());
        List<String> left = new ArrayList<>();
        try {
            for (String ns : namespaces) killAll(ns);
            String existing = ip("netns", "list");
            for (String ns : namespaces) {
                if (!listed(existing, ns)) continue;
                ProcessResult r = run(null, COMMAND_TIMEOUT, "ip", "netns", "del", ns);
                if (!r.ok())
                    LOG.warn("could not delete namespace {}: {}", ns, r.output().strip());
            }
            List<String> links = new ArrayList<>();
            for (int i = 1; i <= members; i++) links.add(veth(String.valueOf(i)));
            links.add(veth("c"));
            links.add(bridge());
            for (String link : links) deleteLink(link);
            String after = ip("netns", "list");
            for (String ns : namespaces) if (listed(after, ns)) left.add("namespace " + ns);
            for (String link : links) if (linkExists(link)) left.add("link " + link);
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove lab " + tag, e);
        }
        if (!left.isEmpty()) throw new IllegalStateException("lab " + tag + " left behind: " + left);
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            LOG.warn("closing lab {} failed: {}", tag, e.getMessage());
        }
    }

    private static boolean listed(String netnsList, String ns) {
        return netnsList.lines().anyMatch(l -> l.equals(ns) || l.startsWith(ns + " "));
    }

    private static boolean linkExists(String name) throws IOException {
        return run(null, COMMAND_TIMEOUT, "ip", "link", "show", name).ok();
    }

    private static void deleteLink(String name) throws IOException {
        if (linkExists(name)) {
            ProcessResult r = run(null, COMMAND_TIMEOUT, "ip", "link", "del", name);
            if (!r.ok())
                LOG.warn("could not delete link {}: {}", name, r.output().strip());
        }
    }

    /** SIGKILL of every process in namespace {@code ns}, waiting up to 10 s for them to be gone. */
    private static void killAll(String ns) throws IOException {
        ProcessResult r = run(null, COMMAND_TIMEOUT, "ip", "netns", "pids", ns);
        if (!r.ok()) return; // no such namespace
        List<ProcessHandle> procs = new ArrayList<>();
        for (String line : r.output().lines().toList()) {
            String pid = line.trim();
            if (!pid.matches("\\d+")) continue;
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(procs::add);
        }
        if (procs.isEmpty()) return;
        LOG.warn("killing {} processes still running in namespace {}", procs.size(), ns);
        procs.forEach(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (ProcessHandle p : procs) {
            while (p.isAlive() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public String toString() {
        return "NetLab " + tag + " (" + subnet() + ", " + members + " members)";
    }
}
