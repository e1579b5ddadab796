package io.pgha.core.resource;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every resource of the cluster as one DCS read shows it, crm_mon style: where it should run and
 * why, and its state, fail count and last result on each member that reports it. {@code pgha
 * status} and REST {@code GET /resources} show this.
 */
public final class ResourceReport {
    private ResourceReport() {}

    /**
     * One resource.
     *
     * @param target the members that should run it
     * @param why the constraint that placed it, or why it runs nowhere
     * @param members its state on each member that reports it
     * @param runningOn the members where it runs now
     */
    public record Row(
            String name,
            String kind,
            String agent,
            String with,
            boolean disabled,
            List<String> target,
            String why,
            Map<String, ResourceStatus> members,
            List<String> runningOn) {}

    public static List<Row> rows(ClusterState c) {
        ResourceConfig rc = c.config().resources();
        Map<String, ResourcePlanner.Target> targets = ResourcePlanner.place(c, null, null);
        List<Row> out = new ArrayList<>();
        for (ResourceSpec r : rc.resources().values()) {
            Map<String, ResourceStatus> per = new LinkedHashMap<>();
            List<String> running = new ArrayList<>();
            for (Member m : c.sortedMembers().values()) {
                ResourceStatus s = m.resources().get(r.name());
                if (s == null) continue;
                per.put(m.name(), s);
                if (s.state() == ResourceStatus.State.STARTED) running.add(m.name());
            }
            ResourcePlanner.Target t = targets.get(r.name());
            out.add(new Row(
                    r.name(),
                    r.lsb() ? "lsb" : r.kind().label(),
                    r.kind() == ResourceSpec.Kind.IP ? r.params().get("address") : r.agent(),
                    r.with().label(),
                    r.disabled(),
                    t.nodes(),
                    t.why(),
                    per,
                    running));
        }
        return out;
    }
}
