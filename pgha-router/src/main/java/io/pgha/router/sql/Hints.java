package io.pgha.router.sql;

import io.pgha.router.sql.Classification.Target;
import java.util.Locale;

/**
 * Routing hints in the comments that open a query text: {@code /* pgha:primary *&#47;}, {@code /*
 * pgha:standby *&#47;}, {@code -- pgha:primary}, and pgpool's {@code /*NO LOAD BALANCE*&#47;} (read
 * as primary). Only comments before the first token count; the last hint wins.
 */
final class Hints {
    private Hints() {}

    /** The hinted target, or null when the text opens with no hint. */
    static Target of(String sql) {
        Target hint = null;
        int i = 0;
        int n = sql.length();
        while (true) {
            while (i < n && Character.isWhitespace(sql.charAt(i))) i++;
            String body;
            if (sql.startsWith("/*", i)) {
                int end = sql.indexOf("*/", i + 2);
                if (end < 0) return hint;
                body = sql.substring(i + 2, end);
                i = end + 2;
            } else if (sql.startsWith("--", i)) {
                int end = sql.indexOf('\n', i);
                body = sql.substring(i + 2, end < 0 ? n : end);
                i = end < 0 ? n : end + 1;
            } else {
                return hint;
            }
            Target t = target(body.trim().toLowerCase(Locale.ROOT));
            if (t != null) hint = t;
        }
    }

    private static Target target(String comment) {
        return switch (comment) {
            case "pgha:primary", "no load balance" -> Target.PRIMARY;
            case "pgha:standby" -> Target.STANDBY;
            default -> null;
        };
    }
}
