package io.pgha.router.sql;

/**
 * A query text with its plain constants replaced by {@code $0}: {@code SELECT * FROM t WHERE a =
 * 42 AND b = 'x'} becomes {@code SELECT * FROM t WHERE a = $0 AND b = $0}. The classifier caches by
 * this shape, so texts that differ only in their constants (pgbench -S, any client that does not
 * use parameters) are parsed once.
 *
 * <p>A constant is a leaf of the parse tree: it cannot change the kind of a statement, the name of a
 * function, a locking clause or an option given by keywords, so a shape that parses classifies as
 * its text does. Where a constant is required by the grammar ({@code interval '1 day'}, {@code SET
 * x = 1}, {@code COPY t TO 'file'}) the shape does not parse and the classifier parses the text
 * itself.
 *
 * <p>Replaced: unsigned numbers and standard strings ({@code '...'} with {@code ''} inside). Copied
 * as they are: identifiers, quoted identifiers, parameters, comments, operators, and dollar-quoted
 * strings. Strings with a prefix ({@code E'...'}, {@code U&'...'}, {@code B'...'}, {@code X'...'},
 * {@code N'...'}) and unterminated strings, comments or quoted identifiers make the text its own
 * shape. Like libpg_query, this reads {@code '...'} as {@code standard_conforming_strings} does.
 */
final class QueryShape {
    private QueryShape() {}

    /** The shape of {@code sql}, or {@code sql} itself when nothing was replaced or it cannot be lexed safely. */
    static String of(String sql) {
        int n = sql.length();
        StringBuilder out = null;
        int copied = 0; // sql[copied, i) is still to be copied into out
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '\'') {
                int end = stringEnd(sql, i);
                if (end < 0 || !replaceable(sql, i)) return sql;
                out = replace(out, sql, copied, i);
                copied = end;
                i = end;
            } else if (c >= '0' && c <= '9') {
                int end = numberEnd(sql, i);
                if (!replaceable(sql, i)) return sql;
                out = replace(out, sql, copied, i);
                copied = end;
                i = end;
            } else if (identStart(c)) {
                int end = i + 1;
                while (end < n && identPart(sql.charAt(end))) end++;
                if (end < n && (sql.charAt(end) == '\'' || sql.charAt(end) == '"')) return sql; // E'..', U&"..", N'..'
                if (end < n && sql.charAt(end) == '&' && end - i == 1 && (c == 'u' || c == 'U')) return sql;
                i = end;
            } else if (c == '"') {
                int end = sql.indexOf('"', i + 1);
                while (end >= 0 && end + 1 < n && sql.charAt(end + 1) == '"') end = sql.indexOf('"', end + 2);
                if (end < 0) return sql;
                i = end + 1;
            } else if (c == '$') {
                int end = dollar(sql, i);
                if (end < 0) return sql;
                i = end;
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? n : end + 1;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = commentEnd(sql, i);
                if (end < 0) return sql;
                i = end;
            } else {
                i++;
            }
        }
        if (out == null) return sql;
        out.append(sql, copied, n);
        return out.toString();
    }

    /** Whether {@code $0} may stand at {@code at}: not after a {@code $}, where it would open a dollar quote. */
    private static boolean replaceable(String sql, int at) {
        return at == 0 || sql.charAt(at - 1) != '$';
    }

    private static StringBuilder replace(StringBuilder out, String sql, int copied, int at) {
        if (out == null) out = new StringBuilder(sql.length());
        out.append(sql, copied, at).append("$0");
        return out;
    }

    /** The index after the closing quote of the standard string starting at {@code i}; -1 if unterminated. */
    private static int stringEnd(String sql, int i) {
        int j = i + 1;
        while (true) {
            int q = sql.indexOf('\'', j);
            if (q < 0) return -1;
            if (q + 1 < sql.length() && sql.charAt(q + 1) == '\'') {
                j = q + 2;
                continue;
            }
            return q + 1;
        }
    }

    /** Digits, an optional fraction (not the first dot of "..") and an optional exponent with digits. */
    private static int numberEnd(String sql, int i) {
        int n = sql.length();
        int j = i;
        while (j < n && isDigit(sql.charAt(j))) j++;
        if (j < n && sql.charAt(j) == '.' && !(j + 1 < n && sql.charAt(j + 1) == '.')) {
            j++;
            while (j < n && isDigit(sql.charAt(j))) j++;
        }
        if (j < n && (sql.charAt(j) == 'e' || sql.charAt(j) == 'E')) {
            int k = j + 1;
            if (k < n && (sql.charAt(k) == '+' || sql.charAt(k) == '-')) k++;
            if (k < n && isDigit(sql.charAt(k))) {
                while (k < n && isDigit(sql.charAt(k))) k++;
                j = k;
            }
        }
        return j;
    }

    /**
     * At a {@code $}: a parameter ({@code $1}, copied), or a dollar-quoted string ({@code $$...$$},
     * {@code $tag$...$tag$}, copied). Returns the index after it, or -1 when a dollar quote does not end.
     */
    private static int dollar(String sql, int i) {
        int n = sql.length();
        int j = i + 1;
        if (j < n && isDigit(sql.charAt(j))) {
            while (j < n && isDigit(sql.charAt(j))) j++;
            return j;
        }
        if (j < n && identStart(sql.charAt(j))) {
            while (j < n && identPart(sql.charAt(j)) && sql.charAt(j) != '$') j++;
        }
        if (j < n && sql.charAt(j) == '$') {
            String tag = sql.substring(i, j + 1);
            int end = sql.indexOf(tag, j + 1);
            return end < 0 ? -1 : end + tag.length();
        }
        return i + 1; // a lone '$' (an operator character): copied
    }

    /** After the end of a (nested) block comment starting at {@code i}; -1 if unterminated. */
    private static int commentEnd(String sql, int i) {
        int n = sql.length();
        int depth = 0;
        int j = i;
        while (j + 1 < n) {
            if (sql.charAt(j) == '/' && sql.charAt(j + 1) == '*') {
                depth++;
                j += 2;
            } else if (sql.charAt(j) == '*' && sql.charAt(j + 1) == '/') {
                depth--;
                j += 2;
                if (depth == 0) return j;
            } else {
                j++;
            }
        }
        return -1;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean identStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
    }

    private static boolean identPart(char c) {
        return identStart(c) || isDigit(c) || c == '$';
    }
}
