package io.pgha.cli;

import io.pgha.cli.Targets.TargetRole;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.config.Credentials;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.net.HostPort;
import io.pgha.dcs.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pgha query}: SQL on a member or on whoever has a role now, without looking up which host
 * that is. It connects as the config's superuser, as the agent does, so it needs a node config
 * with that password, a client config with {@code postgresql.authentication.superuser}, or the
 * password in ~/.pgpass or $PGPASSWORD.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "query",
        description = {
            "Run SQL on a member, or on the member that has a role now (default: the primary), as the"
                    + " config's superuser (a client config: postgresql.authentication.superuser), and print the"
                    + " results.",
            "Statements run in autocommit, like psql's; several statements separated by ';' run in turn."
        })
final class QueryCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    FormatOption output;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "MEMBER",
            description = "the member to run on (give either MEMBER or --role; alone, this argument is the SQL)")
    String first;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SQL", description = "the SQL to run (or -f FILE)")
    String second;

    @Option(
            names = "--role",
            paramLabel = "ROLE",
            converter = Targets.RoleConverter.class,
            completionCandidates = Targets.RoleNames.class,
            description = "run on the primary (default), a replica (the least lagging running standby),"
                    + " prefer-replica or any running member")
    TargetRole role;

    @Option(
            names = {"-d", "--dbname"},
            defaultValue = "postgres",
            paramLabel = "DB",
            description = "database (default: ${DEFAULT-VALUE})")
    String dbname;

    @Option(
            names = {"-f", "--file"},
            paramLabel = "FILE",
            description = "read the SQL from FILE ('-': standard input)")
    String file;

    @Option(
            names = "--connect-timeout",
            defaultValue = "10",
            paramLabel = "SECONDS",
            description = "give up connecting after SECONDS (default: ${DEFAULT-VALUE})")
    int connectTimeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String memberName = second != null || file != null ? first : null;
        String sql = second != null ? second : file == null ? first : null;
        if (memberName != null && role != null)
            throw new ParameterException(spec.commandLine(), "give either MEMBER or --role, not both");
        if (file != null && second != null)
            throw new ParameterException(spec.commandLine(), "give either SQL or -f FILE, not both");
        if (file != null) sql = readSql(file);
        if (sql == null || sql.isBlank())
            throw new ParameterException(spec.commandLine(), "no SQL: give it as an argument or with -f FILE");
        ClientConfig cfg = cluster.client();
        ClusterState c = cluster.read(cfg);
        TargetRole wanted = memberName != null ? null : role == null ? TargetRole.primary : role;
        Member m = memberName != null
                ? Targets.named(c, cfg.cluster(), memberName)
                : Targets.pick(c, cfg.cluster(), wanted);
        Credentials su = cfg.superuser() != null ? cfg.superuser() : new Credentials("postgres", null);
        String password = su.hasPassword() ? su.password() : System.getenv("PGPASSWORD");
        List<Result> results;
        try {
            results = run(m, dbname, su.username(), password, wanted, connectTimeout, sql);
        } catch (Failure e) {
            System.err.println("error: " + e.getMessage());
            if (cfg.superuser() == null && password == null) {
                System.err.println("hint: the client config has no postgresql.authentication.superuser: pgha query"
                        + " connected as postgres with the password of ~/.pgpass, if any; give the superuser there,"
                        + " in $PGPASSWORD or in ~/.pgpass");
            }
            return 1;
        }
        if (output.json()) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("member", m.name());
            v.put("address", m.address());
            List<Object> r = new ArrayList<>();
            for (Result x : results) r.add(x.json());
            v.put("results", r);
            System.out.print(Json.pretty(v) + "\n");
        } else {
            System.out.print(render(results));
        }
        return 0;
    }

    private String readSql(String f) {
        try {
            return f.equals("-")
                    ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(f));
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "-f " + f + ": cannot read it: " + e.getMessage());
        }
    }

    /** A connection or query failure, its message naming the member and the server's error. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * One result of a statement: the columns and rows of a query, or the number of rows a command
     * changed ({@code columns} null).
     */
    record Result(List<String> columns, List<List<Object>> rows, long updateCount) {
        static Result count(long n) {
            return new Result(null, List.of(), n);
        }

        Map<String, Object> json() {
            Map<String, Object> v = new LinkedHashMap<>();
            if (columns == null) {
                v.put("update_count", updateCount);
                return v;
            }
            v.put("columns", columns);
            List<Map<String, Object>> objects = new ArrayList<>();
            for (List<Object> row : rows) {
                Map<String, Object> o = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) o.put(columns.get(i), row.get(i));
                objects.add(o);
            }
            v.put("rows", objects);
            v.put("row_count", rows.size());
            return v;
        }
    }

    /** Connects to {@code m} and runs {@code sql}; every failure names the member and the server's error. */
    static List<Result> run(
            Member m, String dbname, String user, String password, TargetRole role, int timeoutSeconds, String sql)
            throws Failure {
        String where = m.name() + " (" + m.address() + ")";
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) p.setProperty("password", password);
        p.setProperty("ApplicationName", "pgha query");
        p.setProperty("connectTimeout", String.valueOf(timeoutSeconds));
        p.setProperty("loginTimeout", String.valueOf(timeoutSeconds));
        // the DCS may be a moment behind: the server itself confirms the role asked for
        if (role != null) p.setProperty("targetServerType", role.serverType());
        String url = "jdbc:postgresql://" + HostPort.join(m.host(), m.pgPort()) + "/" + dbname;
        Connection conn;
        try {
            conn = DriverManager.getConnection(url, p);
        } catch (SQLException e) {
            throw new Failure(
                    "cannot connect to member " + where + " as " + user + ", database " + dbname + ": "
                            + e.getMessage(),
                    e);
        }
        try (conn;
                Statement st = conn.createStatement()) {
            List<Result> results = new ArrayList<>();
            boolean isQuery = st.execute(sql);
            while (true) {
                if (isQuery) {
                    try (ResultSet rs = st.getResultSet()) {
                        results.add(read(rs));
                    }
                } else {
                    long n = st.getLargeUpdateCount();
                    if (n == -1) break;
                    results.add(Result.count(n));
                }
                isQuery = st.getMoreResults();
            }
            printWarnings(st.getWarnings());
            return results;
        } catch (SQLException e) {
            throw new Failure("query on member " + where + " failed: " + e.getMessage(), e);
        }
    }

    /** NOTICEs and WARNINGs of the server (RAISE NOTICE, ...) go to stderr, as psql shows them. */
    private static void printWarnings(SQLWarning w) {
        for (SQLWarning x = w; x != null; x = x.getNextWarning()) System.err.println(x.getMessage());
    }

    /**
     * Numbers and booleans keep their type (for JSON); every other value is PostgreSQL's own text
     * for it (dates, arrays, json, ...), as psql would show it.
     */
    static Result read(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<String> cols = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) cols.add(md.getColumnLabel(i));
        List<List<Object>> rows = new ArrayList<>();
        while (rs.next()) {
            List<Object> row = new ArrayList<>();
            for (int i = 1; i <= cols.size(); i++) {
                Object o = rs.getObject(i);
                boolean finite = !(o instanceof Double d && !Double.isFinite(d))
                        && !(o instanceof Float f && !Float.isFinite(f));
                row.add(
                        o == null
                                ? null
                                : (o instanceof Number && finite) || o instanceof Boolean ? o : rs.getString(i));
            }
            rows.add(row);
        }
        return new Result(cols, rows, -1);
    }

    /** Each result as a table followed by its row count, psql-like; NULL shows as an empty cell. */
    static String render(List<Result> results) {
        StringBuilder s = new StringBuilder();
        for (Result r : results) {
            if (s.length() > 0) s.append('\n');
            if (r.columns() == null) {
                s.append("(")
                        .append(r.updateCount())
                        .append(r.updateCount() == 1 ? " row" : " rows")
                        .append(" affected)\n");
                continue;
            }
            Table t = new Table(r.columns().toArray(new String[0]));
            for (List<Object> row : r.rows()) t.add(row.toArray());
            s.append(t.render())
                    .append("(")
                    .append(r.rows().size())
                    .append(r.rows().size() == 1 ? " row" : " rows")
                    .append(")\n");
        }
        return s.toString();
    }
}
