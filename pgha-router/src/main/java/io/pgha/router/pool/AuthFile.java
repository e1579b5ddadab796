package io.pgha.router.pool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The users a router authenticates from a file, in PgBouncer's {@code userlist.txt} format: one
 * {@code "user" "secret"} per line, a {@code "} inside a field written {@code ""}; blank lines and
 * lines starting with {@code ;} or {@code #} are ignored. The secret is a SCRAM-SHA-256 verifier
 * (as {@code pg_authid} holds it), an md5 hash, or a password.
 *
 * <p>The file holds secrets: one that every user may read is refused. A line that does not parse
 * is refused with its number, never its content.
 */
public final class AuthFile {
    private AuthFile() {}

    /**
     * Reads {@code file}.
     *
     * @throws IOException the file cannot be read
     * @throws IllegalArgumentException it is readable by others, or a line is malformed (file:line
     *     and what is wrong)
     */
    public static Map<String, Secret> read(Path file) throws IOException {
        if (Files.isSymbolicLink(file))
            throw new IllegalArgumentException("auth file " + file + " is a symbolic link; give the file itself");
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        if (mode.contains(PosixFilePermission.OTHERS_READ))
            throw new IllegalArgumentException(
                    "auth file " + file + " is readable by every user; it holds password secrets (chmod 600 or 640)");
        byte[] bytes;
        try (var in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) { // no link swapped in meanwhile
            bytes = in.readAllBytes();
        }
        return parse(
                file.toString(), java.util.Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\\R", -1)));
    }

    static Map<String, Secret> parse(String name, List<String> lines) {
        Map<String, Secret> users = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) continue;
            String where = name + ":" + (n + 1) + ": ";
            int[] pos = {0};
            String user = field(line, pos, where + "the user name");
            skipSpaces(line, pos);
            String secret = field(line, pos, where + "the password");
            skipSpaces(line, pos);
            if (pos[0] < line.length()) throw new IllegalArgumentException(where + "text after the password field");
            if (user.isEmpty()) throw new IllegalArgumentException(where + "an empty user name");
            if (users.containsKey(user))
                throw new IllegalArgumentException(where + "user " + user + " is listed twice");
            try {
                users.put(user, Secret.parse(secret));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "the password of " + user + ": " + e.getMessage());
            }
        }
        return users;
    }

    private static String field(String line, int[] pos, String what) {
        int i = pos[0];
        if (i >= line.length() || line.charAt(i) != '"')
            throw new IllegalArgumentException(what + " must be in double quotes");
        StringBuilder s = new StringBuilder();
        i++;
        while (true) {
            if (i >= line.length()) throw new IllegalArgumentException(what + " has no closing double quote");
            char c = line.charAt(i);
            if (c == '"') {
                if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    s.append('"');
                    i += 2;
                    continue;
                }
                pos[0] = i + 1;
                return s.toString();
            }
            s.append(c);
            i++;
        }
    }

    private static void skipSpaces(String line, int[] pos) {
        while (pos[0] < line.length() && Character.isWhitespace(line.charAt(pos[0]))) pos[0]++;
    }
}
