package io.pgha.router.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One command of the admin console (the pooled listener's virtual database {@code pgha}), parsed
 * from a simple query's text, as PgBouncer's console takes them: {@code SHOW POOLS}, {@code PAUSE
 * mydb;}, ... Keywords in any case, a database name bare or double-quoted, one optional trailing
 * semicolon. Anything else is refused with a message that names the problem.
 *
 * @param verb what to do
 * @param argument for SHOW the list to show (upper case); for the others the database, or null for all
 */
public record AdminCommand(Verb verb, String argument) {
    /** The commands. */
    public enum Verb {
        SHOW,
        PAUSE,
        RESUME,
        RELOAD,
        KILL,
        RECONNECT,
        WAIT_CLOSE;

        /** Whether the command changes something (admin_users only; stats_users may SHOW). */
        public boolean changes() {
            return this != SHOW;
        }
    }

    /** What SHOW shows. */
    public static final List<String> LISTS =
            List.of("HELP", "POOLS", "CLIENTS", "SERVERS", "STATS", "CONFIG", "LISTS", "VERSION");

    static final int MAX_LENGTH = 1000;

    /** A command the console refuses, with the reason as the message. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** The command in {@code text}; null for an empty query. */
    public static AdminCommand parse(String text) throws Refused {
        if (text.length() > MAX_LENGTH) throw new Refused("command too long (more than " + MAX_LENGTH + " characters)");
        List<String> words = words(text);
        if (words.isEmpty()) return null;
        String first = words.get(0);
        if (first.startsWith("\"")) throw new Refused("unknown command " + first + "; SHOW HELP lists the commands");
        Verb verb;
        try {
            verb = Verb.valueOf(first.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new Refused("unknown command " + printable(first) + "; SHOW HELP lists the commands");
        }
        if (verb == Verb.SHOW) {
            if (words.size() != 2) throw new Refused("SHOW takes one of " + String.join(", ", LISTS));
            String what = words.get(1).toUpperCase(Locale.ROOT);
            if (!LISTS.contains(what))
                throw new Refused("SHOW " + printable(words.get(1)) + " is not known; SHOW takes one of "
                        + String.join(", ", LISTS));
            return new AdminCommand(verb, what);
        }
        if (verb == Verb.RELOAD) {
            if (words.size() != 1) throw new Refused("RELOAD takes no argument");
            return new AdminCommand(verb, null);
        }
        if (words.size() > 2) throw new Refused(verb + " takes at most one database");
        return new AdminCommand(verb, words.size() == 2 ? name(words.get(1)) : null);
    }

    /** The words of {@code text}: bare ones and double-quoted ones (kept with their quotes). */
    private static List<String> words(String text) throws Refused {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = text.length();
        boolean ended = false;
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            if (ended) throw new Refused("one command at a time (text after the semicolon)");
            if (c == ';') {
                ended = true;
                i++;
                continue;
            }
            int start = i;
            if (c == '"') {
                int close = text.indexOf('"', i + 1);
                if (close < 0) throw new Refused("unterminated quoted name");
                if (close == i + 1) throw new Refused("empty quoted name");
                i = close + 1;
            } else {
                while (i < n && isWordChar(text.charAt(i))) i++;
                if (i == start) throw new Refused("unexpected character " + printable(String.valueOf(c)));
            }
            out.add(text.substring(start, i));
        }
        return out;
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '_'
                || c == '-'
                || c == '.'
                || c == '$';
    }

    private static String name(String word) {
        return word.startsWith("\"") ? word.substring(1, word.length() - 1) : word.toLowerCase(Locale.ROOT);
    }

    /** A word for a message: at most 40 characters, control characters escaped. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 40; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        if (s.length() > 40) b.append("...");
        return "'" + b + "'";
    }
}
