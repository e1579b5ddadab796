package io.pgha.logical;

import io.pgha.core.net.Conninfo;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import io.pgha.core.sets.SetsConfig.TableSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code pgha sets subscribe --copy-schema}: the set's tables that the subscriber lacks are created
 * from {@code pg_dump --schema-only} of the provider, loaded with {@code psql} in one transaction.
 * Passwords reach the tools through PGPASSWORD in an otherwise clean environment, never on a command
 * line; pgha's own write-protection triggers are left out of the copy.
 */
public final class SchemaCopy {
    private SchemaCopy() {}

    public static void copy(
            Path bin, SetServers servers, ReplicationSet s, String from, String to, Consumer<String> progress)
            throws IOException, SQLException, InterruptedException {
        String db = s.database();
        Set<String> schemas = new LinkedHashSet<>(s.schemas());
        for (TableSpec t : s.tables()) schemas.add(t.schema());
        Catalog src;
        Catalog dst;
        try (Connection c = servers.connect(from, db)) {
            src = Catalog.read(from, c, schemas);
        }
        try (Connection c = servers.connect(to, db)) {
            dst = Catalog.read(to, c, schemas);
        }
        List<String> missing = new ArrayList<>();
        for (String t : SetPlanner.expand(s, src, new ArrayList<>()).keySet())
            if (!dst.tables().containsKey(t)) missing.add(t);
        // the set's own sequences too (those its tables own come with them)
        try (Connection c = servers.connect(to, db);
                java.sql.PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NULL")) {
            for (String seq : s.sequences()) {
                ps.setString(1, Sql.table(seq));
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1) && !src.ownedSequences().containsKey(seq)) missing.add(seq);
                }
            }
        }
        if (missing.isEmpty()) {
            progress.accept("  " + to + " has every table of set " + s.name() + "; no schema to copy");
            return;
        }
        progress.accept("  copying the schema of " + String.join(", ", missing) + " from " + from + " to " + to);
        List<String> dump = new ArrayList<>(List.of(
                bin.resolve("pg_dump").toString(),
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--no-publications",
                "--no-subscriptions"));
        for (String t : missing) {
            dump.add("--table");
            dump.add(quoted(t));
        }
        dump.add("--dbname");
        dump.add(conninfo(servers, from, db));
        String sql = run(dump, password(servers, from), null);
        StringBuilder load = new StringBuilder();
        for (String t : missing) {
            String schema = t.substring(0, t.indexOf('.'));
            load.append("CREATE SCHEMA IF NOT EXISTS ")
                    .append(Sql.ident(schema))
                    .append(";\n");
        }
        for (String line : sql.split("\n", -1)) {
            if (line.startsWith("CREATE TRIGGER " + Names.DENY_TRIGGER)) continue;
            load.append(line).append('\n');
        }
        run(
                List.of(
                        bin.resolve("psql").toString(),
                        "-X",
                        "-q",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "--single-transaction",
                        "-f",
                        "-",
                        "--dbname",
                        conninfo(servers, to, db)),
                password(servers, to),
                load.toString());
        progress.accept("  created " + String.join(", ", missing) + " on " + to);
    }

    /** {@code schema.table} as pg_dump's --table pattern: each part in double quotes, exactly. */
    private static String quoted(String t) {
        int dot = t.indexOf('.');
        return "\"" + t.substring(0, dot) + "\".\"" + t.substring(dot + 1) + "\"";
    }

    private static String conninfo(SetServers servers, String node, String db) {
        Map<String, String> kv = new LinkedHashMap<>(Conninfo.parse(servers.conninfo(node)));
        kv.remove("password");
        kv.put("dbname", db);
        return Conninfo.format(kv);
    }

    private static String password(SetServers servers, String node) {
        return Conninfo.parse(servers.conninfo(node)).get("password");
    }

    private static String run(List<String> command, String password, String stdin)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        Map<String, String> keep = new LinkedHashMap<>();
        for (String k : List.of("PATH", "LANG", "TZ")) if (env.containsKey(k)) keep.put(k, env.get(k));
        env.clear();
        env.putAll(keep);
        if (password != null) env.put("PGPASSWORD", password);
        Path err = Files.createTempFile("pgha-schema", ".err");
        try {
            pb.redirectError(err.toFile());
            Process p = pb.start();
            if (stdin != null) {
                try (var out = p.getOutputStream()) {
                    out.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } else {
                p.getOutputStream().close();
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(Path.of(command.get(0)).getFileName() + " did not finish in 10 minutes");
            }
            if (p.exitValue() != 0)
                throw new IOException(Path.of(command.get(0)).getFileName() + " failed: "
                        + Files.readString(err).strip());
            return out;
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
