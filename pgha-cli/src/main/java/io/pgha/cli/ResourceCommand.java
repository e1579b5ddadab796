package io.pgha.cli;

import io.pgha.agent.ClusterControl;
import io.pgha.agent.resource.OcfDriver;
import io.pgha.agent.resource.OcfMetadata;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.Json;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgha resource}: resources (VIPs, OCF agents, scripts) and the OCF agents installed here. */
@Command(
        mixinStandardHelpOptions = true,
        name = "resource",
        description = "Manage resources (see docs/resources.md); 'pgha status' shows them.",
        subcommands = {
            ResourceCommand.Agents.class,
            ResourceCommand.Describe.class,
            ResourceCommand.Cleanup.class,
            ResourceCommand.Disable.class,
            ResourceCommand.Enable.class
        })
final class ResourceCommand {
    /** Where the OCF resource agents are installed (OCF_ROOT). */
    static final class OcfRoot {
        @Option(
                names = "--ocf-root",
                paramLabel = "DIR",
                description = "the OCF root (default: /usr/lib/ocf, from the resource-agents package)")
        Path root = OcfDriver.DEFAULT_OCF_ROOT;
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "agents",
            description = "List the OCF resource agents installed on this machine (ocf:PROVIDER:TYPE).")
    static final class Agents implements Callable<Integer> {
        @Mixin
        OcfRoot ocf;

        @Mixin
        FormatOption output;

        @Override
        public Integer call() {
            List<String> agents = OcfDriver.installedAgents(ocf.root);
            if (output.json()) System.out.println(Json.pretty(agents));
            else if (agents.isEmpty())
                System.out.println("No OCF resource agents under " + ocf.root
                        + " (install the resource-agents package, or give --ocf-root).");
            else agents.forEach(System.out::println);
            return 0;
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "describe",
            description = "Show an OCF agent's parameters and actions from its meta-data.")
    static final class Describe implements Callable<Integer> {
        @Mixin
        OcfRoot ocf;

        @Mixin
        FormatOption output;

        @Parameters(paramLabel = "AGENT", description = "ocf:PROVIDER:TYPE, e.g. ocf:heartbeat:IPaddr2")
        String agent;

        @Override
        public Integer call() throws Exception {
            OcfMetadata md = OcfDriver.metaData(ocf.root, agent, 10_000);
            if (output.json()) {
                java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("agent", agent);
                m.put("version", md.version());
                m.put("short_desc", md.shortDesc());
                m.put("long_desc", md.longDesc());
                java.util.List<Object> params = new java.util.ArrayList<>();
                for (OcfMetadata.Parameter p : md.parameters()) {
                    java.util.Map<String, Object> pm = new java.util.LinkedHashMap<>();
                    pm.put("name", p.name());
                    pm.put("required", p.required());
                    pm.put("unique", p.unique());
                    pm.put("type", p.type());
                    pm.put("default", p.defaultValue());
                    pm.put("short_desc", p.shortDesc());
                    params.add(pm);
                }
                m.put("parameters", params);
                java.util.List<Object> actions = new java.util.ArrayList<>();
                for (OcfMetadata.Action x : md.actions()) {
                    java.util.Map<String, Object> am = new java.util.LinkedHashMap<>();
                    am.put("name", x.name());
                    am.put("timeout", seconds(x.timeout()));
                    am.put("interval", seconds(x.interval()));
                    actions.add(am);
                }
                m.put("actions", actions);
                System.out.println(Json.pretty(m));
                return 0;
            }
            System.out.println(agent
                    + (md.version() == null || md.version().isBlank() ? "" : " " + md.version())
                    + (md.shortDesc() == null || md.shortDesc().isBlank() ? "" : ": " + md.shortDesc()));
            System.out.println();
            Table t = new Table("Parameter", "Required", "Type", "Default", "Description");
            for (OcfMetadata.Parameter p : md.parameters()) {
                t.add(
                        p.name(),
                        p.required() ? "yes" : "",
                        p.type() == null ? "" : p.type(),
                        p.defaultValue() == null ? "" : p.defaultValue(),
                        p.shortDesc() == null ? "" : p.shortDesc());
            }
            System.out.print(t.render());
            System.out.println();
            Table a = new Table("Action", "Timeout", "Interval");
            for (OcfMetadata.Action x : md.actions()) {
                a.add(x.name(), seconds(x.timeout()), seconds(x.interval()));
            }
            System.out.print(a.render());
            return 0;
        }
    }

    private static String seconds(java.time.Duration d) {
        if (d == null) return "";
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "cleanup",
            description = "Forget a resource's failures (on one member, or on all) so that it may run there again.")
    static final class Cleanup implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "RESOURCE", description = "the resource's name")
        String resource;

        @Option(names = "--node", paramLabel = "MEMBER", description = "only on this member (default: every member)")
        String node;

        @Override
        public Integer call() throws Exception {
            ClientConfig cfg = cluster.client();
            AgentClient agents = ClusterOptions.agents(cfg, "resource cleanup");
            int failed = 0;
            try (Dcs dcs = cluster.connect(cfg)) {
                ClusterState c = dcs.read();
                if (!c.config().resources().resources().containsKey(resource))
                    throw new IllegalArgumentException("no resource named '" + resource + "' (resources: "
                            + (c.config().resources().resources().isEmpty()
                                    ? "none"
                                    : String.join(
                                            ", ",
                                            c.config().resources().resources().keySet()))
                            + ")");
                if (node != null && c.member(node).isEmpty())
                    throw new IllegalArgumentException("no member named '" + node + "' (members: "
                            + c.sortedMembers().keySet() + ")");
                for (Member m : c.sortedMembers().values()) {
                    if (node != null && !node.equals(m.name())) continue;
                    try {
                        System.out.println(m.name() + ": "
                                + agents.call(m, "POST", "/resources/cleanup", java.util.Map.of("resource", resource)));
                    } catch (IllegalStateException e) {
                        System.err.println("error: " + e.getMessage());
                        failed++;
                    }
                }
            }
            return failed == 0 ? 0 : 1;
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "disable",
            description = "Stop a resource everywhere and leave it stopped (the database is not touched).")
    static final class Disable implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "RESOURCE", description = "the resource's name")
        String resource;

        @Override
        public Integer call() throws Exception {
            return set(cluster, resource, true);
        }
    }

    @Command(
            mixinStandardHelpOptions = true,
            name = "enable",
            description = "Manage a disabled resource again: it starts where its placement says.")
    static final class Enable implements Callable<Integer> {
        @Mixin
        ClusterOptions cluster;

        @Parameters(paramLabel = "RESOURCE", description = "the resource's name")
        String resource;

        @Override
        public Integer call() throws Exception {
            return set(cluster, resource, false);
        }
    }

    static int set(ClusterOptions cluster, String resource, boolean disabled) throws Exception {
        ClientConfig cfg = cluster.client();
        try (Dcs dcs = cluster.connect(cfg)) {
            new ClusterControl(dcs, System::currentTimeMillis).resourceDisabled(resource, disabled);
        }
        System.out.println("resource " + resource + (disabled ? " disabled: it stops everywhere." : " enabled."));
        return 0;
    }
}
