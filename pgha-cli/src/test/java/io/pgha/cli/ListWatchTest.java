package io.pgha.cli;

import static io.pgha.cli.CliFixtures.primary;
import static io.pgha.cli.CliFixtures.standby;
import static io.pgha.cli.CliFixtures.state;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.ClusterState;
import io.pgha.dcs.Json;
import io.pgha.testkit.InMemoryDcs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pgha list --watch}: rounds of the same view, each read afresh from the DCS. */
class ListWatchTest {
    private static final ClusterState BEFORE =
            state("db1", primary("db1", 5432), standby("db2", 5433, 0x3000000L, "db1"));
    private static final ClusterState AFTER =
            state("db2", primary("db2", 5433), standby("db1", 5432, 0x3000000L, "db2"));

    @AfterEach
    void realDcsAgain() {
        CliFixtures.noDcs();
    }

    @Test
    void jsonRoundsAreOneDocumentALineAndFollowTheCluster() throws Exception {
        InMemoryDcs.Store store = new InMemoryDcs.Store().load(BEFORE);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<Long> pauses = new ArrayList<>();
        try (InMemoryDcs dcs = store.connect()) {
            new ListCommand.Watch(dcs, "main", true, 2000, false)
                    .run(new PrintStream(bytes, true, StandardCharsets.UTF_8), 2, ms -> {
                        pauses.add(ms);
                        store.load(AFTER); // a switchover between the rounds
                    });
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(Json.parse(lines.get(0).getBytes(StandardCharsets.UTF_8), Map.class))
                .containsEntry("cluster", "main")
                .containsEntry("leader", "db1");
        assertThat(Json.parse(lines.get(1).getBytes(StandardCharsets.UTF_8), Map.class))
                .containsEntry("leader", "db2")
                .containsKey("routers");
        assertThat(pauses).hasSize(1);
        assertThat(pauses.get(0)).isBetween(1L, 2000L);
    }

    @Test
    void textRoundsClearTheScreenAndShowTheTable() throws Exception {
        InMemoryDcs.Store store = new InMemoryDcs.Store().load(BEFORE);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (InMemoryDcs dcs = store.connect()) {
            new ListCommand.Watch(dcs, "main", false, 500, true)
                    .run(new PrintStream(bytes, true, StandardCharsets.UTF_8), 3, ms -> {});
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out.split(java.util.regex.Pattern.quote(ListCommand.CLEAR), -1))
                .hasSize(4); // three rounds, each after a clear
        assertThat(out).contains("Every 0.5s: pgha list", "Cluster: main   leader: db1", "db2");
    }

    @Test
    void anUnreachableDcsIsShownAndTheWatchGoesOn() throws Exception {
        InMemoryDcs.Store store = new InMemoryDcs.Store().load(BEFORE);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (InMemoryDcs dcs = store.connect()) {
            store.reachable(false);
            new ListCommand.Watch(dcs, "main", false, 1000, false)
                    .run(new PrintStream(bytes, true, StandardCharsets.UTF_8), 2, ms -> store.reachable(true));
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("cannot read the cluster from the DCS");
        assertThat(out.substring(out.indexOf("cannot read"))).contains("Cluster: main   leader: db1");
    }

    @Test
    void theCommandRunsRoundsAndListWithoutWatchIsUnchanged(@TempDir Path dir) throws Exception {
        Path cfg = CliFixtures.config(dir);
        CliFixtures.useDcs(BEFORE);
        ClusterFixture.Run once = pgha("list", "-c", cfg.toString());
        assertThat(once.exitCode()).isZero();
        assertThat(once.out()).startsWith("Cluster: main   leader: db1").doesNotContain(ListCommand.CLEAR, "Every");
        ClusterFixture.Run json = pgha("list", "-c", cfg.toString(), "--format", "json");
        assertThat(json.out()).startsWith("{\n"); // pretty, as before

        ClusterFixture.Run watched =
                pgha("list", "-c", cfg.toString(), "--watch", "0.1", "--rounds", "2", "--format", "json");
        assertThat(watched.exitCode()).as(watched.err()).isZero();
        assertThat(watched.out().lines()).hasSize(2).allMatch(l -> l.startsWith("{\"cluster\":\"main\""));

        ClusterFixture.Run fallback = pgha("list", "-c", cfg.toString(), "--watch", "--rounds", "1");
        assertThat(fallback.out()).contains("Every 2s: pgha list");

        ClusterFixture.Run bad = pgha("list", "-c", cfg.toString(), "--watch", "0");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("--watch: 0.0 seconds is not between 0.1 and 86400");
    }

    /** An agent whose DCS session is not up answers the control socket with an error: the CLI reads the DCS itself. */
    @Test
    void anAgentWithoutADcsSessionDoesNotAnswerForTheCluster() {
        io.pgha.agent.Agent agent = new io.pgha.agent.Agent(io.pgha.core.config.ConfigReader.read(Map.of(
                "cluster", "main",
                "name", "db1",
                "data_dir", "/var/lib/pgha/db1/data",
                "dcs", Map.of("zookeeper", Map.of("connect", "127.0.0.1:1")))));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> LocalReads.handlers(agent).get("list").answer(List.of("text")))
                .hasMessage("the agent has no DCS session right now");
    }
}
