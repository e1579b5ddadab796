package io.pgha.agent.resource;

/**
 * The outcome of a resource action: the exit codes of the OCF resource-agent API (1.1), plus
 * {@link #TIMEOUT} for an action that did not finish in time and {@link #UNKNOWN} for any other
 * exit code.
 *
 * <p>{@link #severity()} reads a failing status as Pacemaker does when choosing the recovery:
 *
 * <ul>
 *   <li>{@link Severity#SOFT}: a transient error; restart the resource in place, or move it.
 *       {@link #ERR_GENERIC}, {@link #FAILED_PROMOTED}, {@link #TIMEOUT} and unknown codes.
 *   <li>{@link Severity#HARD}: an error of this node; move the resource elsewhere and do not retry
 *       it here. {@link #ERR_ARGS}, {@link #ERR_UNIMPLEMENTED}, {@link #ERR_PERM}, {@link
 *       #ERR_INSTALLED}. (Pacemaker lists an unimplemented action as hard; only for a recurring
 *       monitor does it merely mark the operation "not supported".)
 *   <li>{@link Severity#FATAL}: an error every node would have, a bad configuration; stop the
 *       resource and start it nowhere. {@link #ERR_CONFIGURED}.
 *   <li>{@link Severity#NONE}: not an error but a state ({@link #SUCCESS}, {@link #NOT_RUNNING},
 *       {@link #RUNNING_PROMOTED}, the degraded ones). Pacemaker treats a state that differs from
 *       the expected one (a monitor finding a started resource {@link #NOT_RUNNING}) as a soft
 *       failure: whether it was expected is the caller's to judge.
 * </ul>
 */
public enum OcfStatus {
    SUCCESS(0, "success"),
    ERR_GENERIC(1, "generic error"),
    ERR_ARGS(2, "invalid arguments"),
    ERR_UNIMPLEMENTED(3, "not implemented"),
    ERR_PERM(4, "insufficient privileges"),
    ERR_INSTALLED(5, "not installed"),
    ERR_CONFIGURED(6, "not configured"),
    NOT_RUNNING(7, "not running"),
    RUNNING_PROMOTED(8, "running promoted"),
    FAILED_PROMOTED(9, "failed promoted"),
    /** Running, but in a state where a failure is more likely (OCF 1.1); Pacemaker counts it as running. */
    DEGRADED(190, "degraded"),
    DEGRADED_PROMOTED(191, "degraded promoted"),
    /** The action did not finish within its timeout and was killed; it has no exit code. */
    TIMEOUT(-1, "timed out"),
    /** An exit code the OCF API does not define. */
    UNKNOWN(-2, "unknown exit code");

    /** How bad a failing status is, that is, where the resource may still run. */
    public enum Severity {
        /** Not a failure in itself. */
        NONE,
        /** Transient: a restart in place may help. */
        SOFT,
        /** This node can never run the resource as configured. */
        HARD,
        /** No node can run the resource as configured. */
        FATAL
    }

    private final int code;
    private final String label;

    OcfStatus(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** The status of an agent's exit code: {@link #UNKNOWN} for a code the API does not define. */
    public static OcfStatus of(int code) {
        for (OcfStatus s : values()) {
            if (s.code == code && s.code >= 0) return s;
        }
        return UNKNOWN;
    }

    /** The OCF exit code; -1 for {@link #TIMEOUT}, -2 for {@link #UNKNOWN} (the real code is in the result). */
    public int code() {
        return code;
    }

    /** A short lower-case name for messages, such as "not running". */
    public String label() {
        return label;
    }

    /** The resource is running (promoted or not, degraded or not). */
    public boolean running() {
        return this == SUCCESS || this == RUNNING_PROMOTED || this == DEGRADED || this == DEGRADED_PROMOTED;
    }

    /** The resource runs in the promoted role. */
    public boolean promoted() {
        return this == RUNNING_PROMOTED || this == DEGRADED_PROMOTED || this == FAILED_PROMOTED;
    }

    /** An error, not a state: {@link #severity()} is not {@link Severity#NONE}. */
    public boolean failed() {
        return severity() != Severity.NONE;
    }

    public Severity severity() {
        return switch (this) {
            case SUCCESS, NOT_RUNNING, RUNNING_PROMOTED, DEGRADED, DEGRADED_PROMOTED -> Severity.NONE;
            case ERR_GENERIC, FAILED_PROMOTED, TIMEOUT, UNKNOWN -> Severity.SOFT;
            case ERR_ARGS, ERR_UNIMPLEMENTED, ERR_PERM, ERR_INSTALLED -> Severity.HARD;
            case ERR_CONFIGURED -> Severity.FATAL;
        };
    }
}
