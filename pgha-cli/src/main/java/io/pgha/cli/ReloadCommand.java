package io.pgha.cli;

import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.Dcs;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code pgha reload}: members rewrite PostgreSQL's config files and reload them. */
@Command(
        mixinStandardHelpOptions = true,
        name = "reload",
        description = "Make PostgreSQL reload its configuration on members (all when none is named).")
final class ReloadCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Parameters(paramLabel = "MEMBER", arity = "0..*", description = "members to reload (default: all)")
    List<String> members = List.of();

    @Override
    public Integer call() throws Exception {
        ClientConfig cfg = cluster.client();
        AgentClient agents = ClusterOptions.agents(cfg, "reload");
        int failed = 0;
        try (Dcs dcs = cluster.connect(cfg)) {
            ClusterState c = dcs.read();
            for (String m : members) {
                if (c.member(m).isEmpty())
                    throw new IllegalArgumentException("no member named '" + m + "' (members: "
                            + c.sortedMembers().keySet() + ")");
            }
            for (Member m : c.sortedMembers().values()) {
                if (!members.isEmpty() && !members.contains(m.name())) continue;
                try {
                    System.out.println(m.name() + ": " + agents.post(m, "/reload"));
                } catch (IllegalStateException e) {
                    System.err.println("error: " + e.getMessage());
                    failed++;
                }
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
