package io.pgha.cli;

import io.pgha.agent.PrimaryClusterCheck;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.StandbyCluster;
import io.pgha.dcs.Dcs;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pgha promote-cluster}: a standby cluster becomes a primary cluster (its standby leader
 * promotes), e.g. after the primary site was lost. Refused while the primary cluster may still
 * take writes, unless {@code --force}.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "promote-cluster",
        description = {
            "Turn this standby cluster into a primary cluster: its standby leader promotes and takes writes.",
            "Refused while the primary cluster still has a live primary (two sites taking writes diverge for good),"
                    + " unless --force."
        })
final class PromoteClusterCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(
            names = "--force",
            description = "promote even though the primary cluster may still take writes (or cannot be checked),"
                    + " and do not ask for confirmation")
    boolean force;

    @Option(
            names = "--yes",
            description = "do not ask for confirmation (the check of the primary cluster still applies)")
    boolean yes;

    @Option(
            names = "--wait",
            paramLabel = "SECONDS",
            defaultValue = "60",
            description = "how long to wait for the promotion (default: ${DEFAULT-VALUE})")
    int waitSeconds;

    @Override
    public Integer call() throws Exception {
        NodeConfig cfg = cluster.node(
                "promote-cluster",
                "checks, with that node's DCS and PostgreSQL credentials, that the primary cluster takes no writes");
        try (Dcs dcs = cluster.connect(cfg)) {
            ClusterState c = dcs.read();
            StandbyCluster sc = c.config().standbyCluster();
            if (sc == null) {
                System.err.println("error: " + cfg.cluster() + " is not a standby cluster (it takes writes already)");
                return 1;
            }
            Optional<String> live = PrimaryClusterCheck.mayTakeWrites(cfg, sc);
            if (live.isPresent() && !force) {
                System.err.println(
                        "error: promote-cluster refused: " + live.get() + ". Promoting " + cfg.cluster()
                                + " now would make two sites take writes that diverge for good. Stop the primary cluster"
                                + " (or make sure its site is down), then retry; or, having checked by hand, retry with --force");
                return 1;
            }
            if (live.isPresent()) System.err.println("warning: " + live.get() + "; promoting anyway (--force)");
            if (!Confirm.ask(
                    "Promote " + cfg.cluster() + " (standby leader " + (c.leader() == null ? "none yet" : c.leader())
                            + ") to a primary cluster? It stops following " + sc.describe() + ".",
                    force || yes)) {
                System.out.println("Aborted, nothing changed.");
                return 1;
            }
            dcs.updateConfig(d -> d.withStandbyCluster(null));
            System.out.println(
                    "standby_cluster removed from " + cfg.cluster() + "; its leader promotes within a cycle.");
            return awaitPrimary(dcs, waitSeconds * 1000L);
        }
    }

    private static int awaitPrimary(Dcs dcs, long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<Member> p = dcs.read().leaderMember().filter(Member::isRunningPrimary);
            if (p.isPresent()) {
                System.out.println(p.get().name() + " is now the primary (timeline "
                        + p.get().timeline() + ").");
                return 0;
            }
            Thread.sleep(200);
        }
        System.err.println("error: no primary within " + timeoutMs / 1000 + " s; see 'pgha list'");
        return 1;
    }
}
