package io.pgha.cli;

import io.pgha.agent.ClusterControl;
import io.pgha.agent.ControlException;
import io.pgha.core.config.ClientConfig;
import io.pgha.dcs.Dcs;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgha failover --to NODE}: promote a standby when no healthy primary is left. */
@Command(
        mixinStandardHelpOptions = true,
        name = "failover",
        description = "Promote a standby when no healthy primary is left (may lose unreplicated commits).")
final class FailoverCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(names = "--to", required = true, paramLabel = "NODE", description = "the standby to promote")
    String to;

    @Option(names = "--force", description = "do not ask for confirmation")
    boolean force;

    @Option(
            names = "--assume-primary-down",
            description = "promote even though no agent reports the last primary's PostgreSQL"
                    + " stopped: only after checking by hand that it is down, or two primaries take writes")
    boolean assumePrimaryDown;

    @Override
    public Integer call() throws Exception {
        ClientConfig cfg = cluster.client();
        try (Dcs dcs = cluster.connect(cfg)) {
            if (!Confirm.ask("Promote " + to + "? Commits it has not received are lost.", force)) {
                System.out.println("Aborted, nothing changed.");
                return 1;
            }
            try {
                new ClusterControl(dcs, System::currentTimeMillis).failover(to, assumePrimaryDown);
            } catch (ControlException e) {
                System.err.println("error: failover refused: " + e.getMessage());
                return 1;
            }
            System.out.println("Failover to " + to + " requested.");
            return Handover.await(dcs, to, 60_000);
        }
    }
}
