package io.pgha.agent.resource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an OCF resource agent ({@code ocf:PROVIDER:TYPE}, the program {@code
 * $OCF_ROOT/resource.d/PROVIDER/TYPE}) the way Pacemaker does: the action as the only argument,
 * everything else in the environment.
 *
 * <p>The environment is the clean one of {@link io.pgha.postgres.OsCommand#cleanEnvironment()}
 * plus {@code OCF_ROOT}, {@code OCF_RA_VERSION_MAJOR=1}, {@code OCF_RA_VERSION_MINOR=1}, {@code
 * OCF_RESOURCE_INSTANCE}, {@code OCF_RESOURCE_TYPE}, {@code OCF_RESOURCE_PROVIDER}, one {@code
 * OCF_RESKEY_name} per parameter, {@code OCF_RESKEY_CRM_meta_timeout} (ms) and, for a recurring
 * monitor, {@code OCF_RESKEY_CRM_meta_interval} (ms; without it, ocf-shellfuncs' {@code
 * ocf_is_probe} calls the monitor a probe). {@code HA_RSCTMP} (created when missing) is where the
 * heartbeat agents keep their state; the other {@code HA_*} directories take ocf-directories'
 * defaults. Agents log to standard error (no {@code HA_LOGFACILITY}), which is captured with the
 * output.
 *
 * <p>Agents run as the agent's own user, root in production: they manage addresses and mounts.
 * Parameter values (passwords among them) are never logged; the output, which may repeat them,
 * only at DEBUG.
 */
public final class OcfDriver implements ResourceDriver {
    private static final Logger LOG = LoggerFactory.getLogger(OcfDriver.class);

    public static final Path DEFAULT_OCF_ROOT = Path.of("/usr/lib/ocf");
    public static final Path DEFAULT_RSC_TMP = Path.of("/run/resource-agents");
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]*");
    private static final Pattern ACTION = Pattern.compile("[a-z][a-z0-9_-]*");
    private static final long METADATA_TIMEOUT_MS = 30_000;

    private final String instance;
    private final Agent agent;
    private final Map<String, String> reskeys;
    private final Path ocfRoot;
    private final Path rscTmp;
    private final List<String> commandPrefix;
    private volatile OcfMetadata metadata;

    /** An agent under {@link #DEFAULT_OCF_ROOT} keeping its state in {@link #DEFAULT_RSC_TMP}. */
    public OcfDriver(String instance, String agent, Map<String, String> params) {
        this(instance, agent, params, DEFAULT_OCF_ROOT, DEFAULT_RSC_TMP);
    }

    /**
     * @param instance the resource's name ({@code OCF_RESOURCE_INSTANCE})
     * @param agent {@code ocf:PROVIDER:TYPE}
     * @param params parameter names must match {@code [A-Za-z_][A-Za-z0-9_]*}
     * @throws IllegalArgumentException naming the bad name, agent or parameter
     */
    public OcfDriver(String instance, String agent, Map<String, String> params, Path ocfRoot, Path rscTmp) {
        this(instance, agent, params, ocfRoot, rscTmp, List.of());
    }

    /** With {@code commandPrefix} put before the agent's program: tests run it in a network namespace. */
    OcfDriver(
            String instance,
            String agent,
            Map<String, String> params,
            Path ocfRoot,
            Path rscTmp,
            List<String> commandPrefix) {
        this.instance = ResourceEnv.checkInstance(instance);
        this.agent = Agent.parse(agent);
        this.reskeys = ResourceEnv.reskeys(params);
        this.ocfRoot = ocfRoot;
        this.rscTmp = rscTmp;
        this.commandPrefix = List.copyOf(commandPrefix);
    }

    /** Gives the driver the agent's meta-data, read once by the caller, so that {@link #promotable()} need not run it. */
    public OcfDriver withMetadata(OcfMetadata metadata) {
        this.metadata = metadata;
        return this;
    }

    /** {@code ocf:PROVIDER:TYPE} split and checked: provider and type are plain file names. */
    record Agent(String provider, String type) {
        static Agent parse(String spec) {
            String[] p = spec == null ? new String[0] : spec.split(":", -1);
            if (p.length != 3
                    || !p[0].equals("ocf")
                    || !PART.matcher(p[1]).matches()
                    || !PART.matcher(p[2]).matches()) {
                throw new IllegalArgumentException(
                        "agent '" + spec + "' is not of the form ocf:PROVIDER:TYPE (such as ocf:heartbeat:IPaddr2)");
            }
            return new Agent(p[1], p[2]);
        }

        Path executable(Path ocfRoot) {
            return ocfRoot.resolve("resource.d").resolve(provider).resolve(type);
        }

        @Override
        public String toString() {
            return "ocf:" + provider + ":" + type;
        }
    }

    @Override
    public ActionResult start(long timeoutMs) {
        return action("start", timeoutMs);
    }

    @Override
    public ActionResult stop(long timeoutMs) {
        return action("stop", timeoutMs);
    }

    /** A probe: a one-off monitor (no interval), as Pacemaker runs before it starts a resource. */
    @Override
    public ActionResult monitor(long timeoutMs) {
        return run("monitor", timeoutMs, 0);
    }

    /** A recurring monitor, run every {@code intervalMs} ({@code OCF_RESKEY_CRM_meta_interval}). */
    public ActionResult monitor(long timeoutMs, long intervalMs) {
        return run("monitor", timeoutMs, intervalMs);
    }

    @Override
    public ActionResult validate(long timeoutMs) {
        return action("validate-all", timeoutMs);
    }

    @Override
    public ActionResult promote(long timeoutMs) {
        return action("promote", timeoutMs);
    }

    @Override
    public ActionResult demote(long timeoutMs) {
        return action("demote", timeoutMs);
    }

    /** Any action the agent implements, such as {@code reload} or {@code notify}. */
    public ActionResult action(String action, long timeoutMs) {
        return run(action, timeoutMs, 0);
    }

    @Override
    public String describe() {
        return instance + " (" + agent + ")";
    }

    /** The agent's program. */
    public Path executable() {
        return agent.executable(ocfRoot);
    }

    /**
     * The agent implements promote and demote (from its meta-data, read once; false when that
     * cannot be read, which is logged).
     */
    public boolean promotable() {
        try {
            return metadata().promotable();
        } catch (ResourceException e) {
            LOG.warn("resource {}: cannot tell whether it is promotable: {}", describe(), e.getMessage());
            return false;
        }
    }

    /** The agent's meta-data, read once and kept. */
    public OcfMetadata metadata() throws ResourceException {
        OcfMetadata m = metadata;
        if (m == null) {
            m = metaData(ocfRoot, agent.toString(), METADATA_TIMEOUT_MS);
            metadata = m;
        }
        return m;
    }

    private ActionResult run(String action, long timeoutMs, long intervalMs) {
        if (!ACTION.matcher(action).matches()) {
            throw new IllegalArgumentException("'" + action + "' is not an OCF action name");
        }
        Path exe = executable();
        if (!Files.isRegularFile(exe) || !Files.isExecutable(exe)) {
            ActionResult r =
                    ActionResult.of(action, OcfStatus.ERR_INSTALLED, agent + " is not installed: no executable " + exe);
            LOG.warn("resource {} {}: {}", describe(), action, r.output());
            return r;
        }
        ensureRscTmp();
        Map<String, String> env = new HashMap<>(baseEnv(ocfRoot, agent, instance));
        env.put("HA_RSCTMP", rscTmp.toString());
        env.putAll(reskeys);
        env.put("OCF_RESKEY_CRM_meta_timeout", Long.toString(timeoutMs));
        if (intervalMs > 0) env.put("OCF_RESKEY_CRM_meta_interval", Long.toString(intervalMs));
        List<String> command = new ArrayList<>(commandPrefix);
        command.addAll(List.of(exe.toString(), action));
        Child.Outcome o = new Child(command).env(env).directory(Path.of("/")).run(timeoutMs);
        return ActionLog.log(LOG, describe(), result(action, o));
    }

    static ActionResult result(String action, Child.Outcome o) {
        OcfStatus status = switch (o.ending()) {
            case EXITED -> OcfStatus.of(o.exitCode());
            case TIMED_OUT -> OcfStatus.TIMEOUT;
            case NOT_STARTED -> OcfStatus.ERR_INSTALLED;
            case INTERRUPTED -> OcfStatus.ERR_GENERIC;
        };
        String output = switch (o.ending()) {
            case INTERRUPTED -> o.output() + "\ninterrupted: the action was killed";
            default -> o.output();
        };
        return new ActionResult(action, status, o.exitCode(), output, o.millis());
    }

    private void ensureRscTmp() {
        try {
            Files.createDirectories(rscTmp);
        } catch (IOException e) {
            LOG.warn("resource {}: cannot create HA_RSCTMP {}: {}", describe(), rscTmp, e.toString());
        }
    }

    private static Map<String, String> baseEnv(Path ocfRoot, Agent agent, String instance) {
        return Map.of(
                "OCF_ROOT",
                ocfRoot.toString(),
                "OCF_RA_VERSION_MAJOR",
                "1",
                "OCF_RA_VERSION_MINOR",
                "1",
                "OCF_RESOURCE_INSTANCE",
                instance,
                "OCF_RESOURCE_TYPE",
                agent.type(),
                "OCF_RESOURCE_PROVIDER",
                agent.provider());
    }

    /**
     * Runs {@code agent}'s {@code meta-data} action and parses what it prints.
     *
     * @throws ResourceException when the agent is not installed, fails, times out or prints no
     *     meta-data XML; the message names the agent and says which
     */
    public static OcfMetadata metaData(Path ocfRoot, String agent, long timeoutMs) throws ResourceException {
        Agent a = Agent.parse(agent);
        Path exe = a.executable(ocfRoot);
        if (!Files.isRegularFile(exe) || !Files.isExecutable(exe)) {
            throw new ResourceException(agent + " is not installed: no executable " + exe);
        }
        Map<String, String> env = new HashMap<>(baseEnv(ocfRoot, a, "meta-data"));
        env.put("OCF_RESKEY_CRM_meta_timeout", Long.toString(timeoutMs));
        Child.Outcome o = new Child(List.of(exe.toString(), "meta-data"))
                .env(env)
                .directory(Path.of("/"))
                .separateStderr()
                .outputLimit(1 << 20)
                .run(timeoutMs);
        switch (o.ending()) {
            case TIMED_OUT -> throw new ResourceException(agent + " meta-data: no answer within " + timeoutMs + " ms");
            case NOT_STARTED, INTERRUPTED -> throw new ResourceException(agent + " meta-data: " + o.output());
            case EXITED -> {}
        }
        if (o.exitCode() != 0) {
            throw new ResourceException(agent + " meta-data failed (exit " + o.exitCode() + "): "
                    + ActionResult.lastLine(o.errorOutput() + "\n" + o.output()));
        }
        if (o.truncated()) throw new ResourceException(agent + " meta-data: more than 1 MiB of output");
        try {
            return OcfMetadata.parse(o.output());
        } catch (ResourceException e) {
            throw new ResourceException(agent + " " + e.getMessage(), e);
        }
    }

    /** Every agent under {@code ocfRoot}: the executables {@code resource.d/*}{@code /*}, as {@code ocf:provider:type}, sorted. */
    public static List<String> installedAgents(Path ocfRoot) {
        List<String> out = new ArrayList<>();
        Path base = ocfRoot.resolve("resource.d");
        List<Path> providers;
        try (Stream<Path> dirs = Files.list(base)) {
            providers = dirs.filter(d -> !hidden(d) && Files.isDirectory(d)).toList();
        } catch (IOException e) {
            LOG.debug("no OCF agents under {}: {}", base, e.toString());
            return out;
        }
        for (Path provider : providers) {
            try (Stream<Path> types = Files.list(provider)) {
                types.filter(t -> !hidden(t) && Files.isRegularFile(t) && Files.isExecutable(t))
                        .forEach(t -> out.add("ocf:" + provider.getFileName() + ":" + t.getFileName()));
            } catch (IOException e) {
                LOG.debug("cannot list OCF provider {}: {}", provider, e.toString());
            }
        }
        out.sort(null);
        return out;
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }
}
