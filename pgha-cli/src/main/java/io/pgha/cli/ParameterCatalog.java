package io.pgha.cli;

import io.pgha.core.config.Credentials;
import io.pgha.core.config.ParameterCheck;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * PostgreSQL's own description of its parameters ({@code pg_settings}), read from a running member
 * of the cluster (the primary first), so that cluster-wide settings are checked against the server
 * that will run them.
 */
final class ParameterCatalog {
    private ParameterCatalog() {}

    /**
     * The catalog of the first running member that answers, read as {@code superuser} (null: a client
     * config without one, so {@code postgres} with the password of ~/.pgpass or $PGPASSWORD);
     * IllegalStateException when none answers.
     */
    static Map<String, ParameterCheck.Setting> read(Credentials superuser, ClusterState c) {
        Credentials su = superuser != null ? superuser : new Credentials("postgres", System.getenv("PGPASSWORD"));
        List<Member> order = new ArrayList<>();
        c.leaderMember().filter(Member::isRunningPrimary).ifPresent(order::add);
        c.sortedMembers().values().stream()
                .filter(m -> m.state() == io.pgha.core.model.MemberState.RUNNING && !order.contains(m))
                .forEach(order::add);
        List<String> tried = new ArrayList<>();
        for (Member m : order) {
            try {
                return read(su, m);
            } catch (SQLException e) {
                tried.add(m.name() + " (" + e.getMessage() + ")");
            }
        }
        throw new IllegalStateException("cannot check the settings against a running PostgreSQL: "
                + (tried.isEmpty() ? "no member runs" : "none answered: " + String.join(", ", tried))
                + (superuser == null
                        ? "; the client config has no postgresql.authentication.superuser to connect as"
                        : "")
                + "; pass --skip-check to write them unchecked");
    }

    private static Map<String, ParameterCheck.Setting> read(Credentials su, Member m) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", su.username());
        if (su.hasPassword()) p.setProperty("password", su.password());
        p.setProperty("connectTimeout", "3");
        p.setProperty("socketTimeout", "10");
        try (Connection conn = DriverManager.getConnection("jdbc:postgresql://" + m.address() + "/postgres", p)) {
            return io.pgha.postgres.SettingsCatalog.read(conn);
        }
    }
}
