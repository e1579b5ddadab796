package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.decide.Decision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The first cycles of an agent in a new cluster. */
class AgentStartTest {
    @TempDir
    Path dir;

    private FakeCluster fakes;

    @AfterEach
    void closeAgents() {
        if (fakes != null) fakes.close();
    }

    @Test
    void aNewClustersBootstrapStartsBeforeTheFirstPublicationAndIsPublishedInTheSameCycle() throws Exception {
        fakes = new FakeCluster(dir);
        FakePostgres pg = new FakePostgres();
        pg.data = false;
        FakeCluster.Node n1 = fakes.node("n1", pg);
        List<Boolean> publishedAtInitdb = new ArrayList<>();
        pg.onInitdb =
                () -> publishedAtInitdb.add(fakes.store.snapshot().members().containsKey("n1"));
        Decision d = n1.cycle();
        assertThat(d).isInstanceOf(Decision.Bootstrap.class);
        assertThat(publishedAtInitdb)
                .as("initdb ran before the member's first publication (the claim on the initialize key decides)")
                .containsExactly(false);
        assertThat(fakes.store.snapshot().members())
                .as("published in the same cycle")
                .containsKey("n1");
        assertThat(fakes.store.snapshot().leader()).isEqualTo("n1");
    }
}
