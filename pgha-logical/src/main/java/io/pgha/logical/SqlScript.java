package io.pgha.logical;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a SQL script into statements the way psql does for the cases scripts use: semicolons
 * outside quotes ('...', "...", E'...' escapes), dollar quotes ($$...$$, $tag$...$tag$), and
 * comments (-- to the end of the line, nested block comments). Empty statements, and those that
 * are only comments, are dropped.
 */
public final class SqlScript {
    private SqlScript() {}

    public static List<String> split(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean code = false; // whether cur holds more than comments and whitespace
        int n = script.length();
        int i = 0;
        while (i < n) {
            char c = script.charAt(i);
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int end = script.indexOf('\n', i);
                end = end < 0 ? n : end;
                cur.append(script, i, end);
                i = end;
            } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                int depth = 0;
                int j = i;
                while (j < n) {
                    if (script.startsWith("/*", j)) {
                        depth++;
                        j += 2;
                    } else if (script.startsWith("*/", j)) {
                        depth--;
                        j += 2;
                        if (depth == 0) break;
                    } else {
                        j++;
                    }
                }
                cur.append(script, i, Math.min(j, n));
                i = Math.min(j, n);
            } else if (c == '\'' || c == '"') {
                // E'...' (not the end of a word such as ELSE'...')
                boolean escapes = c == '\''
                        && i > 0
                        && (script.charAt(i - 1) == 'E' || script.charAt(i - 1) == 'e')
                        && (i < 2 || !identifierChar(script.charAt(i - 2)));
                int j = i + 1;
                while (j < n) {
                    char d = script.charAt(j);
                    if (escapes && d == '\\') {
                        j += 2;
                        continue;
                    }
                    if (d == c) {
                        if (j + 1 < n && script.charAt(j + 1) == c) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                int end = Math.min(j + 1, n);
                cur.append(script, i, end);
                code = true;
                i = end;
            } else if (c == '$' && dollarTag(script, i) != null) {
                String tag = dollarTag(script, i);
                int close = script.indexOf(tag, i + tag.length());
                int end = close < 0 ? n : close + tag.length();
                cur.append(script, i, end);
                code = true;
                i = end;
            } else if (c == ';') {
                if (code) add(out, cur);
                cur.setLength(0);
                code = false;
                i++;
            } else {
                cur.append(c);
                if (!Character.isWhitespace(c)) code = true;
                i++;
            }
        }
        if (code) add(out, cur);
        return out;
    }

    private static boolean identifierChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    /** The dollar-quote tag starting at {@code i} ({@code $$} or {@code $name$}), or null. */
    private static String dollarTag(String s, int i) {
        if (i > 0 && (Character.isLetterOrDigit(s.charAt(i - 1)) || s.charAt(i - 1) == '_')) return null;
        int j = i + 1;
        while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) j++;
        if (j < s.length() && s.charAt(j) == '$') {
            String tag = s.substring(i, j + 1);
            if (tag.length() > 2 && Character.isDigit(tag.charAt(1))) return null; // $1 is a parameter
            return tag;
        }
        return null;
    }

    private static void add(List<String> out, StringBuilder cur) {
        out.add(cur.toString().strip());
    }
}
