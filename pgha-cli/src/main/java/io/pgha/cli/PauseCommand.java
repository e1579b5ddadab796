package io.pgha.cli;

import io.pgha.agent.ClusterControl;
import io.pgha.core.config.ClientConfig;
import io.pgha.dcs.Dcs;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code pgha pause}: maintenance mode, agents take no automatic action. */
@Command(
        mixinStandardHelpOptions = true,
        name = "pause",
        description = "Enter maintenance mode: agents take no automatic action until 'pgha resume'.")
final class PauseCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        return set(cluster, true);
    }

    static int set(ClusterOptions cluster, boolean paused) throws Exception {
        ClientConfig cfg = cluster.client();
        try (Dcs dcs = cluster.connect(cfg)) {
            new ClusterControl(dcs, System::currentTimeMillis).pause(paused);
            System.out.println(
                    paused
                            ? "Cluster " + cfg.cluster() + " paused: no automatic failover until 'pgha resume'."
                            : "Cluster " + cfg.cluster() + " resumed: automatic failover is on.");
        }
        return 0;
    }
}
