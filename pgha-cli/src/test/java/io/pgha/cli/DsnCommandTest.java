package io.pgha.cli;

import static io.pgha.cli.CliFixtures.member;
import static io.pgha.cli.CliFixtures.primary;
import static io.pgha.cli.CliFixtures.standby;
import static io.pgha.cli.CliFixtures.state;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.cli.DsnCommand.DsnFormat;
import io.pgha.cli.Targets.TargetRole;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pgha dsn}: connection strings for a member or a role, never with a password. */
class DsnCommandTest {
    /** db2 leads; db3 is a standby closer than db1; db4 is stopped. */
    private static final ClusterState C = state(
            "db2",
            standby("db1", 5432, 0x1000000L, "db2"),
            primary("db2", 5433),
            standby("db3", 5434, 0x2000000L, "db2"),
            member("db4", 5435, Role.UNKNOWN, MemberState.STOPPED, 0, null));

    @AfterEach
    void realDcsAgain() {
        CliFixtures.noDcs();
    }

    private static String dsn(String member, TargetRole role, DsnFormat f) {
        return DsnCommand.dsn(C, "main", member, role, "postgres", "postgres", f);
    }

    @Test
    void thePrimaryIsEveryMemberLeaderFirstAndReadWrite() {
        String s = "host=127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1 port=5433,5432,5434,5435 dbname=postgres"
                + " user=postgres target_session_attrs=read-write";
        assertThat(dsn(null, null, DsnFormat.text)).isEqualTo(s);
        assertThat(dsn(null, TargetRole.primary, DsnFormat.text)).isEqualTo(s);
    }

    @Test
    void replicasComeRunningStandbysFirstLeastLaggingFirst() {
        assertThat(dsn(null, TargetRole.replica, DsnFormat.text))
                .contains("port=5434,5432,5435,5433 ")
                .endsWith("target_session_attrs=standby");
        assertThat(dsn(null, TargetRole.preferReplica, DsnFormat.text)).endsWith("target_session_attrs=prefer-standby");
        assertThat(dsn(null, TargetRole.any, DsnFormat.text))
                .startsWith("host=127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1 port=5433,")
                .doesNotContain("target_session_attrs");
    }

    @Test
    void oneMemberAndItsRoleCheckedByLibpqWhenAsked() {
        assertThat(dsn("db3", null, DsnFormat.text))
                .isEqualTo("host=127.0.0.1 port=5434 dbname=postgres user=postgres");
        assertThat(dsn("db3", TargetRole.replica, DsnFormat.text)).endsWith(" target_session_attrs=standby");
        assertThatThrownBy(() -> dsn("db9", null, DsnFormat.text))
                .hasMessage("no member db9 in cluster main (members: db1, db2, db3, db4)");
    }

    @Test
    void urisAndQuoting() {
        assertThat(dsn(null, null, DsnFormat.uri))
                .isEqualTo("postgresql://postgres@127.0.0.1:5433,127.0.0.1:5432,127.0.0.1:5434,127.0.0.1:5435/postgres"
                        + "?target_session_attrs=read-write");
        assertThat(DsnCommand.dsn(C, "main", "db2", null, "my db", "o'brien", DsnFormat.text))
                .isEqualTo("host=127.0.0.1 port=5433 dbname='my db' user='o\\'brien'");
        assertThat(DsnCommand.dsn(C, "main", "db2", null, "my db", "a@b", DsnFormat.uri))
                .isEqualTo("postgresql://a%40b@127.0.0.1:5433/my%20db");
        assertThat(DsnCommand.quote("")).isEqualTo("''");
        assertThat(DsnCommand.quote("a\\b")).isEqualTo("'a\\\\b'");
    }

    @Test
    void theCommandUsesTheConfigsSuperuserAndNeverItsPassword(@TempDir Path dir) throws Exception {
        Path cfg = CliFixtures.config(dir);
        CliFixtures.useDcs(C);
        ClusterFixture.Run r = pgha("dsn", "-c", cfg.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("user=admin").endsWith("target_session_attrs=read-write\n");
        assertThat(r.out() + r.err()).doesNotContain("sup3r-secret-pw", "password");
        assertThat(pgha("dsn", "-c", cfg.toString(), "db1", "--role", "prefer-replica", "-d", "app", "-U", "app")
                        .out())
                .isEqualTo("host=127.0.0.1 port=5432 dbname=app user=app target_session_attrs=prefer-standby\n");
        assertThat(pgha("dsn", "-c", cfg.toString(), "--format", "uri").out()).startsWith("postgresql://admin@");
        ClusterFixture.Run bad = pgha("dsn", "-c", cfg.toString(), "--role", "leader");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("'leader' is not one of primary, replica, prefer-replica or any");
        ClusterFixture.Run unknown = pgha("dsn", "-c", cfg.toString(), "db9");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("no member db9 in cluster main");
    }
}
