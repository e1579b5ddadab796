package io.pgha.core.net;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * libpq's {@code keyword=value} connection strings: parsed as libpq reads them (values in single
 * quotes, backslash escapes) and written back with the quoting libpq needs.
 */
public final class Conninfo {
    private Conninfo() {}

    /** The keywords and values of {@code s}, in order; an error names what is malformed. */
    public static Map<String, String> parse(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        int n = s.length();
        while (true) {
            while (i < n && Character.isWhitespace(s.charAt(i))) i++;
            if (i >= n) break;
            int start = i;
            while (i < n && s.charAt(i) != '=' && !Character.isWhitespace(s.charAt(i))) i++;
            String key = s.substring(start, i);
            while (i < n && Character.isWhitespace(s.charAt(i))) i++;
            if (key.isEmpty() || i >= n || s.charAt(i) != '=')
                throw new IllegalArgumentException("'" + key + "' is not followed by '=' (expected keyword=value)");
            i++;
            while (i < n && Character.isWhitespace(s.charAt(i))) i++;
            StringBuilder v = new StringBuilder();
            if (i < n && s.charAt(i) == '\'') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) v.append(s.charAt(i++));
                    else if (c == '\'') {
                        closed = true;
                        break;
                    } else v.append(c);
                }
                if (!closed) throw new IllegalArgumentException("the value of '" + key + "' has no closing quote");
            } else {
                while (i < n && !Character.isWhitespace(s.charAt(i))) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) v.append(s.charAt(i++));
                    else v.append(c);
                }
            }
            out.put(key, v.toString());
        }
        return out;
    }

    /** {@code kv} as a connection string. */
    public static String format(Map<String, String> kv) {
        StringBuilder s = new StringBuilder();
        kv.forEach((k, v) ->
                s.append(s.length() == 0 ? "" : " ").append(k).append('=').append(quote(v)));
        return s.toString();
    }

    /** A value as libpq reads it: quoted when empty or holding a space, a quote or a backslash. */
    public static String quote(String v) {
        if (!v.isEmpty() && v.chars().noneMatch(ch -> Character.isWhitespace(ch) || ch == '\'' || ch == '\\')) return v;
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
