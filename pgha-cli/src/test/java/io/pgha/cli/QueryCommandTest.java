package io.pgha.cli;

import static io.pgha.cli.CliFixtures.member;
import static io.pgha.cli.CliFixtures.primary;
import static io.pgha.cli.CliFixtures.standby;
import static io.pgha.cli.CliFixtures.state;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.cli.QueryCommand.Result;
import io.pgha.cli.Targets.TargetRole;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgha query}: which member runs the SQL, how results look, and errors that name the member.
 * (Running SQL on a real server is exercised against a demo cluster, see docs/cli.md.)
 */
class QueryCommandTest {
    @AfterEach
    void realDcsAgain() {
        CliFixtures.noDcs();
    }

    private static ClusterState cluster(int base) {
        return state(
                "db2",
                standby("db1", base, 0x1000000L, "db2"),
                primary("db2", base + 1),
                standby("db3", base + 2, 0x2000000L, "db2"),
                member("db4", base + 3, Role.UNKNOWN, MemberState.STOPPED, 0, null));
    }

    @Test
    void aRoleMeansTheMemberBestPlacedForItNow() {
        ClusterState c = cluster(5432);
        assertThat(Targets.pick(c, "main", TargetRole.primary).name()).isEqualTo("db2");
        assertThat(Targets.pick(c, "main", TargetRole.replica).name()).isEqualTo("db3"); // least lag
        assertThat(Targets.pick(c, "main", TargetRole.any).name()).isEqualTo("db2");

        ClusterState noLeader = state(null, standby("db1", 5432, 0, null));
        assertThatThrownBy(() -> Targets.pick(noLeader, "main", TargetRole.primary))
                .hasMessage("no running primary in cluster main: nobody holds the leader lease");
        assertThat(Targets.pick(noLeader, "main", TargetRole.any).name()).isEqualTo("db1");
        ClusterState alone = state("db2", primary("db2", 5433));
        assertThatThrownBy(() -> Targets.pick(alone, "main", TargetRole.replica))
                .hasMessage("no running replica in cluster main");
        assertThat(Targets.pick(alone, "main", TargetRole.preferReplica).name()).isEqualTo("db2");
    }

    @Test
    void resultsAreTablesWithRowCountsOrJson() {
        Result rows = new Result(
                List.of("name", "n", "note"), List.of(Arrays.asList("a", 1, null), Arrays.asList("bb", 22, "x")), -1);
        assertThat(QueryCommand.render(List.of(rows, Result.count(3), Result.count(1))))
                .isEqualTo("""
                        name  n   note
                        ----  --  ----
                        a     1
                        bb    22  x
                        (2 rows)

                        (3 rows affected)

                        (1 row affected)
                        """);
        assertThat(rows.json().get("rows").toString()).isEqualTo("[{name=a, n=1, note=null}, {name=bb, n=22, note=x}]");
        assertThat(Result.count(3).json()).containsEntry("update_count", 3L);
    }

    @Test
    void anUnreachableMemberIsNamedWithTheDriversError(@TempDir Path dir) throws Exception {
        int base = FreePorts.block(4);
        Path cfg = CliFixtures.config(dir);
        CliFixtures.useDcs(cluster(base));
        ClusterFixture.Run r = pgha("query", "-c", cfg.toString(), "db1", "select 1", "--connect-timeout", "2");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err())
                .startsWith(
                        "error: cannot connect to member db1 (127.0.0.1:" + base + ") as admin, database postgres: ")
                .contains("Connection")
                .doesNotContain("sup3r-secret-pw");
        ClusterFixture.Run primary = pgha("query", "-c", cfg.toString(), "select 1", "--connect-timeout", "2");
        assertThat(primary.err()).contains("member db2 (127.0.0.1:" + (base + 1) + ")");
        ClusterFixture.Run replica =
                pgha("query", "-c", cfg.toString(), "--role", "replica", "select 1", "--connect-timeout", "2");
        assertThat(replica.err()).contains("member db3 (127.0.0.1:" + (base + 2) + ")");
        ClusterFixture.Run unknown = pgha("query", "-c", cfg.toString(), "db9", "select 1");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.err()).contains("no member db9 in cluster main");
    }

    @Test
    void badCommandLinesAreUsageErrors(@TempDir Path dir) throws Exception {
        Path cfg = CliFixtures.config(dir);
        Path sql = Files.writeString(dir.resolve("q.sql"), "select 1");
        ClusterFixture.Run both = pgha("query", "-c", cfg.toString(), "db1", "--role", "primary", "select 1");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("give either MEMBER or --role, not both");
        ClusterFixture.Run none = pgha("query", "-c", cfg.toString());
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).contains("no SQL: give it as an argument or with -f FILE");
        ClusterFixture.Run twice = pgha("query", "-c", cfg.toString(), "db1", "select 1", "-f", sql.toString());
        assertThat(twice.exitCode()).isEqualTo(2);
        assertThat(twice.err()).contains("give either SQL or -f FILE, not both");
        ClusterFixture.Run missing = pgha(
                "query", "-c", cfg.toString(), "-f", dir.resolve("nope.sql").toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.sql: cannot read it");
    }
}
