package io.pgha.core.resource;

import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A fluent builder of cluster views for the resource planner's tables. */
final class View {
    private String leader;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, Object> settings = new LinkedHashMap<>();
    private final Map<String, ResourceStatus> mine = new HashMap<>();
    private boolean leaseHeld;
    private boolean promoted;

    static View of() {
        return new View();
    }

    View resources(Map<String, Object> resources) {
        settings.put("resources", resources);
        return this;
    }

    View setting(String key, Object value) {
        settings.put(key, value);
        return this;
    }

    View primary(String name, ResourceStatus.State... states) {
        leader = name;
        return member(name, Role.PRIMARY, Tags.NONE, states);
    }

    View standby(String name, ResourceStatus.State... states) {
        return member(name, Role.STANDBY, Tags.NONE, states);
    }

    View standby(String name, Tags tags) {
        return member(name, Role.STANDBY, tags);
    }

    View noLeader() {
        leader = null;
        return this;
    }

    /**
     * A member; {@code states} are its published states of the resources, in the order
     * "vip", "fs", "app", "read" (for the resources the tables use).
     */
    private View member(String name, Role role, Tags tags, ResourceStatus.State... states) {
        members.put(name, member(name, role, tags, published(states)));
        return this;
    }

    static Map<String, ResourceStatus> published(ResourceStatus.State... states) {
        Map<String, ResourceStatus> out = new HashMap<>();
        List<String> names = List.of("vip", "fs", "app", "read");
        for (int i = 0; i < states.length; i++) out.put(names.get(i), new ResourceStatus(states[i], 0, null, 0, null));
        return out;
    }

    View published(String member, String resource, ResourceStatus status) {
        Member m = members.get(member);
        Map<String, ResourceStatus> r = new HashMap<>(m.resources());
        r.put(resource, status);
        members.put(member, member(m.name(), m.role(), m.tags(), r));
        return this;
    }

    private static Member member(String name, Role role, Tags tags, Map<String, ResourceStatus> resources) {
        return new Member(
                name,
                "http://" + name,
                name,
                5432,
                role,
                MemberState.RUNNING,
                1,
                new Lsn(100),
                new Lsn(100),
                role == Role.STANDBY ? "n1" : null,
                role == Role.STANDBY,
                tags,
                "",
                0,
                "off",
                null,
                null,
                false,
                null,
                null,
                resources);
    }

    /** This member's own view ("n1" unless {@link #as} says otherwise). */
    View mine(String resource, ResourceStatus.State state) {
        mine.put(resource, new ResourceStatus(state, 0, null, 0, null));
        return this;
    }

    View mine(String resource, ResourceStatus status) {
        mine.put(resource, status);
        return this;
    }

    View lease() {
        leaseHeld = true;
        promoted = true;
        return this;
    }

    View leaseNotPromoted() {
        leaseHeld = true;
        promoted = false;
        return this;
    }

    ClusterState cluster() {
        DynamicConfig config = DynamicSettings.apply(DynamicConfig.DEFAULT, settings);
        return new ClusterState("1", leader, members, config, null, Lsn.ZERO, List.of(), null, java.util.Set.of());
    }

    ResourcePlanner.Plan planFor(String me) {
        return ResourcePlanner.plan(new ResourcePlanner.Input(me, cluster(), leaseHeld, promoted, mine));
    }

    static Map<String, Object> vip() {
        return Map.of("kind", "ip", "address", "10.0.0.100/24", "with", "primary");
    }

    static Map<String, Object> spec(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
