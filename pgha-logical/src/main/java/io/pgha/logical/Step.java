package io.pgha.logical;

import java.util.List;

/**
 * One change to one server, as {@link SetPlanner} plans it and {@code pgha sets apply} shows it.
 *
 * @param node the node it runs on
 * @param database the database it runs in
 * @param summary what it does, for people
 * @param sql the statements, run one by one outside a transaction block (empty for the kinds that
 *     are not plain SQL)
 * @param object the slot or subscription the step is about (for the kinds that need one)
 */
public record Step(
        Kind kind, String set, String node, String database, String summary, List<String> sql, String object) {
    public Step {
        sql = sql == null ? List.of() : List.copyOf(sql);
    }

    /** What kind of change. */
    public enum Kind {
        /** Plain statements. */
        SQL,
        /** Create a logical slot (pgoutput) on a provider; on a pgha cluster, also keep it as a permanent slot. */
        CREATE_SLOT,
        /** Wait until a provider's own subscription has copied every table (before cascading from it). */
        AWAIT_COPY,
        /** Drop a subscription; when its provider cannot be reached, detach it from its slot first. */
        DROP_SUBSCRIPTION,
        /** Drop a slot once no one streams from it; on a pgha cluster, also stop keeping it. */
        DROP_SLOT
    }

    static Step sql(String set, String node, String database, String summary, String... statements) {
        return new Step(Kind.SQL, set, node, database, summary, List.of(statements), null);
    }

    @Override
    public String toString() {
        return node + "/" + database + ": " + summary;
    }
}
