package io.pgha.core.resource;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The resource part of the dynamic config: the resources, fencing, the members in maintenance and
 * the optional placement of the primary role itself.
 *
 * @param resources by name, in the order they were written
 * @param maintenance members whose resources pgha leaves alone (neither started, stopped nor
 *     monitored) and that never take a resource from another member; failover is not affected
 *     (that is {@code pgha pause})
 * @param primaryPlacement scores for the primary role itself; null: the primary stays where it is
 */
public record ResourceConfig(
        Map<String, ResourceSpec> resources,
        Fencing fencing,
        Set<String> maintenance,
        PrimaryPlacement primaryPlacement) {
    public static final ResourceConfig NONE = new ResourceConfig(Map.of(), Fencing.OFF, Set.of(), null);

    public ResourceConfig {
        resources = resources == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(resources));
        fencing = fencing == null ? Fencing.OFF : fencing;
        maintenance = maintenance == null ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(maintenance));
    }

    public boolean empty() {
        return resources.isEmpty()
                && fencing.mode() == Fencing.Mode.OFF
                && maintenance.isEmpty()
                && primaryPlacement == null;
    }

    public ResourceConfig withMaintenance(Set<String> m) {
        return new ResourceConfig(resources, fencing, m, primaryPlacement);
    }

    /**
     * Failback of the primary role: when a member scores more than the primary's score plus {@code
     * stickiness}, is healthy and has caught up, the primary switches over to it.
     */
    public record PrimaryPlacement(java.util.List<ResourceSpec.LocationRule> location, Score stickiness) {
        public PrimaryPlacement {
            location = location == null ? java.util.List.of() : java.util.List.copyOf(location);
            stickiness = stickiness == null ? Score.ZERO : stickiness;
        }
    }
}
