package io.pgha.core.resource;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.Tags;
import io.pgha.core.resource.ResourceSpec.LocationRule;
import io.pgha.core.resource.ResourceSpec.RoleOrder;
import io.pgha.core.resource.ResourceSpec.With;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where every resource runs, and what one member does about it: a pure function of one DCS read,
 * the member's own view of its resources and whether it holds the leader lease. Every agent
 * computes the same {@link Target}s from the same read and acts only on its own node.
 *
 * <p>The rules that keep resources from ever disagreeing with the database:
 *
 * <ul>
 *   <li>A resource {@code with: primary} starts only on the member that holds the lease (and, by
 *       default, only once its PostgreSQL was promoted); a member without the lease stops it.
 *   <li>A single-instance resource ({@code primary}, {@code standby}, {@code any}) starts only while
 *       no other member's record says it may hold it (started, starting, stopping, failed, or a stop
 *       that failed). A member that lost the DCS has lost its record with its session, and stopped
 *       what it held first (the agent's part).
 *   <li>A resource starts only after the resources it comes {@code after}; a resource stops before
 *       those it depends on.
 * </ul>
 */
public final class ResourcePlanner {
    private ResourcePlanner() {}

    /**
     * What one member knows when it plans.
     *
     * @param me this member's name
     * @param cluster the last DCS read (members with their published resource states, the leader, the
     *     config)
     * @param leaseHeld this member holds a valid leader lease
     * @param primaryRunning this member's PostgreSQL runs as a primary (promoted)
     * @param mine this member's resources as its agent sees them now (fresher than its record)
     */
    public record Input(
            String me,
            ClusterState cluster,
            boolean leaseHeld,
            boolean primaryRunning,
            Map<String, ResourceStatus> mine) {
        public Input {
            mine = mine == null ? Map.of() : Map.copyOf(mine);
        }
    }

    public enum Op {
        START,
        STOP,
        /** A promotable resource takes its promoted role (on the primary, after the promotion). */
        PROMOTE,
        /** ... and leaves it (before the demotion, and before it stops). */
        DEMOTE
    }

    /** One action for this member, with the reason it is shown with. */
    public record Step(Op op, String resource, String reason) {}

    /**
     * Where a resource should run.
     *
     * @param nodes the members that should run it (empty: nowhere)
     * @param why the constraint that placed it, or why it runs nowhere
     */
    public record Target(String resource, List<String> nodes, String why) {}

    /**
     * @param steps stops first (dependents before what they depend on), then starts
     * @param targets every resource's placement
     * @param waiting resources this member should run but does not start yet, with the reason
     * @param giveUpPrimary set when this primary cannot run a critical resource: it should hand the
     *     primary role to a standby
     * @param failbackTo a member the primary role prefers (primary_placement) over this primary by
     *     more than the stickiness
     * @param blockingPostgres resources that must run before PostgreSQL starts on this member and do
     *     not run yet
     */
    public record Plan(
            List<Step> steps,
            Map<String, Target> targets,
            Map<String, String> waiting,
            String giveUpPrimary,
            String failbackTo,
            List<String> blockingPostgres) {}

    public static Plan plan(Input in) {
        ClusterState c = in.cluster();
        ResourceConfig rc = c.config().resources();
        Map<String, Target> targets = place(c, in.me(), in.mine());
        List<ResourceSpec> ordered = topological(rc.resources());
        Map<String, String> waiting = new LinkedHashMap<>();
        List<String> blockingPostgres = new ArrayList<>();
        if (rc.maintenance().contains(in.me())) {
            for (ResourceSpec r : ordered) waiting.put(r.name(), "not managed: " + in.me() + " is in maintenance");
            return new Plan(List.of(), targets, waiting, null, null, List.of());
        }
        Set<String> stops = new LinkedHashSet<>();
        Set<String> starts = new LinkedHashSet<>();
        Map<String, String> reasons = new HashMap<>();
        for (ResourceSpec r : ordered) {
            ResourceStatus st = in.mine().getOrDefault(r.name(), ResourceStatus.STOPPED);
            Target t = targets.get(r.name());
            boolean desired = t.nodes().contains(in.me()) && (!r.withPrimary() || in.leaseHeld());
            if (st.state() == ResourceStatus.State.BLOCKED) {
                waiting.put(
                        r.name(),
                        "a stop failed: it may still run here; clear it with pgha resource cleanup " + r.name());
                continue;
            }
            if (st.state() == ResourceStatus.State.STARTING || st.state() == ResourceStatus.State.STOPPING) continue;
            if (!desired) {
                if (st.state().mayHold()) {
                    stops.add(r.name());
                    reasons.put(
                            r.name(),
                            t.nodes().contains(in.me()) ? "this member does not hold the leader lease" : t.why());
                }
                continue;
            }
            if (st.state() == ResourceStatus.State.STARTED) continue;
            if (st.state() == ResourceStatus.State.FAILED) {
                stops.add(r.name());
                reasons.put(
                        r.name(),
                        "recovering after a failure (" + st.failCount() + " of "
                                + (r.migrationThreshold() == 0 ? "unlimited" : r.migrationThreshold()) + ")");
            }
            String hold = startHold(in, r, starts);
            if (hold != null) {
                waiting.put(r.name(), hold);
                if (r.order() == RoleOrder.BEFORE_POSTGRESQL) blockingPostgres.add(r.name());
                continue;
            }
            starts.add(r.name());
            if (!reasons.containsKey(r.name())) reasons.put(r.name(), t.why());
            if (r.order() == RoleOrder.BEFORE_POSTGRESQL) blockingPostgres.add(r.name());
        }
        // a resource stops before the ones it comes after
        boolean grew = true;
        while (grew) {
            grew = false;
            for (ResourceSpec r : ordered) {
                if (stops.contains(r.name())) continue;
                ResourceStatus st = in.mine().getOrDefault(r.name(), ResourceStatus.STOPPED);
                if (!st.state().mayHold() || st.state() == ResourceStatus.State.BLOCKED) continue;
                for (String dep : r.after()) {
                    if (stops.contains(dep)) {
                        stops.add(r.name());
                        reasons.put(r.name(), "stops before " + dep + ", which it comes after");
                        starts.remove(r.name());
                        grew = true;
                        break;
                    }
                }
            }
        }
        List<Step> steps = new ArrayList<>();
        // promotable resources: demoted first (before anything stops), promoted last
        List<Step> promotes = new ArrayList<>();
        for (ResourceSpec r : ordered) {
            if (!r.promotable()) continue;
            ResourceStatus st = in.mine().getOrDefault(r.name(), ResourceStatus.STOPPED);
            boolean running = st.state() == ResourceStatus.State.STARTED || starts.contains(r.name());
            boolean want = running
                    && !stops.contains(r.name())
                    && in.leaseHeld()
                    && in.primaryRunning()
                    && in.me().equals(in.cluster().leader());
            if (st.promoted() && st.state().mayHold() && (!want || stops.contains(r.name()))) {
                steps.add(new Step(Op.DEMOTE, r.name(), "promoted only on the primary holding the lease"));
            } else if (want && !st.promoted()) {
                String other = promotedElsewhere(in, r.name());
                if (other != null) waiting.put(r.name(), "waits until " + other + " has demoted it");
                else promotes.add(new Step(Op.PROMOTE, r.name(), "promoted with the primary " + in.me()));
            }
        }
        for (int i = ordered.size() - 1; i >= 0; i--) {
            String n = ordered.get(i).name();
            if (stops.contains(n)) steps.add(new Step(Op.STOP, n, reasons.get(n)));
        }
        for (ResourceSpec r : ordered) {
            if (starts.contains(r.name())) steps.add(new Step(Op.START, r.name(), reasons.get(r.name())));
        }
        steps.addAll(promotes);
        return new Plan(
                List.copyOf(steps),
                targets,
                waiting,
                giveUpPrimary(in, rc),
                failbackTo(in, rc),
                List.copyOf(blockingPostgres));
    }

    /** Why {@code r} cannot start on this member now, or null. */
    private static String startHold(Input in, ResourceSpec r, Set<String> startingNow) {
        ClusterState c = in.cluster();
        if (r.withPrimary() && r.order() == RoleOrder.AFTER_PROMOTE && !in.primaryRunning())
            return "waits for the promotion of " + in.me();
        if (r.with().single()) {
            for (Member m : c.members().values()) {
                if (m.name().equals(in.me())) continue;
                ResourceStatus other = m.resources().get(r.name());
                if (other != null && other.state().mayHold())
                    return "waits until " + m.name() + " has stopped it ("
                            + other.state().label() + " there)";
            }
        }
        for (String dep : r.after()) {
            ResourceStatus mineDep = in.mine().getOrDefault(dep, ResourceStatus.STOPPED);
            if (mineDep.state() == ResourceStatus.State.STARTED || startingNow.contains(dep)) continue;
            boolean elsewhere = c.members().values().stream()
                    .anyMatch(m -> !m.name().equals(in.me())
                            && m.resources()
                                            .getOrDefault(dep, ResourceStatus.STOPPED)
                                            .state()
                                    == ResourceStatus.State.STARTED);
            ResourceSpec d = c.config().resources().resources().get(dep);
            boolean placedHere = d != null && !d.disabled() && runsHereIfAnywhere(d);
            if (elsewhere && !placedHere) continue;
            return "waits for " + dep + ", which it comes after";
        }
        return null;
    }

    /** Another member whose record says it runs {@code resource} promoted, or null. */
    private static String promotedElsewhere(Input in, String resource) {
        for (Member m : in.cluster().members().values()) {
            if (m.name().equals(in.me())) continue;
            ResourceStatus other = m.resources().get(resource);
            if (other != null && other.promoted()) return m.name();
        }
        return null;
    }

    /** Clones and resources with the primary run beside this one when they run at all. */
    private static boolean runsHereIfAnywhere(ResourceSpec d) {
        return d.with() == With.PRIMARY || d.with() == With.EVERY || d.with() == With.STANDBYS;
    }

    // ------------------------------------------------------------------ placement

    /** Every resource's target, from the DCS read (and this member's fresher view of itself). */
    public static Map<String, Target> place(ClusterState c, String me, Map<String, ResourceStatus> mine) {
        ResourceConfig rc = c.config().resources();
        Map<String, Target> out = new LinkedHashMap<>();
        Map<String, Integer> standbyLoad = new HashMap<>();
        for (ResourceSpec r : rc.resources().values()) {
            out.put(r.name(), target(c, rc, r, me, mine, standbyLoad));
        }
        return out;
    }

    private static Target target(
            ClusterState c,
            ResourceConfig rc,
            ResourceSpec r,
            String me,
            Map<String, ResourceStatus> mine,
            Map<String, Integer> standbyLoad) {
        if (r.disabled()) return new Target(r.name(), List.of(), "disabled");
        String leader = c.leader();
        switch (r.with()) {
            case PRIMARY -> {
                if (leader == null) return new Target(r.name(), List.of(), "no member holds the leader lease");
                String why = ineligible(c, rc, r, leader, me, mine);
                if (why != null)
                    return new Target(r.name(), List.of(), "cannot run with the primary " + leader + ": " + why);
                return new Target(r.name(), List.of(leader), "with the primary " + leader);
            }
            case STANDBYS, EVERY -> {
                List<String> nodes = new ArrayList<>();
                for (Member m : sortedMembers(c)) {
                    if (r.with() == With.STANDBYS && !m.isRunningStandby()) continue;
                    if (ineligible(c, rc, r, m.name(), me, mine) == null) nodes.add(m.name());
                }
                return new Target(
                        r.name(), nodes, r.with() == With.EVERY ? "on every member" : "on every running standby");
            }
            case STANDBY, ANY -> {
                List<Member> candidates = new ArrayList<>();
                for (Member m : sortedMembers(c)) {
                    if (r.with() == With.STANDBY && !m.isRunningStandby()) continue;
                    if (ineligible(c, rc, r, m.name(), me, mine) == null) candidates.add(m);
                }
                if (candidates.isEmpty()) {
                    if (r.with() == With.STANDBY && leader != null && ineligible(c, rc, r, leader, me, mine) == null)
                        return new Target(r.name(), List.of(leader), "no standby can run it: on the primary " + leader);
                    return new Target(r.name(), List.of(), "no member can run it");
                }
                Comparator<Member> best = Comparator.<Member, Score>comparing(m -> score(r, m, me, mine, true))
                        .reversed()
                        .thenComparing(m -> r.with() == With.STANDBY ? standbyLoad.getOrDefault(m.name(), 0) : 0)
                        .thenComparing(Member::name);
                Member chosen = candidates.stream().sorted(best).findFirst().orElseThrow();
                if (r.with() == With.STANDBY) standbyLoad.merge(chosen.name(), 1, Integer::sum);
                Score s = score(r, chosen, me, mine, true);
                return new Target(
                        r.name(),
                        List.of(chosen.name()),
                        (r.with() == With.STANDBY ? "on the standby " : "on ") + chosen.name() + " (score " + s
                                + (running(r, chosen, me, mine)
                                                && r.stickiness().value() != 0
                                        ? ", stickiness included"
                                        : "")
                                + ")");
            }
            default -> throw new IllegalStateException(r.with().toString());
        }
    }

    private static List<Member> sortedMembers(ClusterState c) {
        return c.members().values().stream()
                .sorted(Comparator.comparing(Member::name))
                .toList();
    }

    /** Why {@code r} cannot run on {@code node}, or null when it can. */
    private static String ineligible(
            ClusterState c,
            ResourceConfig rc,
            ResourceSpec r,
            String node,
            String me,
            Map<String, ResourceStatus> mine) {
        if (rc.maintenance().contains(node)) return node + " is in maintenance";
        Member m = c.members().get(node);
        Score s =
                m == null ? locationScore(r.location(), node, Tags.NONE) : locationScore(r.location(), node, m.tags());
        if (s.banned()) return "a location constraint bans " + node;
        ResourceStatus st = status(c, r.name(), node, me, mine);
        if (st.state() == ResourceStatus.State.BLOCKED) return "a stop failed on " + node;
        if (st.failCount() >= Score.INFINITY)
            return "a hard error on " + node + " (the agent is missing, lacks rights or is misconfigured there)";
        if (r.migrationThreshold() > 0 && st.failCount() >= r.migrationThreshold())
            return "failed " + st.failCount() + " times on " + node + " (migration_threshold " + r.migrationThreshold()
                    + ")";
        return null;
    }

    private static ResourceStatus status(
            ClusterState c, String resource, String node, String me, Map<String, ResourceStatus> mine) {
        if (node.equals(me) && mine != null) return mine.getOrDefault(resource, ResourceStatus.STOPPED);
        Member m = c.members().get(node);
        return m == null ? ResourceStatus.STOPPED : m.resources().getOrDefault(resource, ResourceStatus.STOPPED);
    }

    private static boolean running(ResourceSpec r, Member m, String me, Map<String, ResourceStatus> mine) {
        ResourceStatus st = m.name().equals(me) && mine != null
                ? mine.getOrDefault(r.name(), ResourceStatus.STOPPED)
                : m.resources().getOrDefault(r.name(), ResourceStatus.STOPPED);
        return st.state() == ResourceStatus.State.STARTED;
    }

    private static Score score(ResourceSpec r, Member m, String me, Map<String, ResourceStatus> mine, boolean sticky) {
        Score s = locationScore(r.location(), m.name(), m.tags());
        if (sticky && running(r, m, me, mine)) s = s.plus(r.stickiness());
        return s;
    }

    /** The sum of the location rules that match {@code node}. */
    public static Score locationScore(List<LocationRule> rules, String node, Tags tags) {
        Score s = Score.ZERO;
        for (LocationRule l : rules) {
            boolean match = l.node() != null
                    ? l.node().equals(node)
                    : switch (l.tag()) {
                        case "nofailover" -> tags.noFailover();
                        case "noloadbalance" -> tags.noLoadBalance();
                        case "nosync" -> tags.noSync();
                        default -> false;
                    };
            if (match) s = s.plus(l.score());
        }
        return s;
    }

    // ------------------------------------------------------------------ the primary role

    private static String giveUpPrimary(Input in, ResourceConfig rc) {
        ClusterState c = in.cluster();
        if (!in.leaseHeld() || !in.me().equals(c.leader())) return null;
        for (ResourceSpec r : rc.resources().values()) {
            if (!r.critical() || r.disabled()) continue;
            String why = ineligible(c, rc, r, in.me(), in.me(), in.mine());
            if (why != null && !rc.maintenance().contains(in.me()))
                return "critical resource " + r.name() + " cannot run here: " + why;
        }
        return null;
    }

    private static String failbackTo(Input in, ResourceConfig rc) {
        ClusterState c = in.cluster();
        var pp = rc.primaryPlacement();
        if (pp == null || !in.leaseHeld() || !in.me().equals(c.leader())) return null;
        Member self = c.members().get(in.me());
        Score mine = locationScore(pp.location(), in.me(), self == null ? Tags.NONE : self.tags())
                .plus(pp.stickiness());
        return sortedMembers(c).stream()
                .filter(m -> !m.name().equals(in.me()) && m.isRunningStandby() && m.streaming())
                .filter(m -> !m.tags().noFailover() && !rc.maintenance().contains(m.name()))
                .filter(m -> locationScore(pp.location(), m.name(), m.tags()).compareTo(mine) > 0)
                .max(Comparator.comparing((Member m) -> locationScore(pp.location(), m.name(), m.tags()))
                        .thenComparing(Member::name, Comparator.reverseOrder()))
                .map(Member::name)
                .orElse(null);
    }

    /** The resources in an order where each comes after those it names in {@code after}. */
    public static List<ResourceSpec> topological(Map<String, ResourceSpec> all) {
        List<ResourceSpec> out = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (ResourceSpec r : all.values()) visit(r, all, done, out, new HashSet<>());
        return out;
    }

    private static void visit(
            ResourceSpec r, Map<String, ResourceSpec> all, Set<String> done, List<ResourceSpec> out, Set<String> path) {
        if (done.contains(r.name()) || !path.add(r.name())) return; // cycles are refused by the config
        for (String a : r.after()) {
            ResourceSpec d = all.get(a);
            if (d != null) visit(d, all, done, out, path);
        }
        done.add(r.name());
        out.add(r);
    }
}
