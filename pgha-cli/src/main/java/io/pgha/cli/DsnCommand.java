package io.pgha.cli;

import io.pgha.cli.Targets.TargetRole;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.net.HostPort;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgha dsn}: a connection string for the cluster as it is now, for psql, an application's
 * config or a script. The password is never printed: a connection string is copied into shells,
 * tickets and config files, and libpq finds the password in ~/.pgpass or $PGPASSWORD.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "dsn",
        description = {
            "Print a libpq connection string for a member, or for a role across the cluster.",
            "Without MEMBER: every member, best first, with target_session_attrs, so that libpq reaches the"
                    + " right server after a failover too (the standby roles need PostgreSQL 14's libpq).",
            "No password is printed: libpq takes it from ~/.pgpass or $PGPASSWORD."
        })
final class DsnCommand implements Callable<Integer> {
    /** Output forms: libpq's key=value string or a postgresql:// URI. */
    enum DsnFormat {
        text,
        uri
    }

    @Mixin
    ClusterOptions cluster;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "MEMBER",
            description = "the member to connect to (default: the members that can serve --role)")
    String member;

    @Option(
            names = "--role",
            paramLabel = "ROLE",
            converter = Targets.RoleConverter.class,
            completionCandidates = Targets.RoleNames.class,
            description = "primary (default without MEMBER), replica, prefer-replica or any; with MEMBER,"
                    + " libpq refuses the member unless it has that role")
    TargetRole role;

    @Option(
            names = {"-d", "--dbname"},
            defaultValue = "postgres",
            paramLabel = "DB",
            description = "database (default: ${DEFAULT-VALUE})")
    String dbname;

    @Option(
            names = {"-U", "--user"},
            paramLabel = "USER",
            description = "user name (default: the superuser of the node config)")
    String user;

    @Option(
            names = "--format",
            defaultValue = "text",
            paramLabel = "FORMAT",
            description = "text (libpq key=value) or uri (postgresql://...) (default: ${DEFAULT-VALUE})")
    DsnFormat format;

    @Override
    public Integer call() throws Exception {
        ClientConfig cfg = cluster.client();
        ClusterState c = cluster.read(cfg);
        String u =
                user != null ? user : cfg.superuser() != null ? cfg.superuser().username() : "postgres";
        System.out.println(dsn(c, cfg.cluster(), member, role, dbname, u, format));
        return 0;
    }

    /** The connection string for {@code member} (or, when null, every member in {@code role}'s order). */
    static String dsn(
            ClusterState c, String cluster, String member, TargetRole role, String dbname, String user, DsnFormat f) {
        List<Member> hosts;
        TargetRole r = role;
        if (member != null) {
            hosts = List.of(Targets.named(c, cluster, member));
        } else {
            if (r == null) r = TargetRole.primary;
            hosts = Targets.ordered(c, r);
            if (hosts.isEmpty())
                throw new IllegalStateException(
                        "no member is registered in cluster " + cluster + ": are the agents running?");
        }
        String attrs = r == null ? null : r.sessionAttrs();
        return f == DsnFormat.uri ? uri(hosts, dbname, user, attrs) : keywords(hosts, dbname, user, attrs);
    }

    static String keywords(List<Member> hosts, String dbname, String user, String sessionAttrs) {
        Map<String, String> kv = new LinkedHashMap<>();
        List<String> h = new ArrayList<>();
        List<String> p = new ArrayList<>();
        for (Member m : hosts) {
            h.add(m.host());
            p.add(String.valueOf(m.pgPort()));
        }
        kv.put("host", String.join(",", h));
        // one port stands for every host (libpq); a list only when they differ
        kv.put("port", p.stream().distinct().count() == 1 ? p.get(0) : String.join(",", p));
        kv.put("dbname", dbname);
        kv.put("user", user);
        if (sessionAttrs != null) kv.put("target_session_attrs", sessionAttrs);
        StringBuilder s = new StringBuilder();
        kv.forEach((k, v) ->
                s.append(s.length() == 0 ? "" : " ").append(k).append('=').append(quote(v)));
        return s.toString();
    }

    /** A libpq value: quoted when empty or holding a space, a quote or a backslash. */
    static String quote(String v) {
        if (!v.isEmpty() && v.chars().noneMatch(ch -> ch == ' ' || ch == '\'' || ch == '\\' || ch == '\t')) return v;
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    static String uri(List<Member> hosts, String dbname, String user, String sessionAttrs) {
        List<String> h = new ArrayList<>();
        for (Member m : hosts) h.add(HostPort.join(m.host(), m.pgPort()));
        return "postgresql://" + encode(user) + "@" + String.join(",", h) + "/" + encode(dbname)
                + (sessionAttrs == null ? "" : "?target_session_attrs=" + sessionAttrs);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
