package io.pgha.logical;

import java.util.List;
import java.util.stream.Collectors;

/** Quoting for the SQL pgha writes: identifiers always quoted, literals with doubled quotes. */
final class Sql {
    private Sql() {}

    static String ident(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** {@code schema.table} (as written in a set) as a quoted, qualified name. */
    static String table(String qualified) {
        int dot = qualified.indexOf('.');
        return ident(qualified.substring(0, dot)) + "." + ident(qualified.substring(dot + 1));
    }

    static String literal(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /**
     * For a transaction that takes table locks while writes queue behind it: wait at most 10 s, and
     * (as a superuser, who alone may set it) check after 20 ms instead of deadlock_timeout's 1 s
     * whether the holder is an autovacuum worker, which PostgreSQL then cancels. Without it, a lock
     * taken while autovacuum works on a busy table stalls every writer for a whole second.
     */
    static final List<String> BRIEF_LOCK_WAIT = List.of(
            "SET LOCAL lock_timeout = '10s'",
            "SELECT set_config('deadlock_timeout', '20ms', true) WHERE (SELECT rolsuper FROM pg_roles"
                    + " WHERE rolname = current_user)");

    static String idents(List<String> names) {
        return names.stream().map(Sql::ident).collect(Collectors.joining(", "));
    }
}
