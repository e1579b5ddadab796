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

    static String idents(List<String> names) {
        return names.stream().map(Sql::ident).collect(Collectors.joining(", "));
    }
}
