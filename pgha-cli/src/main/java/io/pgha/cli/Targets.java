package io.pgha.cli;

import io.pgha.agent.RestView;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.Role;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which members {@code pgha dsn} and {@code pgha query} address: one named member, or the members
 * that can serve a role, best first, from the members the DCS knows now.
 */
final class Targets {
    /** What a connection wants from the server it reaches. */
    enum TargetRole {
        primary,
        replica,
        /** a standby when one is up, else the primary (libpq's prefer-standby) */
        preferReplica,
        any;

        static final String LIST = "primary, replica, prefer-replica or any";

        /** libpq's target_session_attrs for this role (PostgreSQL 14's libpq or newer for the standby ones). */
        String sessionAttrs() {
            return switch (this) {
                case primary -> "read-write";
                case replica -> "standby";
                case preferReplica -> "prefer-standby";
                case any -> null;
            };
        }

        /** pgJDBC's targetServerType for this role. */
        String serverType() {
            return switch (this) {
                case primary -> "primary";
                case replica -> "secondary";
                case preferReplica -> "preferSecondary";
                case any -> "any";
            };
        }

        static TargetRole parse(String text) {
            return switch (text) {
                case "primary" -> primary;
                case "replica", "standby" -> replica;
                case "prefer-replica", "prefer-standby" -> preferReplica;
                case "any" -> any;
                default -> throw new IllegalArgumentException("'" + text + "' is not one of " + LIST);
            };
        }
    }

    /** Reads {@code --role}: picocli's enum conversion cannot spell prefer-replica. */
    static final class RoleConverter implements picocli.CommandLine.ITypeConverter<TargetRole> {
        @Override
        public TargetRole convert(String text) {
            try {
                return TargetRole.parse(text);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** The values of {@code --role}, for shell completion. */
    static final class RoleNames extends ArrayList<String> {
        private static final long serialVersionUID = 1L;

        RoleNames() {
            super(List.of("primary", "replica", "prefer-replica", "any"));
        }
    }

    private Targets() {}

    /** The member called {@code name}, or an error listing the members there are. */
    static Member named(ClusterState c, String cluster, String name) {
        return c.member(name)
                .orElseThrow(() -> new IllegalArgumentException("no member " + name + " in cluster " + cluster
                        + (c.members().isEmpty()
                                ? " (no member is registered: are the agents running?)"
                                : " (members: "
                                        + String.join(", ", c.sortedMembers().keySet()) + ")")));
    }

    /**
     * Every member, in the order a client should try them for {@code role}: for the primary the
     * lease holder first; for replicas the running standbys first, least lagging first, the primary
     * last. All members stay in the list, so that a connection string keeps working when roles
     * change (libpq checks the role of each server it reaches).
     */
    static List<Member> ordered(ClusterState c, TargetRole role) {
        List<Member> l = new ArrayList<>(c.sortedMembers().values());
        Comparator<Member> leaderFirst =
                Comparator.comparing((Member m) -> !m.name().equals(c.leader()));
        Comparator<Member> standbysFirst = Comparator.comparing((Member m) -> !m.isRunningStandby())
                .thenComparing(m -> m.name().equals(c.leader()))
                .thenComparing(m -> {
                    Long lag = RestView.lagBytes(c, m);
                    return lag == null ? Long.MAX_VALUE : lag;
                });
        l.sort(role == TargetRole.primary || role == TargetRole.any ? leaderFirst : standbysFirst);
        return l;
    }

    /** The one member best placed to serve {@code role} now, or an error saying why there is none. */
    static Member pick(ClusterState c, String cluster, TargetRole role) {
        Member leader = c.leaderMember().orElse(null);
        boolean primaryUp = leader != null && leader.role() == Role.PRIMARY && leader.isRunningPrimary();
        switch (role) {
            case primary:
                if (!primaryUp) {
                    throw new IllegalStateException("no running primary in cluster " + cluster
                            + (leader == null
                                    ? ": nobody holds the leader lease"
                                    : ": the leader " + leader.name() + " is " + RestView.role(c, leader) + ", "
                                            + leader.state().label()));
                }
                return leader;
            case replica:
            case preferReplica:
                for (Member m : ordered(c, role)) if (m.isRunningStandby()) return m;
                if (role == TargetRole.preferReplica && primaryUp) return leader;
                throw new IllegalStateException("no running replica in cluster " + cluster);
            default:
                if (primaryUp) return leader;
                for (Member m : ordered(c, role)) if (m.state() == io.pgha.core.model.MemberState.RUNNING) return m;
                throw new IllegalStateException("no running member in cluster " + cluster);
        }
    }
}
