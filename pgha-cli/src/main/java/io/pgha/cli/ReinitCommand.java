package io.pgha.cli;

import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.Member;
import io.pgha.dcs.Dcs;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgha reinit MEMBER}: the member's data directory is wiped and cloned again from the primary. */
@Command(
        mixinStandardHelpOptions = true,
        name = "reinit",
        description = "Wipe a standby's data directory and clone it again from the primary.")
final class ReinitCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Parameters(paramLabel = "MEMBER", description = "the standby to rebuild")
    String member;

    @Option(names = "--force", description = "do not ask for confirmation")
    boolean force;

    @Override
    public Integer call() throws Exception {
        ClientConfig cfg = cluster.client();
        AgentClient agents = ClusterOptions.agents(cfg, "reinit");
        try (Dcs dcs = cluster.connect(cfg)) {
            var c = dcs.read();
            Member m = c.member(member)
                    .orElseThrow(() -> new IllegalArgumentException("no member named '" + member + "' (members: "
                            + c.sortedMembers().keySet() + ")"));
            if (!Confirm.ask("Wipe the data directory of " + member + " and clone it again?", force)) {
                System.out.println("Aborted, nothing changed.");
                return 1;
            }
            System.out.println(member + ": " + agents.post(m, "/reinitialize"));
        }
        return 0;
    }
}
