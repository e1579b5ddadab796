package io.pgha.core.resource;

import java.util.Locale;

/**
 * One resource on one member, as that member's agent publishes it with its member record.
 *
 * @param state what the agent last saw
 * @param failCount failures on this member not yet expired or cleaned up
 * @param lastResult the last action's outcome, e.g. {@code monitor: running (0) after 3 ms}
 * @param since wall-clock milliseconds of the last state change
 * @param reason why it is where it is: the constraint that placed it, or what it waits for
 * @param promoted a promotable resource runs in its promoted role here
 */
public record ResourceStatus(
        State state, int failCount, String lastResult, long since, String reason, boolean promoted) {
    public static final ResourceStatus STOPPED = new ResourceStatus(State.STOPPED, 0, null, 0, null);

    public ResourceStatus {
        state = state == null ? State.STOPPED : state;
        promoted = promoted && state != State.STOPPED;
    }

    public ResourceStatus(State state, int failCount, String lastResult, long since, String reason) {
        this(state, failCount, lastResult, since, reason, false);
    }

    /** What a member's agent last saw of a resource. */
    public enum State {
        STOPPED,
        STARTING,
        STARTED,
        STOPPING,
        /** A start or monitor failed; it may still hold what it manages. */
        FAILED,
        /** A stop failed: it may still run, and it is not started anywhere else until cleaned up. */
        BLOCKED,
        /** The member is in maintenance: pgha neither starts, stops nor monitors it there. */
        UNMANAGED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the member may hold what the resource manages (an address, a mount). */
        public boolean mayHold() {
            return this != STOPPED;
        }
    }

    public ResourceStatus with(State s, long at) {
        return new ResourceStatus(s, failCount, lastResult, s == state ? since : at, reason, promoted);
    }

    public ResourceStatus withResult(String r) {
        return new ResourceStatus(state, failCount, r, since, reason, promoted);
    }

    public ResourceStatus withReason(String r) {
        return new ResourceStatus(state, failCount, lastResult, since, r, promoted);
    }

    public ResourceStatus withPromoted(boolean p) {
        return new ResourceStatus(state, failCount, lastResult, since, reason, p);
    }

    public ResourceStatus withFailCount(int n) {
        return new ResourceStatus(state, n, lastResult, since, reason, promoted);
    }
}
