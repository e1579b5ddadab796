package io.pgha.cli;

import io.pgha.agent.ClusterControl;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pgha restart}: restarts PostgreSQL on members through their agents; {@code --rolling}
 * restarts the whole cluster with writes unavailable only for one switchover.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "restart",
        description = {
            "Restart PostgreSQL on members (all when none is named), through their agents.",
            "--rolling restarts the standbys one at a time, each until it streams again, then switches over and"
                    + " restarts the old primary: writes stop only for the switchover.",
            "--scheduled TIME leaves the restart to each member's agent at TIME (shown by pgha list);"
                    + " --cancel drops it. A scheduled restart lives in the agent's memory: an agent restart drops it."
        })
final class RestartCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Parameters(paramLabel = "MEMBER", arity = "0..*", description = "members to restart (default: all)")
    List<String> members = List.of();

    @Option(names = "--role", paramLabel = "ROLE", description = "only the primary or only replicas: primary, replica")
    String role;

    @Option(names = "--pending", description = "only members whose settings wait for a restart (pending restart)")
    boolean pending;

    @Option(names = "--rolling", description = "one member at a time, the primary last after a switchover")
    boolean rolling;

    @Option(
            names = "--scheduled",
            paramLabel = "TIME",
            description = {
                "restart at TIME instead of now: each member's agent keeps the restart and checks --role and"
                        + " --pending when it is due",
                "TIME: 2026-11-30T04:00:00Z, 2026-11-30T05:00+01:00, or a local 2026-11-30T04:00 / '2026-11-30 04:00'"
                        + " in this machine's time zone"
            })
    String scheduled;

    @Option(names = "--cancel", description = "cancel the scheduled restarts of the members (all when none is named)")
    boolean cancel;

    @Option(names = "--force", description = "do not ask for confirmation")
    boolean force;

    @Option(
            names = "--timeout",
            paramLabel = "SECONDS",
            defaultValue = "120",
            description = "how long to wait for each member to come back (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (role != null && !role.equals("primary") && !role.equals("replica")) {
            throw new IllegalArgumentException("--role: '" + role + "' is not primary or replica");
        }
        Instant at = scheduled == null ? null : when(scheduled, ZoneId.systemDefault(), Instant.now());
        if (at != null && rolling)
            throw new IllegalArgumentException(
                    "--scheduled and --rolling: a rolling restart runs now, from this command");
        if (cancel && (at != null || rolling || pending || role != null))
            throw new IllegalArgumentException("--cancel takes only member names");
        ClientConfig cfg = cluster.client();
        AgentClient agents = ClusterOptions.agents(cfg, "restart");
        try (Dcs dcs = cluster.connect(cfg)) {
            ClusterState c = dcs.read();
            for (String m : members) {
                if (c.member(m).isEmpty())
                    throw new IllegalArgumentException("no member named '" + m + "' (members: "
                            + c.sortedMembers().keySet() + ")");
            }
            if (cancel) return cancel(agents, c);
            List<Member> chosen = new ArrayList<>();
            for (Member m : c.sortedMembers().values()) {
                if (!members.isEmpty() && !members.contains(m.name())) continue;
                if (at != null) { // --role and --pending are checked by each agent when the time comes
                    chosen.add(m);
                    continue;
                }
                boolean primary = m.name().equals(c.leader());
                if ("primary".equals(role) && !primary) continue;
                if ("replica".equals(role) && primary) continue;
                if (pending && !m.pendingRestart()) continue;
                chosen.add(m);
            }
            if (chosen.isEmpty()) {
                System.out.println("Nothing to restart.");
                return 0;
            }
            List<String> names = chosen.stream().map(Member::name).toList();
            String what = "Restart PostgreSQL on " + String.join(", ", names)
                    + (rolling ? " (rolling)" : "")
                    + (at != null ? " at " + at + conditions() : "") + "?";
            if (!Confirm.ask(what, force)) {
                System.out.println("Aborted, nothing changed.");
                return 1;
            }
            if (!rolling) {
                Map<String, Object> body = new LinkedHashMap<>();
                if (at != null) body.put("schedule", at.toString());
                if (pending) body.put("restart_pending", true);
                if (role != null) body.put("role", role);
                int failed = 0;
                for (Member m : chosen) {
                    try {
                        System.out.println(m.name() + ": " + agents.call(m, "POST", "/restart", body));
                    } catch (IllegalStateException e) {
                        System.out.println(e.getMessage());
                        failed++;
                    }
                }
                return failed == 0 ? 0 : 1;
            }
            return rolling(dcs, agents, c, chosen);
        }
    }

    private String conditions() {
        if (!pending && role == null) return "";
        return " (each " + (pending ? "if settings then wait for a restart" : "")
                + (pending && role != null ? ", " : "")
                + (role != null ? "if then a " + role : "") + ")";
    }

    private int cancel(AgentClient agents, ClusterState c) {
        int cancelled = 0;
        for (Member m : c.sortedMembers().values()) {
            if (!members.isEmpty() && !members.contains(m.name())) continue;
            if (members.isEmpty() && m.scheduledRestart() == null) continue;
            try {
                System.out.println(m.name() + ": " + agents.call(m, "DELETE", "/restart", Map.of()));
                cancelled++;
            } catch (IllegalStateException e) {
                System.out.println(e.getMessage());
            }
        }
        if (cancelled == 0 && members.isEmpty()) System.out.println("No restart is scheduled.");
        return 0;
    }

    /**
     * The instant {@code text} names: an ISO-8601 time with an offset, or a local date and time in
     * {@code zone}; refused when it has passed.
     */
    static Instant when(String text, ZoneId zone, Instant now) {
        String t = text.trim().replace(' ', 'T');
        Instant at;
        try {
            at = OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            try {
                at = LocalDateTime.parse(t).atZone(zone).toInstant();
            } catch (DateTimeParseException e2) {
                throw new IllegalArgumentException("--scheduled: '" + text
                        + "' is not a time such as 2026-11-30T04:00:00Z or 2026-11-30 04:00 (local time)");
            }
        }
        if (at.isBefore(now)) throw new IllegalArgumentException("--scheduled: " + at + " has passed");
        return at;
    }

    /** Standbys one at a time, then a switchover away from the primary, then the old primary. */
    private int rolling(Dcs dcs, AgentClient agents, ClusterState c, List<Member> chosen) throws Exception {
        String leader = c.leader();
        Member primary = null;
        for (Member m : chosen) {
            if (m.name().equals(leader)) {
                primary = m;
                continue;
            }
            restartAndWait(dcs, agents, m, leader);
        }
        if (primary == null) return 0;
        ClusterState now = dcs.read();
        Member target = now.sortedMembers().values().stream()
                .filter(m -> m.isRunningStandby() && m.streaming() && leader.equals(m.following()))
                .findFirst()
                .orElse(null);
        if (target == null) {
            System.out.println(leader + ": no standby streams from it to switch over to; restarting it in place");
            restartAndWait(dcs, agents, primary, null);
            return 0;
        }
        System.out.println("switching over from " + leader + " to " + target.name());
        new ClusterControl(dcs, System::currentTimeMillis).switchover(leader, target.name(), 0);
        if (Handover.await(dcs, target.name(), timeoutSeconds * 1000L) != 0) return 1;
        // PostgreSQL cannot step down while running: the old primary was stopped and started again
        // as a standby by the switchover itself. Once it streams, that was its restart.
        Member back = awaitStreaming(dcs, leader, target.name(), System.currentTimeMillis());
        if (back.pendingRestart()) {
            restartAndWait(dcs, agents, back, target.name());
        } else {
            System.out.println(leader + ": restarted by the switchover, streaming from " + target.name());
        }
        return 0;
    }

    /**
     * Waits until {@code name} publishes, after {@code since}, that it runs as a standby streaming
     * from {@code upstream}; the record it published then.
     */
    private Member awaitStreaming(Dcs dcs, String name, String upstream, long since) throws Exception {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            Member now;
            try {
                now = dcs.read().member(name).orElse(null);
            } catch (DcsException e) {
                now = null;
            }
            if (now != null
                    && now.updatedAt() > since
                    && now.state() == MemberState.RUNNING
                    && now.isRunningStandby()
                    && now.streaming()
                    && upstream.equals(now.following())) return now;
            Thread.sleep(200);
        }
        throw new IllegalStateException(name + " did not stream from " + upstream + " within " + timeoutSeconds
                + " s after the switchover; see 'pgha list' for its last decision (the rolling restart stops here)");
    }

    /**
     * Restarts {@code m} and waits until it runs again: a standby streaming from {@code upstream}
     * with nothing pending, or (without upstream) a running primary.
     */
    private void restartAndWait(Dcs dcs, AgentClient agents, Member m, String upstream) throws Exception {
        long restartedAt = System.currentTimeMillis();
        System.out.println(m.name() + ": " + agents.post(m, "/restart"));
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            Thread.sleep(200);
            Member now;
            try {
                now = dcs.read().member(m.name()).orElse(null);
            } catch (DcsException e) {
                continue;
            }
            if (now == null || now.updatedAt() <= restartedAt || now.state() != MemberState.RUNNING) continue;
            boolean back = upstream == null
                    ? now.isRunningPrimary()
                    : now.isRunningStandby() && now.streaming() && upstream.equals(now.following());
            if (back && !now.pendingRestart()) {
                System.out.println(m.name() + ": back" + (upstream == null ? "" : ", streaming from " + upstream));
                return;
            }
        }
        throw new IllegalStateException(m.name() + " did not come back within " + timeoutSeconds
                + " s; see 'pgha list' for its last decision (the rolling restart stops here)");
    }
}
