package io.pgha.agent.resource;

/**
 * Runs the actions of one configured resource on this node. Every action returns what happened and
 * never throws for the resource's own failures; a timeout ends the action (and everything it
 * started) and returns {@link OcfStatus#TIMEOUT}. Deciding what a result means (restart, move,
 * give up) is the caller's.
 *
 * <p>Implementations may be called from any thread but a resource's actions must not overlap: the
 * caller runs one action of a resource at a time, as a resource agent expects.
 */
public interface ResourceDriver {
    ActionResult start(long timeoutMs);

    /** Stops the resource; stopping a stopped resource succeeds. */
    ActionResult stop(long timeoutMs);

    /** {@link OcfStatus#SUCCESS} (or {@link OcfStatus#RUNNING_PROMOTED}) when running, {@link OcfStatus#NOT_RUNNING} when cleanly stopped. */
    ActionResult monitor(long timeoutMs);

    /** The agent's {@code validate-all}: checks the configuration without changing anything. */
    ActionResult validate(long timeoutMs);

    default ActionResult promote(long timeoutMs) {
        return ActionResult.unimplemented("promote");
    }

    default ActionResult demote(long timeoutMs) {
        return ActionResult.unimplemented("demote");
    }

    /** What this resource is, for logs and messages, such as {@code vip (ocf:heartbeat:IPaddr2)}; no parameter values. */
    String describe();
}
