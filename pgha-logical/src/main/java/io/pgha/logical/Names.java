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

    /** The subscription of {@code node} to {@code set}, and its slot on the provider. */
    public static String subscription(String set, String node) {
        return PREFIX + set + "_" + node;
    }
}
