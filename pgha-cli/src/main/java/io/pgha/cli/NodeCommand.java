package io.pgha.cli;

import io.pgha.agent.ClusterControl;
import io.pgha.core.config.ClientConfig;
import io.pgha.dcs.Dcs;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code pgha node}: per-member settings. */
@Command(
        mixinStandardHelpOptions = true,
        name = "node",
        description = "Per-member settings.",
        subcommands = {NodeCommand.Maintenance.class})
final class NodeCommand {
    /** {@code pgha node maintenance on|off MEMBER}. */
    @Command(
            mixinStandardHelpOptions = true,
            name = "maintenance",
            description = "Put a member in maintenance (on) or take it out (off). pgha neither starts, stops nor"
                    + " monitors resources on a member in maintenance, and moves no resource to it; PostgreSQL"
                    + " and failover are not affected (use 'pgha pause' for those).")
    static final class Maintenance implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(index = "0", paramLabel = "on|off", description = "on or off")
        String state;

        @Parameters(index = "1", paramLabel = "MEMBER", description = "the member's name")
        String member;

        @Override
        public Integer call() throws Exception {
            boolean on = switch (state.toLowerCase(java.util.Locale.ROOT)) {
                case "on", "true", "yes" -> true;
                case "off", "false", "no" -> false;
                default -> throw new IllegalArgumentException("'" + state + "' is not on or off");
            };
            ClientConfig cfg = cluster.client();
            try (Dcs dcs = cluster.connect(cfg)) {
                new ClusterControl(dcs, System::currentTimeMillis).maintenance(member, on);
            }
            System.out.println(
                    on
                            ? member
                                    + " is in maintenance: its resources are left as they are until 'pgha node maintenance off "
                                    + member + "'."
                            : member + " is out of maintenance: pgha manages its resources again.");
            return 0;
        }
    }
}
