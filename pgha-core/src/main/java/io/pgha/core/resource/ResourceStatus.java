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
 */
public record ResourceStatus(State state, int failCount, String lastResult, long since, String reason) {
    public static final ResourceStatus STOPPED = new ResourceStatus(State.STOPPED, 0, null, 0, null);

    public ResourceStatus {
        state = state == null ? State.STOPPED : state;
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
        return new ResourceStatus(s, failCount, lastResult, s == state ? since : at, reason);
    }

    public ResourceStatus withResult(String r) {
        return new ResourceStatus(state, failCount, r, since, reason);
    }

    public ResourceStatus withReason(String r) {
        return new ResourceStatus(state, failCount, lastResult, since, r);
    }

    public ResourceStatus withFailCount(int n) {
        return new ResourceStatus(state, n, lastResult, since, reason);
    }
}
