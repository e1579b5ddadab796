package io.pgha.cli;

import static io.pgha.cli.CliFixtures.member;
import static io.pgha.cli.CliFixtures.primary;
import static io.pgha.cli.CliFixtures.standby;
import static io.pgha.cli.CliFixtures.state;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.dcs.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pgha topology}: the cascade under the leader, and what hangs from nothing at the end. */
class TopologyCommandTest {
    /** db1 leads; db2 and db4 follow it, db3 follows db2 (cascade); db5 follows a gone db9; db6 is stopped. */
    private static final ClusterState CASCADE = state(
            "db1",
            primary("db1", 5432),
            standby("db2", 5433, 0x2000000L, "db1"),
            standby("db3", 5434, 0x1000000L, "db2"),
            standby("db4", 5435, 0x3000000L, "db1"),
            standby("db5", 5436, 0x3000000L, "db9"),
            member("db6", 5437, Role.UNKNOWN, MemberState.STOPPED, 0, null));

    @AfterEach
    void realDcsAgain() {
        CliFixtures.noDcs();
    }

    @Test
    void standbysAreIndentedUnderWhatTheyFollow() {
        String out = TopologyCommand.Tree.of(CASCADE).render("main", CASCADE);
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0)).isEqualTo("Cluster: main   leader: db1");
        assertThat(lines.get(1)).startsWith("Member").contains("Role", "State", "TL", "Lag", "Address");
        assertThat(lines.get(3)).startsWith("db1 ").contains("primary", "running", "127.0.0.1:5432");
        assertThat(lines.get(4)).startsWith("|- db2 ").contains("standby", "16.0 MB");
        assertThat(lines.get(5)).startsWith("|  `- db3 ").contains("32.0 MB");
        assertThat(lines.get(6)).startsWith("`- db4 ").contains("0 B");
        assertThat(out).contains("Not under the leader:");
        String rest = out.substring(out.indexOf("Not under the leader:"));
        assertThat(rest).contains("Follows");
        assertThat(rest.lines().filter(l -> l.startsWith("db5 ")).findFirst().orElseThrow())
                .endsWith("db9 (not in the cluster)");
        assertThat(rest.lines().filter(l -> l.startsWith("db6 ")).findFirst().orElseThrow())
                .contains("stopped")
                .endsWith("nothing");
    }

    @Test
    void noLeaderAndALoopStillShowEveryMemberOnce() {
        ClusterState loop =
                state(null, standby("a", 5432, 0, "b"), standby("b", 5433, 0, "a"), standby("c", 5434, 0, "b"));
        TopologyCommand.Tree t = TopologyCommand.Tree.of(loop);
        assertThat(t.main()).isNull();
        String out = t.render("main", loop);
        assertThat(out).contains("(no leader: nobody holds the lease)");
        for (String m : List.of("a", "b", "c"))
            assertThat(out.lines().filter(l -> l.matches("[|` -]*" + m + " .*")))
                    .hasSize(1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonNestsTheFollowers(@TempDir Path dir) throws Exception {
        Path cfg = CliFixtures.config(dir);
        CliFixtures.useDcs(CASCADE);
        ClusterFixture.Run r = pgha("topology", "-c", cfg.toString(), "--format", "json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        Map<String, Object> v = Json.parse(r.out().getBytes(StandardCharsets.UTF_8), Map.class);
        Map<String, Object> top = (Map<String, Object>) v.get("topology");
        assertThat(top).containsEntry("name", "db1").containsEntry("role", "primary");
        List<Map<String, Object>> under = (List<Map<String, Object>>) top.get("followers");
        assertThat(under).extracting(m -> m.get("name")).containsExactly("db2", "db4");
        assertThat((List<Map<String, Object>>) under.get(0).get("followers"))
                .extracting(m -> m.get("name"))
                .containsExactly("db3");
        assertThat((List<Map<String, Object>>) v.get("detached"))
                .extracting(m -> m.get("name"))
                .containsExactly("db5", "db6");

        ClusterFixture.Run text = pgha("topology", "-c", cfg.toString());
        assertThat(text.out()).contains("|  `- db3");
    }
}
