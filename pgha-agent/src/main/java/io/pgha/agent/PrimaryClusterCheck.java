package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.StandbyCluster;
import io.pgha.core.net.HostPort;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.DcsFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;

/**
 * Before a standby cluster is promoted: does the primary cluster still take writes? Two sites that
 * both accept writes diverge for good, so {@code pgha promote-cluster} refuses while this finds a
 * live primary, and also when it can check nothing at all (an archive-only standby cluster).
 *
 * <p>What is checked: the primary cluster's DCS (a leader key held by a running primary), then each
 * of {@code hosts} (a server there that accepts connections and is not in recovery), connecting with
 * this node's superuser credential. A DCS or host that cannot be reached counts as down; a server
 * that answers but refuses the credential counts as possibly writable.
 */
public final class PrimaryClusterCheck {
    private PrimaryClusterCheck() {}

    /** Why the primary cluster may still take writes; empty when every source was checked and none does. */
    public static Optional<String> mayTakeWrites(NodeConfig cfg, StandbyCluster sc) throws InterruptedException {
        if (sc.primaryCluster() == null && sc.hosts() == null) {
            return Optional.of("this standby cluster follows the WAL archive only, so pgha cannot check whether the"
                    + " primary cluster still takes writes");
        }
        if (sc.primaryCluster() != null) {
            Optional<String> live = dcsLeader(cfg, sc.primaryCluster());
            if (live.isPresent()) return live;
        }
        for (HostPort h : sc.hostList()) {
            Optional<String> live = writableAt(cfg, h);
            if (live.isPresent()) return live;
        }
        return Optional.empty();
    }

    private static Optional<String> dcsLeader(NodeConfig cfg, StandbyCluster.PrimaryCluster pc)
            throws InterruptedException {
        Dcs remote;
        try {
            remote = DcsFactory.connectedObserver(
                    pc.dcs(cfg.dcs()), pc.name(), cfg.timing().ttlMs(), 5000);
        } catch (IllegalStateException unreachable) {
            return Optional.empty();
        }
        try (remote) {
            ClusterState c = remote.read();
            return c.leaderMember()
                    .filter(Member::isRunningPrimary)
                    .map(m -> "the primary cluster " + pc.describe() + " still has a live primary, " + m.name() + " ("
                            + m.address() + ")");
        } catch (DcsException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> writableAt(NodeConfig cfg, HostPort h) {
        Properties p = new Properties();
        var su = cfg.postgresql().superuser();
        p.setProperty("user", su.username());
        if (su.hasPassword()) p.setProperty("password", su.password());
        p.setProperty("connectTimeout", "3");
        p.setProperty("socketTimeout", "5");
        String url = "jdbc:postgresql://" + h + "/postgres";
        try (Connection c = DriverManager.getConnection(url, p);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1)
                    ? Optional.empty()
                    : Optional.of("the primary cluster's server at " + h + " is up and takes writes");
        } catch (SQLException e) {
            String state = e.getSQLState();
            // 08xxx: no connection could be made (down or unreachable); anything else means a server answered
            if (state != null && state.startsWith("08")) return Optional.empty();
            return Optional.of(
                    "a server at " + h + " answers (" + e.getMessage() + ") and may be the primary cluster's primary");
        }
    }
}
