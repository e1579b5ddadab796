package io.pgha.cli;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;

/** Waits until a requested member is the running primary holding the lease, and reports. */
final class Handover {
    private Handover() {}

    static int await(Dcs dcs, String candidate, long timeoutMs) throws DcsException, InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (System.nanoTime() < deadline) {
            ClusterState c = dcs.read();
            Member leader = c.leaderMember().orElse(null);
            if (leader != null
                    && leader.name().equals(candidate)
                    && leader.isRunningPrimary()
                    && c.failover() == null) {
                System.out.println(candidate + " is now the primary (timeline " + leader.timeline() + ").");
                return 0;
            }
            Thread.sleep(200);
        }
        System.err.println("error: " + candidate + " did not become primary within " + timeoutMs / 1000
                + " s; see 'pgha list' for each member's last decision");
        return 1;
    }
}
