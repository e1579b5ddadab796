package io.pgha.agent.resource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a plain executable as a resource: {@code script ACTION}, with the resource's parameters in
 * the environment as {@code OCF_RESKEY_name} and its name as {@code PGHA_RESOURCE} (and {@code
 * OCF_RESOURCE_INSTANCE}).
 *
 * <p>An OCF-style script is called with {@code start}, {@code stop}, {@code monitor}, {@code
 * validate-all}, {@code promote} and {@code demote}, and its exit codes are OCF codes.
 *
 * <p>An LSB init script ({@code lsb}) is called with {@code start}, {@code stop} and {@code status}
 * (for monitor), and its exit codes are read as the LSB defines them:
 *
 * <ul>
 *   <li>start, stop: 0 success, 1 to 7 the same meaning as OCF's codes, anything else a generic
 *       error. Stopping a stopped service is a success by the LSB; a stop that answers 7 ("not
 *       running") is read as one too.
 *   <li>status: 0 running, 3 not running; 1 (dead, pid file left) and 2 (dead, lock file left) are
 *       a crashed service, a generic error, as is 4 (unknown) and anything else.
 *   <li>validate-all runs nothing (LSB scripts have no such action): the script must be executable.
 *       promote and demote are not implemented.
 * </ul>
 *
 * <p>Scripts run as root (the agent's user), or as {@code runAs} through {@code setpriv} when given.
 */
public final class ScriptDriver implements ResourceDriver {
    private static final Logger LOG = LoggerFactory.getLogger(ScriptDriver.class);

    private final String name;
    private final Path script;
    private final Map<String, String> env;
    private final boolean lsb;
    private final String runAs;

    /** An OCF-style script run as the agent's user. */
    public ScriptDriver(String name, Path script, Map<String, String> params) {
        this(name, script, params, false, null);
    }

    /**
     * @param lsb the script is an LSB init script (start, stop, status)
     * @param runAs OS user to run the script as, or null for the agent's own user (root)
     * @throws IllegalArgumentException naming a bad resource name, parameter name or user
     */
    public ScriptDriver(String name, Path script, Map<String, String> params, boolean lsb, String runAs) {
        this.name = ResourceEnv.checkInstance(name);
        this.script = script;
        this.lsb = lsb;
        this.runAs = ResourceEnv.checkOsUser(runAs);
        Map<String, String> e = new HashMap<>(ResourceEnv.reskeys(params));
        e.put("PGHA_RESOURCE", name);
        e.put("OCF_RESOURCE_INSTANCE", name);
        this.env = Map.copyOf(e);
    }

    @Override
    public ActionResult start(long timeoutMs) {
        ActionResult r = call("start", timeoutMs);
        return lsb ? ActionLog.log(LOG, describe(), lsbAction(r, false)) : ActionLog.log(LOG, describe(), r);
    }

    @Override
    public ActionResult stop(long timeoutMs) {
        ActionResult r = call("stop", timeoutMs);
        return lsb ? ActionLog.log(LOG, describe(), lsbAction(r, true)) : ActionLog.log(LOG, describe(), r);
    }

    @Override
    public ActionResult monitor(long timeoutMs) {
        if (!lsb) return ActionLog.log(LOG, describe(), call("monitor", timeoutMs));
        ActionResult r = call("status", timeoutMs);
        return ActionLog.log(LOG, describe(), lsbStatus(r));
    }

    @Override
    public ActionResult validate(long timeoutMs) {
        if (!lsb) return ActionLog.log(LOG, describe(), call("validate-all", timeoutMs));
        ActionResult missing = missing("validate-all");
        return ActionLog.log(
                LOG, describe(), missing != null ? missing : ActionResult.of("validate-all", OcfStatus.SUCCESS, ""));
    }

    @Override
    public ActionResult promote(long timeoutMs) {
        return lsb ? ActionResult.unimplemented("promote") : ActionLog.log(LOG, describe(), call("promote", timeoutMs));
    }

    @Override
    public ActionResult demote(long timeoutMs) {
        return lsb ? ActionResult.unimplemented("demote") : ActionLog.log(LOG, describe(), call("demote", timeoutMs));
    }

    @Override
    public String describe() {
        return name + " (" + (lsb ? "lsb:" : "script:") + script + ")";
    }

    private ActionResult call(String action, long timeoutMs) {
        ActionResult missing = missing(action);
        if (missing != null) return missing;
        Map<String, String> vars = new HashMap<>(env);
        vars.put("OCF_RESKEY_CRM_meta_timeout", Long.toString(timeoutMs));
        Child.Outcome o = new Child(Child.asUser(runAs, List.of(script.toString(), action)))
                .env(vars)
                .run(timeoutMs);
        return OcfDriver.result(action, o);
    }

    private ActionResult missing(String action) {
        if (Files.isRegularFile(script) && Files.isExecutable(script)) return null;
        return ActionResult.of(action, OcfStatus.ERR_INSTALLED, "no executable " + script);
    }

    /** An LSB start or stop exit code as an OCF status; {@code stop} also reads 7 (not running) as done. */
    static ActionResult lsbAction(ActionResult r, boolean stop) {
        if (r.status() == OcfStatus.TIMEOUT || r.exitCode() < 0) return r;
        int code = r.exitCode();
        OcfStatus s;
        if (code == 0 || (stop && code == 7)) s = OcfStatus.SUCCESS;
        else if (code >= 1 && code <= 7) s = OcfStatus.of(code);
        else s = OcfStatus.ERR_GENERIC;
        return new ActionResult(r.action(), s, code, r.output(), r.millis());
    }

    /** An LSB status exit code as a monitor's OCF status; the action is reported as {@code monitor}. */
    static ActionResult lsbStatus(ActionResult r) {
        if (r.status() == OcfStatus.TIMEOUT || r.exitCode() < 0) {
            return new ActionResult("monitor", r.status(), r.exitCode(), r.output(), r.millis());
        }
        OcfStatus s = switch (r.exitCode()) {
            case 0 -> OcfStatus.SUCCESS;
            case 3 -> OcfStatus.NOT_RUNNING;
            default -> OcfStatus.ERR_GENERIC; // 1, 2: dead with a pid or lock file left; 4: unknown
        };
        String output = r.exitCode() == 1 || r.exitCode() == 2
                ? r.output() + "\nstatus " + r.exitCode() + ": the service died and left its "
                        + (r.exitCode() == 1 ? "pid" : "lock") + " file"
                : r.output();
        return new ActionResult("monitor", s, r.exitCode(), output, r.millis());
    }
}
