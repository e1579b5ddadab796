package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.DynamicConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The calls of a leader race run warm: each agent runs them once against itself as soon as it is
 * a running standby (a candidate in the next race), and only once.
 */
class PeerWarmUpTest {
    @TempDir
    Path dir;

    private FakeCluster fakes;

    @BeforeEach
    void makeFakes() {
        fakes = new FakeCluster(dir);
    }

    @AfterEach
    void closeAgents() {
        fakes.close();
    }

    @Test
    void eachStandbyWarmsItsPeerCallsUpOnceAndThePrimaryDoesNot() throws Exception {
        fakes.healthy(DynamicConfig.DEFAULT);
        for (int round = 0; round < 3; round++) {
            for (FakeCluster.Node n : fakes.nodes.values()) n.cycle();
        }
        assertThat(fakes.peers.warmedUp).containsExactlyInAnyOrder("n2", "n3");
    }
}
