package io.pgha.router.sql;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.router.sql.Classification.Pin;
import io.pgha.router.sql.Classification.Target;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides, from PostgreSQL's own parse tree ({@link PgQuery}), whether a query text only reads and
 * may run on a standby, or must run on the primary. The rule is the safe one: a text goes to a
 * standby only when the classifier can show that every statement in it reads; anything it cannot
 * parse or does not know goes to the primary.
 *
 * <p>To a standby: {@code SELECT}, {@code VALUES}, {@code TABLE}, {@code SHOW}, {@code COPY ... TO
 * STDOUT}, {@code EXPLAIN} of a read, and {@code BEGIN READ ONLY}, when they call only read-only
 * functions ({@link FunctionPolicy}). To the primary: every write and DDL, a data-modifying {@code
 * WITH}, locking clauses ({@code FOR UPDATE/SHARE}), {@code SELECT INTO}, {@code EXPLAIN ANALYZE}
 * of a write, calls of functions not known to be read-only ({@code nextval}, {@code setval}, user
 * functions), {@code DO}, {@code CALL}, {@code LISTEN}/{@code NOTIFY}, cursors, SQL-level {@code
 * PREPARE}/{@code EXECUTE}, every transaction statement but a read-only {@code BEGIN}, and text the
 * parser rejects.
 *
 * <p>A leading comment forces the target: {@code /* pgha:primary *&#47;} or {@code /* pgha:standby
 * *&#47;} (pgpool's {@code /*NO LOAD BALANCE*&#47;} is read as {@code pgha:primary}). A standby
 * refuses writes itself, so a wrong {@code pgha:standby} hint fails the statement; it cannot lose
 * data.
 *
 * <p>Classifications are cached by query text (bounded); the class is thread-safe.
 */
public final class StatementClassifier {
    static final int CACHE_LIMIT = 10_000;

    /** Anywhere in the tree, these nodes write. */
    private static final Set<String> WRITES = Set.of("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt");

    /** Session-level advisory lock functions (the _xact_ ones end with the transaction). */
    private static final Set<String> SESSION_LOCKS = Set.of(
            "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock", "pg_try_advisory_lock_shared");

    /** DECLARE ... WITH HOLD (CURSOR_OPT_HOLD in PostgreSQL's parsenodes.h). */
    private static final int CURSOR_OPT_HOLD = 0x0020;

    private final FunctionPolicy functions;
    private final Map<String, Classification> cache = new ConcurrentHashMap<>();

    public StatementClassifier(FunctionPolicy functions) {
        this.functions = functions;
    }

    /** Whether the parser library is present: without it every text is classified {@link Target#PRIMARY}. */
    public static boolean available() {
        return PgQuery.available();
    }

    /** Classifies one query text (a simple Query message, or the text of a Parse message). */
    public Classification classify(String sql) {
        String shape = QueryShape.of(sql);
        Classification c = cache.get(shape);
        if (c == null) {
            c = parse(shape, sql);
            if (cache.size() >= CACHE_LIMIT) cache.clear();
            cache.put(shape, c);
        }
        Target hint = Hints.of(sql);
        if (hint == null) return c;
        return new Classification(
                hint,
                "hint pgha:" + hint.name().toLowerCase(java.util.Locale.ROOT),
                hint == Target.STANDBY && c.beginsReadOnly(),
                c.sessionState(),
                c.pins());
    }

    int cacheSize() {
        return cache.size();
    }

    /**
     * Classifies by the shape when it parses (see {@link QueryShape}: then it classifies as the text
     * does), else by the text itself.
     */
    private Classification parse(String shape, String sql) {
        if (!PgQuery.available()) return Classification.primary("no SQL parser: " + PgQuery.PACKAGE + " is missing");
        JsonNode tree;
        try {
            tree = PgQuery.parse(shape);
        } catch (SqlSyntaxException shapeRefused) {
            if (shape.equals(sql)) return Classification.primary("not parsed: " + shapeRefused.getMessage());
            try {
                tree = PgQuery.parse(sql);
            } catch (SqlSyntaxException e) {
                return Classification.primary("not parsed: " + e.getMessage());
            }
        }
        JsonNode stmts = tree.path("stmts");
        if (!stmts.isArray() || stmts.isEmpty()) return Classification.standby("empty query");
        List<Classification> parts = new ArrayList<>();
        for (JsonNode s : stmts) parts.add(statement(s.path("stmt")));
        if (parts.size() == 1) return parts.get(0);
        return combine(parts);
    }

    /** Several statements in one simple Query: one implicit transaction unless they say otherwise. */
    private static Classification combine(List<Classification> parts) {
        Target target = Target.STANDBY;
        String reason = parts.size() + " statements, all read-only";
        boolean session = false;
        EnumSet<Pin> pins = EnumSet.noneOf(Pin.class);
        for (Classification c : parts) {
            if (c.target() == Target.PRIMARY && target == Target.STANDBY) {
                target = Target.PRIMARY;
                reason = c.reason();
            }
            session |= c.sessionState();
            pins.addAll(c.pins());
        }
        boolean beginsReadOnly = target == Target.STANDBY && parts.get(0).beginsReadOnly();
        return new Classification(target, reason, beginsReadOnly, session, pins);
    }

    private Classification statement(JsonNode stmt) {
        if (!stmt.isObject() || stmt.size() != 1) return Classification.primary("unknown parse tree");
        String kind = stmt.fieldNames().next();
        JsonNode body = stmt.get(kind);
        switch (kind) {
            case "SelectStmt", "VariableShowStmt" -> {
                return expressions(body, kind);
            }
            case "ExplainStmt" -> {
                if (explainAnalyze(body.path("options")))
                    return primaryIfWrites(statement(body.path("query")), "EXPLAIN ANALYZE runs ");
                return primaryIfWrites(statement(body.path("query")), "EXPLAIN of ");
            }
            case "CopyStmt" -> {
                if (body.path("is_from").asBoolean(false)) return Classification.primary("COPY FROM writes");
                if (body.hasNonNull("filename")) return Classification.primary("COPY TO a server file or program");
                if (body.has("query")) return primaryIfWrites(statement(body.get("query")), "COPY of ");
                return Classification.standby("COPY TO STDOUT");
            }
            case "TransactionStmt" -> {
                return transaction(body);
            }
            case "VariableSetStmt" -> {
                return set(body);
            }
            case "DiscardStmt" -> {
                return new Classification(Target.PRIMARY, "DISCARD", false, true, Set.of());
            }
            case "ListenStmt" -> {
                return new Classification(Target.PRIMARY, "LISTEN", false, false, Set.of(Pin.LISTEN));
            }
            case "DeclareCursorStmt" -> {
                Set<Pin> pins =
                        (body.path("options").asInt(0) & CURSOR_OPT_HOLD) != 0 ? Set.of(Pin.HOLD_CURSOR) : Set.of();
                return new Classification(Target.PRIMARY, "DECLARE CURSOR", false, false, pins);
            }
            case "PrepareStmt" -> {
                return new Classification(Target.PRIMARY, "SQL PREPARE", false, false, Set.of(Pin.SQL_PREPARE));
            }
            case "LoadStmt" -> {
                return new Classification(Target.PRIMARY, "LOAD", false, false, Set.of(Pin.LOAD));
            }
            case "CreateStmt" -> {
                return temp(body.path("relation"), "CREATE TABLE");
            }
            case "CreateTableAsStmt" -> {
                return temp(body.path("into").path("rel"), "CREATE TABLE AS");
            }
            case "ViewStmt" -> {
                return temp(body.path("view"), "CREATE VIEW");
            }
            default -> {
                return Classification.primary(label(kind));
            }
        }
    }

    /** A read-only top-level statement: checks the whole tree for writes, locks and functions. */
    private Classification expressions(JsonNode body, String kind) {
        Walk w = new Walk(functions);
        w.visit(body);
        if (w.primaryReason != null) return new Classification(Target.PRIMARY, w.primaryReason, false, false, w.pins);
        return Classification.standby(label(kind));
    }

    private static Classification primaryIfWrites(Classification inner, String prefix) {
        if (inner.target() == Target.STANDBY) return inner;
        return new Classification(Target.PRIMARY, prefix + inner.reason(), false, false, inner.pins());
    }

    private static Classification transaction(JsonNode body) {
        String kind = body.path("kind").asText();
        switch (kind) {
            case "TRANS_STMT_BEGIN", "TRANS_STMT_START" -> {
                if (serializable(body.path("options")))
                    return Classification.primary(
                            "BEGIN ISOLATION LEVEL SERIALIZABLE (a standby refuses serializable transactions)");
                if (readOnlyOption(body.path("options")))
                    return new Classification(Target.STANDBY, "BEGIN READ ONLY", true, false, Set.of());
                return Classification.primary("BEGIN (read-write transaction)");
            }
            default -> {
                return Classification.primary(kind.replace("TRANS_STMT_", "").replace('_', ' '));
            }
        }
    }

    private static boolean serializable(JsonNode options) {
        for (JsonNode o : options) {
            JsonNode d = o.path("DefElem");
            if (d.path("defname").asText().equals("transaction_isolation")
                    && d.path("arg")
                            .path("A_Const")
                            .path("sval")
                            .path("sval")
                            .asText()
                            .equals("serializable")) return true;
        }
        return false;
    }

    private static boolean readOnlyOption(JsonNode options) {
        boolean readOnly = false;
        for (JsonNode o : options) {
            JsonNode d = o.path("DefElem");
            if (d.path("defname").asText().equals("transaction_read_only"))
                readOnly =
                        d.path("arg").path("A_Const").path("ival").path("ival").asInt(0) == 1;
        }
        return readOnly;
    }

    private static Classification set(JsonNode body) {
        String name = body.path("name").asText("");
        if (body.path("is_local").asBoolean(false) || name.startsWith("TRANSACTION"))
            return Classification.primary("SET LOCAL / SET TRANSACTION (this transaction only)");
        String kind = body.path("kind").asText();
        String what = kind.startsWith("VAR_RESET") ? "RESET " : "SET ";
        boolean replayable =
                (kind.equals("VAR_SET_VALUE") || kind.equals("VAR_SET_DEFAULT") || kind.equals("VAR_RESET"))
                        && !name.isEmpty()
                        && !name.equals("role")
                        && !name.equals("session_authorization");
        return new Classification(
                Target.PRIMARY,
                what + (name.isEmpty() ? "ALL" : name),
                false,
                true,
                Set.of(),
                replayable ? name : null);
    }

    private static Classification temp(JsonNode rel, String what) {
        boolean temp = rel.path("relpersistence").asText().equals("t")
                || rel.path("schemaname").asText().equals("pg_temp");
        if (temp)
            return new Classification(Target.PRIMARY, what + " (temporary)", false, false, Set.of(Pin.TEMP_TABLE));
        return Classification.primary(what);
    }

    /**
     * Whether EXPLAIN's options turn ANALYZE on. The option's value is read as PostgreSQL reads a
     * boolean; any value this method does not know counts as on (the statement runs), the safe
     * direction.
     */
    static boolean explainAnalyze(JsonNode options) {
        boolean on = false;
        for (JsonNode o : options) {
            JsonNode d = o.path("DefElem");
            if (!d.path("defname").asText().equals("analyze")) continue;
            JsonNode arg = d.path("arg");
            if (arg.isMissingNode()) on = true;
            else if (arg.has("Integer")) on = arg.path("Integer").path("ival").asInt(0) != 0;
            else if (arg.has("String"))
                on = !Set.of("false", "off", "no", "0", "f", "n")
                        .contains(arg.path("String").path("sval").asText().toLowerCase(java.util.Locale.ROOT));
            else on = true;
        }
        return on;
    }

    /** "InsertStmt" -> "INSERT"-like labels for reasons: the node name without its Stmt suffix. */
    static String label(String kind) {
        return kind.endsWith("Stmt") ? kind.substring(0, kind.length() - 4) : kind;
    }

    /** One pass over a statement's tree: the first reason it must run on the primary, and its pins. */
    private static final class Walk {
        final FunctionPolicy functions;
        String primaryReason;
        final EnumSet<Pin> pins = EnumSet.noneOf(Pin.class);

        Walk(FunctionPolicy functions) {
            this.functions = functions;
        }

        void primary(String reason) {
            if (primaryReason == null) primaryReason = reason;
        }

        void visit(JsonNode node) {
            if (node.isArray()) {
                for (JsonNode n : node) visit(n);
                return;
            }
            if (!node.isObject()) return;
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                JsonNode value = e.getValue();
                if (WRITES.contains(key)) primary("data-modifying " + label(key) + " in a query");
                else if (key.equals("lockingClause") && value.size() > 0) primary("locking clause (FOR UPDATE/SHARE)");
                else if (key.equals("intoClause")) {
                    primary("SELECT INTO creates a table");
                    if (value.path("rel").path("relpersistence").asText().equals("t")) pins.add(Pin.TEMP_TABLE);
                } else if (key.equals("FuncCall")) call(value);
                visit(value);
            }
        }

        void call(JsonNode call) {
            List<String> name = new ArrayList<>();
            for (JsonNode part : call.path("funcname"))
                name.add(part.path("String").path("sval").asText());
            String fn = name.isEmpty() ? "" : name.get(name.size() - 1);
            boolean catalog =
                    name.size() == 1 || (name.size() == 2 && name.get(0).equals("pg_catalog"));
            if (catalog && SESSION_LOCKS.contains(fn)) pins.add(Pin.ADVISORY_LOCK);
            if (catalog && (fn.equals("set_config") || fn.equals("setseed"))) pins.add(Pin.SESSION_FUNCTION);
            if (!functions.readOnly(name))
                primary("function " + String.join(".", name) + " is not known to be read-only");
        }
    }
}
