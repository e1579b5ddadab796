package io.pgha.core.resource;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One resource of the cluster config ({@code resources:} in the dynamic config; see
 * docs/resources.md).
 *
 * @param name the resource's name, unique in the cluster
 * @param kind how it is driven
 * @param agent {@code ocf:PROVIDER:TYPE} for {@link Kind#OCF}, the executable's path for {@link
 *     Kind#SCRIPT}, null for {@link Kind#IP}
 * @param params the agent's parameters (OCF_RESKEY_*; for {@code ip}: address, interface, label)
 * @param with where it runs: with the primary, on one standby, on every standby, on every member
 *     or on the best-scored member
 * @param order when a resource that runs with the primary starts and stops against the role change
 * @param after resources that must run before this one starts (and stop only after it stopped)
 * @param location scores for nodes by name or tag
 * @param stickiness added to the score of the node where the resource runs now
 * @param migrationThreshold failures on a node before the resource leaves it (or, for a {@code
 *     critical} resource with the primary, before the primary role leaves it); 0: never
 * @param failureTimeoutMs a failure is forgotten after this long; 0: kept until {@code pgha resource
 *     cleanup}
 * @param critical a resource with the primary that cannot run there makes the primary hand its
 *     role to a standby
 * @param disabled stopped everywhere and not managed until enabled again
 * @param lsb a {@link Kind#SCRIPT} that is an LSB init script (status instead of monitor)
 * @param upScript UCARP-style: called as {@code up_script INTERFACE ADDRESS} after an ip is added
 * @param downScript called as {@code down_script INTERFACE ADDRESS} before an ip is removed
 * @param promotable an OCF agent or script with promote and demote actions, started on every member
 *     and promoted on the primary only (Pacemaker's promotable clone)
 */
public record ResourceSpec(
        String name,
        Kind kind,
        String agent,
        Map<String, String> params,
        With with,
        RoleOrder order,
        List<String> after,
        List<LocationRule> location,
        Score stickiness,
        long monitorIntervalMs,
        long monitorTimeoutMs,
        long startTimeoutMs,
        long stopTimeoutMs,
        int migrationThreshold,
        long failureTimeoutMs,
        boolean critical,
        boolean disabled,
        boolean lsb,
        String upScript,
        String downScript,
        boolean promotable) {

    public static final long DEFAULT_MONITOR_INTERVAL_MS = 10_000;
    public static final long DEFAULT_MONITOR_TIMEOUT_MS = 20_000;
    public static final long DEFAULT_START_TIMEOUT_MS = 20_000;
    public static final long DEFAULT_STOP_TIMEOUT_MS = 20_000;
    public static final int DEFAULT_MIGRATION_THRESHOLD = 3;

    public ResourceSpec {
        params = params == null ? Map.of() : Map.copyOf(params);
        after = after == null ? List.of() : List.copyOf(after);
        location = location == null ? List.of() : List.copyOf(location);
        stickiness = stickiness == null ? Score.ZERO : stickiness;
        order = order == null ? RoleOrder.AFTER_PROMOTE : order;
    }

    /** How a resource is driven. */
    public enum Kind {
        /** pgha's own virtual IP: {@code ip addr add/del} and gratuitous ARP. */
        IP,
        /** An OCF resource agent such as {@code ocf:heartbeat:IPaddr2}. */
        OCF,
        /** An executable with the OCF actions and exit codes, or an LSB init script. */
        SCRIPT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Colocation: where a resource runs. */
    public enum With {
        /** On the member holding the leader lease, and only there. */
        PRIMARY,
        /** On one standby (a floating read VIP), or on the primary while no standby can take it. */
        STANDBY,
        /** On every running standby (a clone). */
        STANDBYS,
        /** On every member (a clone). */
        EVERY,
        /** On the one member with the best score. */
        ANY;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether at most one member runs it at a time. */
        public boolean single() {
            return this == PRIMARY || this == STANDBY || this == ANY;
        }
    }

    /**
     * Ordering against PostgreSQL's role changes, for resources {@code with: primary}; for the
     * others only {@link #BEFORE_POSTGRESQL} means anything.
     */
    public enum RoleOrder {
        /** Up after the promotion, down before the demotion (a VIP). */
        AFTER_PROMOTE,
        /** Up before the promotion, down after the demotion (shared storage a promoted server needs). */
        BEFORE_PROMOTE,
        /** Up before PostgreSQL starts on the member, down after it stopped (a local filesystem). */
        BEFORE_POSTGRESQL;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * A location constraint: {@code score} for the node named {@code node}, or for every node whose
     * tag {@code tag} is set.
     */
    public record LocationRule(String node, String tag, Score score) {
        public String describe() {
            return (node != null ? "node " + node : "tag " + tag) + ": " + score;
        }
    }

    public boolean withPrimary() {
        return with == With.PRIMARY;
    }

    public String describe() {
        return name + " ("
                + (kind == Kind.IP ? "ip " + params.getOrDefault("address", "?") : kind.label() + " " + agent)
                + ", with " + with.label() + ")";
    }
}
