package io.pgha.cli.faults;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.testkit.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The faults of the campaign. Each injects itself into a {@link FaultLab}, waits for the cluster's
 * reaction, undoes what it did (restarting a killed former primary while the new one runs, healing
 * a cut, resuming a frozen node) and reports what it saw.
 */
enum Fault {
    KILL_PRIMARY_NODE("SIGKILL of the primary node (agent and PostgreSQL); then the former primary restarts"),
    KILL_POSTMASTER("SIGKILL of the primary's postmaster only"),
    FREEZE_PRIMARY_NODE("SIGSTOP of the whole primary node beyond the lease, then SIGCONT"),
    CUT_PRIMARY_FROM_DCS("the primary cut off from every ZooKeeper server (it still reaches its standbys)"),
    LOSE_ZOOKEEPER_SERVER(
            "SIGKILL of one DCS server of three (its leader: the ZooKeeper ensemble's, or etcd's raft leader)"),
    DCS_OUTAGE("SIGKILL of every DCS server for twice the ttl, then a restart (with failsafe_mode on, writes go on)"),
    KILL_SYNC_STANDBY("SIGKILL of the synchronous standby node (a standby in asynchronous mode)"),
    SWITCHOVER("planned switchover to a random standby under load"),
    KILL_PRIMARY_WITH_DCS_LEADER(
            "SIGKILL of the primary node together with the DCS's leader server (one machine ran both, as with the"
                    + " embedded ensemble); both restart after the failover"),
    FREEZE_PRIMARY_WITH_DCS_LEADER(
            "SIGSTOP of the whole primary node beyond the lease together with a SIGKILL of the DCS's leader server;"
                    + " then SIGCONT and a restart");

    final String description;

    Fault(String description) {
        this.description = description;
    }

    /**
     * A client connected straight to the primary that is about to freeze, writing all the time: how
     * many of its writes the old primary acknowledges after it is resumed, when a new primary already
     * runs (none with a watchdog or in synchronous mode).
     */
    static final class StaleWriter {
        final java.util.concurrent.atomic.AtomicLong afterResume = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong lastAckNanos = new java.util.concurrent.atomic.AtomicLong();
        private volatile long resumedNanos = Long.MAX_VALUE;
        private volatile boolean running = true;
        private final Thread thread;

        StaleWriter(FaultLab lab, int node) {
            thread = new Thread(
                    () -> {
                        try (java.sql.Connection c = lab.connect(node);
                                java.sql.Statement st = c.createStatement()) {
                            st.execute(
                                    "CREATE TABLE IF NOT EXISTS stale_writes (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())");
                            while (running) {
                                st.executeUpdate("INSERT INTO stale_writes DEFAULT VALUES");
                                long now = System.nanoTime();
                                if (now > resumedNanos && !Workload.cancelledSyncWait(st.getWarnings())) {
                                    afterResume.incrementAndGet();
                                    lastAckNanos.set(now);
                                }
                                st.clearWarnings();
                            }
                        } catch (Exception e) {
                            // the old primary stopped (or never accepted): what we wanted to see
                        }
                    },
                    "stale-writer");
            thread.setDaemon(true);
            thread.start();
        }

        String finish(long resumed) throws InterruptedException {
            resumedNanos = resumed;
            Thread.sleep(3000);
            running = false;
            long n = afterResume.get();
            return n == 0
                    ? "the resumed old primary acknowledged no write"
                    : "the resumed old primary acknowledged " + n + " writes during "
                            + (lastAckNanos.get() - resumed) / 1_000_000L + " ms";
        }
    }

    /** Starts the DCS server {@code server} again (none when 0) and waits until it serves. */
    private static void restartDcs(FaultLab lab, int server) throws Exception {
        if (server <= 0) return;
        lab.zk.start(server);
        FaultLab.waitUntil(60_000, () -> lab.zk.serving(server));
    }

    private static String dcsNote(FaultLab lab, int server) {
        return server > 0 ? " and " + lab.zk.label() + server + " (its leader)" : "";
    }

    /** What happened, for the report. */
    record Effect(String target, String notes, boolean recovered) {}

    Effect inject(FaultLab lab, Random rnd) throws Exception {
        Optional<Integer> p = lab.primary();
        if (p.isEmpty()) return new Effect("-", "no primary before the fault", false);
        int primary = p.get();
        String name = "node" + primary;
        switch (this) {
            case KILL_PRIMARY_NODE, KILL_PRIMARY_WITH_DCS_LEADER -> {
                int dcsLeader = this == KILL_PRIMARY_WITH_DCS_LEADER ? lab.zk.leader() : 0;
                if (dcsLeader > 0) lab.zk.kill(dcsLeader);
                lab.cluster.kill(primary);
                long at = lab.now();
                boolean moved = FaultLab.waitUntil(
                        120_000, () -> lab.primary().filter(n -> n != primary).isPresent());
                String notes = moved
                        ? "new primary node" + lab.primary().orElse(0) + " after " + (lab.now() - at) + " ms"
                        : "no new primary";
                lab.cluster.start(primary);
                restartDcs(lab, dcsLeader);
                return new Effect(name + dcsNote(lab, dcsLeader), notes, moved);
            }
            case KILL_POSTMASTER -> {
                lab.cluster.killPostmaster(primary);
                long at = lab.now();
                // The DCS shows the crash only once the agent noticed it; do not take the old record for health.
                FaultLab.waitUntil(
                        5_000,
                        () -> lab.state()
                                .flatMap(s -> s.member(name))
                                .map(m -> !m.isRunningPrimary())
                                .orElse(true));
                boolean back = FaultLab.waitUntil(120_000, lab::healthy);
                return new Effect(
                        name,
                        back
                                ? "primary node" + lab.primary().orElse(0) + " after " + (lab.now() - at) + " ms"
                                : "not healthy",
                        back);
            }
            case FREEZE_PRIMARY_NODE, FREEZE_PRIMARY_WITH_DCS_LEADER -> {
                int resetsBefore = lab.dogs[primary - 1].fired();
                StaleWriter stale = new StaleWriter(lab, primary);
                int dcsLeader = this == FREEZE_PRIMARY_WITH_DCS_LEADER ? lab.zk.leader() : 0;
                if (dcsLeader > 0) lab.zk.kill(dcsLeader);
                lab.cluster.freeze(primary);
                long at = lab.now();
                boolean moved = FaultLab.waitUntil(
                        120_000, () -> lab.primary().filter(n -> n != primary).isPresent());
                long movedAt = lab.now();
                Thread.sleep(500);
                boolean reset = lab.dogs[primary - 1].fired() > resetsBefore;
                long resetAt = lab.dogs[primary - 1].firedAtMillis() - lab.t0;
                long thawed = System.nanoTime();
                lab.cluster.thaw(primary);
                String staleNotes = stale.finish(thawed);
                if (!lab.cluster.agentAlive(primary)) lab.cluster.start(primary);
                restartDcs(lab, dcsLeader);
                String notes =
                        (reset ? "watchdog reset the node after " + (resetAt - at) + " ms; " : "no watchdog reset; ")
                                + (moved ? "new primary seen after " + (movedAt - at) + " ms" : "no new primary") + "; "
                                + staleNotes;
                return new Effect(name + dcsNote(lab, dcsLeader), notes, moved);
            }
            case CUT_PRIMARY_FROM_DCS -> {
                lab.zk.cut(primary);
                long at = lab.now();
                boolean moved = FaultLab.waitUntil(
                        120_000, () -> lab.primary().filter(n -> n != primary).isPresent());
                String notes = moved
                        ? "new primary node" + lab.primary().orElse(0) + " after " + (lab.now() - at) + " ms"
                        : "no new primary";
                lab.zk.heal(primary);
                return new Effect(name, notes, moved);
            }
            case LOSE_ZOOKEEPER_SERVER -> {
                int drawn = 1 + rnd.nextInt(lab.zk.servers());
                int leader = lab.zk.leader();
                int server = leader > 0 ? leader : drawn; // the leader where the ensemble names it
                int before = lab.writer.ackedCount();
                lab.zk.kill(server);
                Thread.sleep(4000);
                boolean kept = lab.primary().isPresent() && lab.writer.ackedCount() > before;
                lab.zk.start(server);
                FaultLab.waitUntil(60_000, () -> lab.zk.serving(server));
                return new Effect(
                        lab.zk.label() + server + (server == leader ? " (its leader)" : ""),
                        kept ? "writes went on" : "writes stopped",
                        kept);
            }
            case DCS_OUTAGE -> {
                int before = lab.writer.ackedCount();
                for (int s = 1; s <= lab.zk.servers(); s++) lab.zk.kill(s);
                Thread.sleep(6000);
                int during = lab.writer.ackedCount() - before;
                boolean samePrimary =
                        lab.primaryByProcess().filter(n -> n == primary).isPresent();
                lab.zk.startAll();
                for (int s = 1; s <= lab.zk.servers(); s++) {
                    int server = s;
                    FaultLab.waitUntil(60_000, () -> lab.zk.serving(server));
                }
                String notes = during + " writes acknowledged during the outage"
                        + (samePrimary ? ", by the same primary" : ", primary not running");
                return new Effect("all " + lab.zk.label(), notes, !lab.failsafe || (during > 0 && samePrimary));
            }
            case KILL_SYNC_STANDBY -> {
                ClusterState c = lab.state().orElseThrow();
                List<String> candidates =
                        new ArrayList<>(c.sync().quorum() > 0 ? c.sync().members() : List.of());
                if (candidates.isEmpty()) {
                    for (Member m : c.members().values()) if (!m.name().equals(c.leader())) candidates.add(m.name());
                }
                String target = candidates.get(rnd.nextInt(candidates.size()));
                int before = lab.writer.ackedCount();
                lab.cluster.kill(FaultLab.index(target));
                Thread.sleep(3000);
                boolean kept = lab.writer.ackedCount() > before;
                lab.cluster.start(FaultLab.index(target));
                return new Effect(target, kept ? "writes went on" : "writes stopped while it was down", true);
            }
            case SWITCHOVER -> {
                ClusterState c = lab.state().orElseThrow();
                List<String> standbys = new ArrayList<>();
                for (Member m : c.members().values()) {
                    if (m.isRunningStandby() && m.streaming() && name.equals(m.following())) standbys.add(m.name());
                }
                if (standbys.isEmpty()) return new Effect(name, "no streaming standby to switch to", true);
                String target = standbys.get(rnd.nextInt(standbys.size()));
                long at = lab.now();
                lab.control().switchover(name, target, 0);
                boolean moved = FaultLab.waitUntil(
                        60_000,
                        () -> lab.primary()
                                .filter(n -> n == FaultLab.index(target))
                                .isPresent());
                return new Effect(
                        name + " -> " + target,
                        moved ? "done after " + (lab.now() - at) + " ms" : "did not complete",
                        moved);
            }
            default -> throw new IllegalStateException(name());
        }
    }
}
