package io.pgha.agent.resource;

/**
 * What one resource action did: the action's name as passed to the agent (such as {@code monitor}
 * or {@code validate-all}), its status, the raw exit code (-1 when there was none: timeout, not
 * started), the end of its output and how long it took.
 *
 * <p>The output is what the agent printed and may repeat its parameters, passwords included: show
 * it to an operator who asked, never log it at INFO.
 */
public record ActionResult(String action, OcfStatus status, int exitCode, String output, long millis) {
    public ActionResult {
        output = output == null ? "" : output;
    }

    /** A result made without running anything, such as an action a driver does not implement. */
    public static ActionResult of(String action, OcfStatus status, String message) {
        return new ActionResult(action, status, status.code() >= 0 ? status.code() : -1, message, 0);
    }

    /** The action is not implemented by this driver ({@link OcfStatus#ERR_UNIMPLEMENTED}), nothing was run. */
    public static ActionResult unimplemented(String action) {
        return of(action, OcfStatus.ERR_UNIMPLEMENTED, action + " is not implemented by this resource");
    }

    /** The action succeeded: {@link OcfStatus#SUCCESS}. (A monitor finding it promoted is {@link OcfStatus#running()}.) */
    public boolean ok() {
        return status == OcfStatus.SUCCESS;
    }

    /** The output's last non-blank line, or "". */
    public String lastLine() {
        return lastLine(output);
    }

    static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    /** One line for an operator, such as {@code monitor: not running (7) after 12 ms: <last output line>}. */
    public String describe() {
        StringBuilder s = new StringBuilder(action).append(": ").append(status.label());
        if (exitCode >= 0) s.append(" (").append(exitCode).append(')');
        s.append(" after ").append(millis).append(" ms");
        String last = lastLine();
        if (!last.isEmpty()) s.append(": ").append(last);
        return s.toString();
    }
}
