package io.pgha.router.sql;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which functions a statement may call and still run on a standby. A call of any other function
 * sends the statement to the primary: an unknown function may write.
 *
 * <p>Read-only: the non-volatile functions of pg_catalog (resource {@code read-only-functions.txt}),
 * a few volatile ones that only read ({@link #VOLATILE_READERS}), and the names configured as
 * read-only. Never read-only: {@link #WRITERS} and the names configured as writing, which win over
 * every list. Names are matched as PostgreSQL folds them (unquoted identifiers in lower case); a
 * schema-qualified configured name ({@code app.lookup}) matches only calls with that schema, an
 * unqualified one matches calls in any schema, and built-ins match only unqualified calls or calls
 * qualified with {@code pg_catalog}.
 */
public final class FunctionPolicy {
    /** Volatile functions of pg_catalog that read only. */
    public static final Set<String> VOLATILE_READERS = Set.of(
            "random",
            "clock_timestamp",
            "timeofday",
            "gen_random_uuid",
            "pg_sleep",
            "pg_sleep_for",
            "pg_sleep_until",
            "pg_is_in_recovery",
            "pg_is_wal_replay_paused",
            "pg_get_wal_replay_pause_state",
            "pg_last_wal_receive_lsn",
            "pg_last_wal_replay_lsn",
            "pg_last_xact_replay_timestamp",
            "pg_relation_size",
            "pg_table_size",
            "pg_indexes_size",
            "pg_total_relation_size",
            "pg_database_size",
            "pg_tablespace_size",
            "txid_status",
            "pg_xact_status");

    /**
     * Functions of pg_catalog that are STABLE but cannot run on a standby (they assign a transaction
     * id), or that change the session (the router must see them on the primary).
     */
    public static final Set<String> WRITERS = Set.of("txid_current", "pg_current_xact_id");

    private static final Set<String> BUILTINS = load();

    private final Set<String> readOnly;
    private final Set<String> writers;

    private FunctionPolicy(Set<String> readOnly, Set<String> writers) {
        this.readOnly = readOnly;
        this.writers = writers;
    }

    /** The built-in lists alone. */
    public static FunctionPolicy defaults() {
        return of(List.of(), List.of());
    }

    /**
     * The built-in lists with the configured names: {@code readOnly} (functions of the application
     * that only read) and {@code writers} (functions that must run on the primary, whatever the lists
     * say).
     *
     * @throws IllegalArgumentException a name is empty or has more than one dot outside quotes
     */
    public static FunctionPolicy of(Collection<String> readOnly, Collection<String> writers) {
        return new FunctionPolicy(normalise(readOnly, "read-only"), normalise(writers, "writing"));
    }

    /**
     * Whether a call of {@code name} (as the parser gives it: the schema first when qualified) only
     * reads.
     */
    public boolean readOnly(List<String> name) {
        if (name.isEmpty() || name.size() > 2) return false; // a.b.c(): database-qualified, refused by PostgreSQL
        String fn = name.get(name.size() - 1);
        String schema = name.size() == 2 ? name.get(0) : null;
        String qualified = schema == null ? null : schema + "." + fn;
        if (writers.contains(fn) || (qualified != null && writers.contains(qualified))) return false;
        if (schema == null || schema.equals("pg_catalog")) {
            if (WRITERS.contains(fn)) return false;
            if (BUILTINS.contains(fn) || VOLATILE_READERS.contains(fn)) return true;
        }
        return readOnly.contains(fn) || (qualified != null && readOnly.contains(qualified));
    }

    private static Set<String> normalise(Collection<String> names, String what) {
        Set<String> out = new HashSet<>();
        for (String raw : names) {
            String n = raw == null ? "" : raw.trim();
            if (n.isEmpty()) throw new IllegalArgumentException("an empty name in the list of " + what + " functions");
            String[] parts = n.split("\\.", -1);
            if (parts.length > 2 || parts[0].isEmpty() || parts[parts.length - 1].isEmpty())
                throw new IllegalArgumentException(
                        "'" + raw + "' in the list of " + what + " functions is not a function name or schema.name");
            StringBuilder s = new StringBuilder();
            for (String p : parts) {
                if (s.length() > 0) s.append('.');
                s.append(fold(p));
            }
            out.add(s.toString());
        }
        return Set.copyOf(out);
    }

    /** An identifier as PostgreSQL folds it: quoted kept as written, unquoted in lower case. */
    private static String fold(String ident) {
        if (ident.length() >= 2 && ident.startsWith("\"") && ident.endsWith("\""))
            return ident.substring(1, ident.length() - 1).replace("\"\"", "\"");
        return ident.toLowerCase(Locale.ROOT);
    }

    private static Set<String> load() {
        Set<String> names = new HashSet<>();
        try (InputStream in = FunctionPolicy.class.getResourceAsStream("read-only-functions.txt")) {
            if (in == null) throw new IllegalStateException("read-only-functions.txt is missing from the jar");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                line = line.trim();
                if (!line.isEmpty() && !line.startsWith("#")) names.add(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Set.copyOf(names);
    }
}
