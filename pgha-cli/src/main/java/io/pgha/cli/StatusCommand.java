package io.pgha.cli;

import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.resource.Fencing;
import io.pgha.core.resource.ResourceReport;
import io.pgha.core.resource.ResourceStatus;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgha status}: the members and every resource, crm_mon style: where each resource runs,
 * where it should run and the constraint that placed it, fail counts and the last result.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "status",
        description = "Show the members and every resource: state, node, fail counts, last result and the"
                + " constraint that placed it (like crm_mon).")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    FormatOption output;

    @Mixin
    WatchOption watch;

    @Override
    public Integer call() throws Exception {
        boolean watching = watch.on();
        ClientConfig cfg = cluster.client();
        if (!watching && cluster.printedByLocalAgent(cfg, "status", output.json())) return 0;
        try (Dcs dcs = cluster.connect(cfg)) {
            if (!watching) {
                System.out.print(show(cfg.cluster(), dcs, output.json(), true));
                return 0;
            }
            watch.run(dcs, cfg.cluster(), output.json(), "pgha status", StatusCommand::show);
        }
        return 0;
    }

    static String show(String name, Dcs dcs, boolean json, boolean pretty) throws DcsException {
        ClusterState c = dcs.read();
        if (json) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("cluster", name);
            v.put("leader", c.leader());
            v.put("members", c.sortedMembers().keySet());
            v.put("maintenance", c.config().resources().maintenance());
            v.put("fencing", c.config().resources().fencing().mode().label());
            v.put("resources", io.pgha.agent.RestView.resources(c));
            return (pretty ? Json.pretty(v) : Json.text(v)) + "\n";
        }
        return render(name, c);
    }

    static String render(String name, ClusterState c) {
        StringBuilder out = new StringBuilder();
        var rc = c.config().resources();
        out.append("Cluster ").append(name).append(": ");
        out.append(c.leader() == null ? "no primary" : "primary " + c.leader());
        List<String> members = new ArrayList<>();
        for (Member m : c.sortedMembers().values()) {
            members.add(m.name() + " (" + m.role().label() + ", " + m.state().label()
                    + (rc.maintenance().contains(m.name()) ? ", maintenance" : "") + ")");
        }
        out.append("; members: ")
                .append(members.isEmpty() ? "none" : String.join(", ", members))
                .append('\n');
        Fencing f = rc.fencing();
        out.append("Fencing: ").append(f.mode().label());
        if (!f.devices().isEmpty())
            out.append(" (devices: ")
                    .append(String.join(", ", f.devices().keySet()))
                    .append(')');
        out.append('\n');
        List<ResourceReport.Row> rows = ResourceReport.rows(c);
        if (rows.isEmpty()) {
            out.append("No resources configured (see docs/resources.md).\n");
            return out.toString();
        }
        out.append('\n');
        Table t = new Table("Resource", "Kind", "Agent", "With", "Running on", "Should run on", "Fail counts", "Why");
        for (ResourceReport.Row r : rows) {
            List<String> fails = new ArrayList<>();
            r.members().forEach((m, s) -> {
                if (s.failCount() > 0) fails.add(m + "=" + (s.failCount() >= 1_000_000 ? "INFINITY" : s.failCount()));
            });
            t.add(
                    r.name() + (r.disabled() ? " (disabled)" : ""),
                    r.kind(),
                    r.agent(),
                    r.with(),
                    r.runningOn().isEmpty()
                            ? "-"
                            : String.join(
                                    ", ",
                                    r.runningOn().stream()
                                            .map(m -> r.members().get(m).promoted() ? m + " (promoted)" : m)
                                            .toList()),
                    r.target().isEmpty() ? "-" : String.join(", ", r.target()),
                    fails.isEmpty() ? "-" : String.join(", ", fails),
                    r.why());
        }
        out.append(t.render());
        List<String> notes = new ArrayList<>();
        for (ResourceReport.Row r : rows) {
            r.members().forEach((m, s) -> {
                boolean unusual =
                        s.state() != ResourceStatus.State.STARTED && s.state() != ResourceStatus.State.STOPPED;
                boolean waits =
                        r.target().contains(m) && s.state() == ResourceStatus.State.STOPPED && s.reason() != null;
                if (unusual || waits) {
                    notes.add("  " + r.name() + " on " + m + ": " + s.state().label()
                            + (s.reason() == null ? "" : ", " + s.reason())
                            + (s.lastResult() == null ? "" : " (last: " + s.lastResult() + ")"));
                }
            });
        }
        if (!notes.isEmpty())
            out.append('\n')
                    .append("Details:\n")
                    .append(String.join("\n", notes))
                    .append('\n');
        return out.toString();
    }
}
