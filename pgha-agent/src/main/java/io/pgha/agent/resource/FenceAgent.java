package io.pgha.agent.resource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a fence agent ({@code fence_ipmilan}, {@code fence_virsh}, ...) with the fence-agents
 * standard-input contract: no arguments at all (fence-agents read standard input only when they get
 * none), one {@code name=value} line per option, then {@code action=ACTION} and, when a target is
 * given, {@code port=TARGET} (the host argument; fence-agents read {@code plug=} as the same
 * option, and {@code port=} is what every version understands and what Pacemaker sends by default).
 *
 * <p>Exit code 0 is success. For {@code status}, 0 means the target is on and 2 that it is off
 * (both a successful answer); any other code is a failure (fence-agents use 1 for a generic error,
 * 3 login denied, 4 connection lost, 5 timeout, 6 and 7 a failed power on or off, 8 an unreadable
 * status).
 *
 * <p>Option values (passwords) are never logged and never on a command line, where any user could
 * read them; the agent's output only at DEBUG. The agent runs as the agent's user (root) with a
 * clean environment. Thread-safe.
 */
public final class FenceAgent {
    private static final Logger LOG = LoggerFactory.getLogger(FenceAgent.class);

    /** The option that names the target, as Pacemaker's {@code pcmk_host_argument} defaults to. */
    public static final String DEFAULT_HOST_ARGUMENT = "port";

    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");
    private static final Pattern ACTION = Pattern.compile("[a-z][a-z-]*");

    private final String hostArgument;

    public FenceAgent() {
        this(DEFAULT_HOST_ARGUMENT);
    }

    /** @param hostArgument the option that carries the target, such as {@code port}, {@code plug} or {@code nodename} */
    public FenceAgent(String hostArgument) {
        if (hostArgument == null || !KEY.matcher(hostArgument).matches()) {
            throw new IllegalArgumentException("host argument '" + hostArgument + "' is not an option name");
        }
        this.hostArgument = hostArgument;
    }

    /**
     * What a fence action did: {@code exitCode} is -1 when the agent timed out or did not start.
     * The output may hold what the device said; show it to an operator, don't log it at INFO.
     */
    public record FenceResult(boolean ok, int exitCode, String output, long millis, boolean timedOut) {
        public String describe() {
            String how =
                    timedOut ? "timed out" : ok ? "ok" : exitCode < 0 ? "failed" : "failed (exit " + exitCode + ")";
            String last = ActionResult.lastLine(output);
            return how + " after " + millis + " ms" + (last.isEmpty() ? "" : ": " + last);
        }
    }

    /** A target's power as {@code status} reports it. */
    public enum Power {
        ON,
        OFF,
        /** The agent failed or timed out: nothing is known. */
        UNKNOWN
    }

    /**
     * Runs {@code agent} with {@code options} and {@code action} ({@code off}, {@code on}, {@code
     * reboot}, {@code status}, {@code monitor}, ...) against {@code plug} (may be null for
     * device-wide actions such as {@code monitor}).
     *
     * @throws IllegalArgumentException when an option name is not {@code [A-Za-z_][A-Za-z0-9_-]*},
     *     a value holds a line break (it would smuggle in another option), or options already name
     *     the action or the target
     */
    public FenceResult run(Path agent, Map<String, String> options, String action, String plug, long timeoutMs) {
        String input = stdin(options, action, plug);
        String device = agent.getFileName().toString();
        Child.Outcome o = new Child(List.of(agent.toString())).stdin(input).run(timeoutMs);
        boolean ok = o.exited() && (o.exitCode() == 0 || (action.equals("status") && o.exitCode() == 2));
        FenceResult r = new FenceResult(ok, o.exitCode(), o.output(), o.millis(), o.ending() == Child.Ending.TIMED_OUT);
        String target = plug == null ? "" : " " + plug;
        if (ok) {
            String power = !action.equals("status") ? "" : o.exitCode() == 0 ? " (on)" : " (off)";
            LOG.info("fence {} {}{}: ok{} after {} ms", device, action, target, power, r.millis());
        } else {
            String how = switch (o.ending()) {
                case EXITED -> "failed (exit " + o.exitCode() + ")";
                case TIMED_OUT -> "timed out, killed";
                case NOT_STARTED -> "not started (" + o.output() + ")";
                case INTERRUPTED -> "interrupted, killed";
            };
            LOG.warn("fence {} {}{}: {} after {} ms", device, action, target, how, r.millis());
        }
        if (LOG.isDebugEnabled() && !o.output().isBlank()) {
            LOG.debug(
                    "fence {} {}{} output:\n{}",
                    device,
                    action,
                    target,
                    o.output().strip());
        }
        return r;
    }

    /** The target's power by the agent's {@code status}. */
    public Power status(Path agent, Map<String, String> options, String plug, long timeoutMs) {
        FenceResult r = run(agent, options, "status", plug, timeoutMs);
        if (!r.ok()) return Power.UNKNOWN;
        return r.exitCode() == 0 ? Power.ON : Power.OFF;
    }

    /** The standard input for one call: the options, then the action and the target. */
    String stdin(Map<String, String> options, String action, String plug) {
        if (action == null || !ACTION.matcher(action).matches()) {
            throw new IllegalArgumentException("fence action '" + action + "' is not an action name such as off");
        }
        StringBuilder in = new StringBuilder();
        options.forEach((key, value) -> {
            if (key == null || !KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("fence option name '" + key + "' is not valid");
            }
            if (key.equals("action")) {
                throw new IllegalArgumentException(
                        "fence option 'action': the action is given per call, not as an option");
            }
            if (plug != null && (key.equals(hostArgument) || key.equals("port") || key.equals("plug"))) {
                throw new IllegalArgumentException(
                        "fence option '" + key + "': the target is given per call (" + plug + "), not as an option");
            }
            if (value == null || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(
                        "fence option '" + key + "': the value is missing or holds a line break or NUL");
            }
            in.append(key).append('=').append(value).append('\n');
        });
        in.append("action=").append(action).append('\n');
        if (plug != null) {
            if (plug.isBlank() || plug.indexOf('\n') >= 0 || plug.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("fence target '" + plug + "' is blank or holds a line break");
            }
            in.append(hostArgument).append('=').append(plug).append('\n');
        }
        return in.toString();
    }
}
