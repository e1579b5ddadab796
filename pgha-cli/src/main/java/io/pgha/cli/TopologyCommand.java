package io.pgha.cli;

import io.pgha.agent.RestView;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.Json;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgha topology}: who streams from whom. {@code pgha list} is flat; with cascading standbys
 * (a standby that follows another standby) or a member stuck following a former primary, the
 * shape of the replication tree is what an operator needs to see.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "topology",
        description = {
            "Show the replication cascade: the primary (or standby leader) with each standby indented under"
                    + " the member it streams from.",
            "Members that follow a member not in the cluster, or nothing, are listed at the end."
        })
final class TopologyCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    FormatOption output;

    @Override
    public Integer call() throws Exception {
        ClientConfig cfg = cluster.client();
        if (cluster.printedByLocalAgent(cfg, "topology", output.json())) return 0;
        try (io.pgha.dcs.Dcs dcs = cluster.connect(cfg)) {
            System.out.print(show(cfg.cluster(), dcs, output.json(), true));
        }
        return 0;
    }

    /** What {@code pgha topology} prints for one read of the DCS. */
    static String show(String name, io.pgha.dcs.Dcs dcs, boolean json, boolean pretty) throws io.pgha.dcs.DcsException {
        ClusterState c = dcs.read();
        Tree t = Tree.of(c);
        if (!json) return t.render(name, c);
        return (pretty ? Json.pretty(t.json(name, c)) : Json.text(t.json(name, c))) + "\n";
    }

    /** A member and the members that stream from it. */
    record Node(Member member, List<Node> followers) {}

    /**
     * The cascade: {@code main} hangs from the leader (the lease holder); {@code detached} holds
     * the trees of the members that are not under it because what they follow is gone, nothing, or
     * a loop among themselves (each member appears once).
     */
    record Tree(Node main, List<Node> detached) {
        static Tree of(ClusterState c) {
            Map<String, Member> members = c.sortedMembers();
            Map<String, List<Member>> followers = new TreeMap<>();
            for (Member m : members.values()) {
                if (m.following() != null && !m.following().equals(m.name()))
                    followers
                            .computeIfAbsent(m.following(), k -> new ArrayList<>())
                            .add(m);
            }
            Set<String> placed = new HashSet<>();
            Node main = c.leaderMember().map(l -> grow(l, followers, placed)).orElse(null);
            List<Node> detached = new ArrayList<>();
            // roots first (following nothing, itself or a member not in the cluster), then whatever a
            // loop of members following each other left over
            for (Member m : members.values()) {
                boolean root =
                        m.following() == null || m.following().equals(m.name()) || !members.containsKey(m.following());
                if (root && !placed.contains(m.name())) detached.add(grow(m, followers, placed));
            }
            for (Member m : members.values()) {
                if (!placed.contains(m.name())) detached.add(grow(m, followers, placed));
            }
            return new Tree(main, detached);
        }

        private static Node grow(Member m, Map<String, List<Member>> followers, Set<String> placed) {
            placed.add(m.name());
            List<Node> below = new ArrayList<>();
            for (Member f : followers.getOrDefault(m.name(), List.of())) {
                if (!placed.contains(f.name())) below.add(grow(f, followers, placed));
            }
            return new Node(m, below);
        }

        String render(String name, ClusterState c) {
            StringBuilder s = new StringBuilder();
            s.append("Cluster: ").append(name).append("   leader: ").append(c.leader() == null ? "none" : c.leader());
            if (c.config().standby())
                s.append("   standby cluster of: ")
                        .append(c.config().standbyCluster().describe());
            s.append('\n');
            Table t = new Table("Member", "Role", "State", "TL", "Lag", "Address");
            if (main != null) rows(t, c, main, "", "", null);
            else s.append("(no leader: nobody holds the lease)\n");
            if (main != null) s.append(t.render());
            if (!detached.isEmpty()) {
                Table d = new Table("Member", "Role", "State", "TL", "Lag", "Address", "Follows");
                for (Node n : detached) rows(d, c, n, "", "", c.members());
                s.append(main == null ? "" : "\nNot under the leader:\n").append(d.render());
            }
            return s.toString();
        }

        /** One row per member, its name drawn as a branch of the tree ("|- " and "`- " for the last). */
        private static void rows(Table t, ClusterState c, Node n, String lead, String branch, Map<String, Member> all) {
            Member m = n.member();
            Long lag = RestView.lagBytes(c, m);
            List<Object> cells = new ArrayList<>(List.of(
                    lead + branch + m.name(),
                    RestView.role(c, m),
                    m.state().label(),
                    m.timeline() == 0 ? "" : m.timeline(),
                    lag == null ? "" : Table.bytes(lag),
                    m.address()));
            if (all != null) {
                String f = m.following();
                cells.add(
                        branch.isEmpty()
                                ? (f == null ? "nothing" : all.containsKey(f) ? f : f + " (not in the cluster)")
                                : "");
            }
            t.add(cells.toArray());
            String childLead = lead + (branch.isEmpty() ? "" : branch.startsWith("`") ? "   " : "|  ");
            for (int i = 0; i < n.followers().size(); i++) {
                boolean last = i == n.followers().size() - 1;
                rows(t, c, n.followers().get(i), childLead, last ? "`- " : "|- ", all);
            }
        }

        Map<String, Object> json(String name, ClusterState c) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("cluster", name);
            v.put("leader", c.leader());
            v.put("topology", main == null ? null : json(c, main));
            List<Object> d = new ArrayList<>();
            for (Node n : detached) d.add(json(c, n));
            v.put("detached", d);
            return v;
        }

        private static Map<String, Object> json(ClusterState c, Node n) {
            Member m = n.member();
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("name", m.name());
            v.put("role", RestView.role(c, m));
            v.put("state", m.state().label());
            v.put("timeline", m.timeline());
            v.put("lag", RestView.lagBytes(c, m));
            v.put("host", m.host());
            v.put("port", m.pgPort());
            v.put("following", m.following());
            List<Object> f = new ArrayList<>();
            for (Node x : n.followers()) f.add(json(c, x));
            v.put("followers", f);
            return v;
        }
    }
}
