package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.StandbyCluster;
import io.pgha.core.net.HostPort;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.DcsFactory;
import io.pgha.postgres.ConfigFiles.Upstream;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the standby leader of a standby cluster gets WAL from, looked up afresh every cycle: the
 * primary cluster's current primary as that cluster's DCS names it (so that it is followed across
 * the primary cluster's failovers), else the configured hosts (libpq picks the one that takes
 * writes), else the shared WAL archive alone. The primary cluster's DCS is read through an
 * observer client with this node's {@code dcs.auth} and {@code dcs.tls}, opened on first use.
 * Thread-safe.
 */
final class PrimaryClusterSource implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryClusterSource.class);

    private final NodeConfig cfg;
    private StandbyCluster.PrimaryCluster watched;
    private Dcs remote;
    private String lastProblem;

    PrimaryClusterSource(NodeConfig cfg) {
        this.cfg = cfg;
    }

    /** The upstream to follow now; without any reachable source, the archive-only one (no stream). */
    synchronized Upstream locate(StandbyCluster sc) {
        if (sc.primaryCluster() != null) {
            Optional<Member> primary = primaryOf(sc.primaryCluster());
            if (primary.isPresent()) {
                Member p = primary.get();
                return Upstream.primaryCluster(List.of(new HostPort(p.host(), p.pgPort())), sc.primarySlotName());
            }
        }
        if (sc.hosts() != null) return Upstream.primaryCluster(sc.hostList(), sc.primarySlotName());
        return Upstream.archiveOnly();
    }

    /** The primary cluster's running primary as its DCS shows it; empty when there is none or it cannot be read. */
    synchronized Optional<Member> primaryOf(StandbyCluster.PrimaryCluster pc) {
        try {
            ClusterState c = dcsOf(pc).read();
            Optional<Member> p = c.leaderMember().filter(Member::isRunningPrimary);
            if (p.isEmpty()) problem("the primary cluster " + pc.describe() + " shows no running primary");
            else lastProblem = null;
            return p;
        } catch (DcsException | RuntimeException e) {
            problem("cannot read the primary cluster " + pc.describe() + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private Dcs dcsOf(StandbyCluster.PrimaryCluster pc) {
        if (!pc.equals(watched)) {
            if (remote != null) remote.close();
            remote = DcsFactory.observer(
                    pc.dcs(cfg.dcs()), pc.name(), cfg.timing().ttlMs());
            watched = pc;
        }
        return remote;
    }

    private void problem(String what) {
        if (!what.equals(lastProblem)) LOG.warn("{}", what);
        lastProblem = what;
    }

    @Override
    public synchronized void close() {
        if (remote != null) remote.close();
        remote = null;
        watched = null;
    }
}
