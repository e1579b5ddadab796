package io.pgha.router.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PostgreSQL's own SQL parser, as libpg_query builds it from the server's grammar (Debian package
 * {@code libpg-query1504.0}: the PostgreSQL 15 parser), called through JNA. {@link #parse} returns
 * the raw parse tree as JSON; the library is thread-safe (each thread parses in its own memory
 * context).
 *
 * <p>The library is looked for under the path in the system property {@code pgha.libpg_query}, then
 * as {@code libpg_query.so*} in the system library directories (the runtime package ships only the
 * versioned file), then by the name {@code pg_query} on the usual library path.
 */
public final class PgQuery {
    /** The Debian package to install when the library is missing. */
    public static final String PACKAGE = "libpg-query1504.0";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Lib LIB;
    private static final String UNAVAILABLE;

    static {
        Lib lib = null;
        List<String> tried = new ArrayList<>();
        for (String candidate : candidates()) {
            try {
                lib = Native.load(candidate, Lib.class, Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));
                break;
            } catch (UnsatisfiedLinkError e) {
                tried.add(candidate);
            }
        }
        LIB = lib;
        UNAVAILABLE = lib != null
                ? null
                : "PostgreSQL's parser library libpg_query was not found (tried " + String.join(", ", tried)
                        + "); install the package " + PACKAGE + " or set -Dpgha.libpg_query=/path/to/libpg_query.so";
    }

    private PgQuery() {}

    /** Whether the library was found; {@link #unavailableReason()} says why not. */
    public static boolean available() {
        return LIB != null;
    }

    /** Why {@link #available()} is false (what was tried and what to install); null when it is available. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /**
     * Parses {@code sql} (one or more statements) into PostgreSQL's raw parse tree: {@code
     * {"version":..., "stmts":[{"stmt":{"SelectStmt":{...}}}, ...]}}.
     *
     * @throws SqlSyntaxException the parser rejects the text (the message is PostgreSQL's)
     * @throws IllegalStateException the library is not available
     */
    public static JsonNode parse(String sql) throws SqlSyntaxException {
        if (LIB == null) throw new IllegalStateException(UNAVAILABLE);
        if (sql.indexOf('\0') >= 0) throw new SqlSyntaxException("the query text contains a NUL byte", 0);
        ParseResult.ByValue r = LIB.pg_query_parse(sql);
        try {
            if (r.error != null) {
                ErrorInfo e = new ErrorInfo(r.error);
                throw new SqlSyntaxException(e.message == null ? "syntax error" : e.message, e.cursorpos);
            }
            String tree = r.parse_tree == null ? "{}" : r.parse_tree.getString(0, "UTF-8");
            try {
                return JSON.readTree(tree);
            } catch (IOException e) {
                throw new SqlSyntaxException("libpg_query returned a parse tree that is not JSON: " + e, 0);
            }
        } finally {
            LIB.pg_query_free_parse_result(r);
        }
    }

    private static List<String> candidates() {
        List<String> c = new ArrayList<>();
        String configured = System.getProperty("pgha.libpg_query");
        if (configured != null && !configured.isBlank()) c.add(configured);
        // the files in the system directories before the bare name: JNA looks a name up by running
        // ldconfig -p (0.2 s), and the runtime package ships only the versioned file anyway
        for (String dir :
                List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")) {
            Path d = Path.of(dir);
            if (!Files.isDirectory(d)) continue;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(d, "libpg_query.so*")) {
                for (Path f : files) c.add(f.toString());
            } catch (IOException e) {
                // not readable: skip
            }
        }
        c.add("pg_query");
        return c;
    }

    /** The three functions pgha calls. */
    interface Lib extends Library {
        ParseResult.ByValue pg_query_parse(String input);

        void pg_query_free_parse_result(ParseResult.ByValue result);
    }

    /** {@code PgQueryParseResult}. */
    @Structure.FieldOrder({"parse_tree", "stderr_buffer", "error"})
    public static class ParseResult extends Structure {
        public Pointer parse_tree;
        public Pointer stderr_buffer;
        public Pointer error;

        /** Returned and passed by value, as the C API does. */
        public static class ByValue extends ParseResult implements Structure.ByValue {}
    }

    /** {@code PgQueryError}. */
    @Structure.FieldOrder({"messagePtr", "funcname", "filename", "lineno", "cursorpos", "context"})
    public static class ErrorInfo extends Structure {
        public Pointer messagePtr;
        public Pointer funcname;
        public Pointer filename;
        public int lineno;
        public int cursorpos;
        public Pointer context;
        String message;

        ErrorInfo(Pointer p) {
            super(p);
            read();
            message = messagePtr == null ? null : messagePtr.getString(0, "UTF-8");
        }
    }
}
