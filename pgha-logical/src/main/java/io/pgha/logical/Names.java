package io.pgha.logical;

/**
 * The names of what pgha creates for a set. They start with {@code pghaset_}, which is not the
 * {@code pgha_} prefix of member slots, so the agents never take a set's slot for a member's.
 */
public final class Names {
    public static final String PREFIX = "pghaset_";
    /** The statement trigger that refuses ordinary writes to a set's tables on its subscribers. */
    public static final String DENY_TRIGGER = "pghaset_deny";

    private Names() {}

    /** The publication of {@code set}, on every node of the set. */
    public static String publication(String set) {
        return PREFIX + set;
    }

    /**
     * The comment on a subscription to {@code set} that names its {@code provider}: how pgha (and
     * a move, a failover or the planner after them) knows where a subscription reads from.
     */
    public static String providerComment(String set, String provider) {
        return "pgha set " + set + " provider " + provider;
    }

    /** The subscription of {@code node} to {@code set}, and its slot on the provider. */
    public static String subscription(String set, String node) {
        return PREFIX + set + "_" + node;
    }
}
