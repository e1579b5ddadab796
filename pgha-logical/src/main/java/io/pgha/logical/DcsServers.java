package io.pgha.logical;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.PermanentSlot;
import io.pgha.core.net.Conninfo;
import io.pgha.core.net.HostPort;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.SetNode;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * {@link SetServers} for the nodes of a {@code replication_sets} document: a pgha cluster is reached
 * at the primary its DCS names (and subscribers reach it through every member with
 * target_session_attrs=read-write, so that they follow its failovers); a plain server through its
 * connection string.
 */
public final class DcsServers implements SetServers {
    private final SetsConfig doc;
    private final Function<String, Dcs> dcsFor;
    private final Map<String, Dcs> open = new HashMap<>();

    /** @param dcsFor opens the DCS of a cluster by name (closed by {@link #close}) */
    public DcsServers(SetsConfig doc, Function<String, Dcs> dcsFor) {
        this.doc = doc;
        this.dcsFor = dcsFor;
    }

    private SetNode node(String name) {
        SetNode n = doc.nodes().get(name);
        if (n == null)
            throw new IllegalArgumentException("'" + name + "' is not a node of replication_sets (known: "
                    + String.join(", ", doc.nodes().keySet()) + ")");
        return n;
    }

    private synchronized Dcs dcs(String cluster) {
        return open.computeIfAbsent(cluster, dcsFor);
    }

    private ClusterState state(SetNode n) {
        try {
            return dcs(n.cluster()).read();
        } catch (DcsException e) {
            throw new IllegalStateException(
                    "node " + n.name() + ": cannot read cluster " + n.cluster() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Connection connect(String name, String database) throws SQLException {
        SetNode n = node(name);
        Properties p = new Properties();
        p.setProperty("user", n.user());
        if (n.password() != null) p.setProperty("password", n.password());
        p.setProperty("connectTimeout", "5");
        p.setProperty("ApplicationName", "pgha sets");
        String url;
        if (n.isCluster()) {
            ClusterState c = state(n);
            Member leader = c.leaderMember()
                    .orElseThrow(() -> new SQLException(
                            "node " + name + ": cluster " + n.cluster() + " has no primary now (pgha list shows why)",
                            "08001"));
            url = "jdbc:postgresql://" + HostPort.join(leader.host(), leader.pgPort()) + "/" + database;
        } else {
            url = jdbcUrl(name, Conninfo.parse(n.dsn()), database, p);
        }
        Connection c = DriverManager.getConnection(url, p);
        c.setAutoCommit(true);
        return c;
    }

    /** A JDBC URL (and properties) for a libpq connection string over TCP. */
    static String jdbcUrl(String name, Map<String, String> kv, String database, Properties p) throws SQLException {
        String[] hosts = kv.get("host").split(",", -1);
        String[] ports = kv.getOrDefault("port", "5432").split(",", -1);
        if (ports.length != 1 && ports.length != hosts.length)
            throw new SQLException(
                    "node " + name + ": its dsn gives " + hosts.length + " hosts but " + ports.length + " ports");
        List<String> hp = new ArrayList<>();
        for (int i = 0; i < hosts.length; i++) {
            String h = hosts[i].trim();
            if (h.isEmpty() || h.startsWith("/"))
                throw new SQLException(
                        "node " + name + ": pgha reaches nodes over TCP; '" + h + "' is not a host name or address");
            hp.add(HostPort.join(h, Integer.parseInt(ports[ports.length == 1 ? 0 : i].trim())));
        }
        String tsa = kv.get("target_session_attrs");
        if (tsa != null) {
            p.setProperty(
                    "targetServerType",
                    switch (tsa) {
                        case "read-write", "primary" -> "primary";
                        case "read-only", "standby" -> "secondary";
                        case "prefer-standby" -> "preferSecondary";
                        default -> "any";
                    });
        } else if (hosts.length > 1) {
            p.setProperty("targetServerType", "primary");
        }
        for (String k : List.of("sslmode", "sslrootcert", "sslcert", "sslkey"))
            if (kv.containsKey(k)) p.setProperty(k, kv.get(k));
        if (kv.containsKey("connect_timeout")) p.setProperty("connectTimeout", kv.get("connect_timeout"));
        if (kv.containsKey("user") && !p.containsKey("user")) p.setProperty("user", kv.get("user"));
        return "jdbc:postgresql://" + String.join(",", hp) + "/" + database;
    }

    @Override
    public String conninfo(String name) {
        SetNode n = node(name);
        Map<String, String> kv = new LinkedHashMap<>();
        if (n.isCluster()) {
            ClusterState c = state(n);
            List<String> hosts = new ArrayList<>();
            List<String> ports = new ArrayList<>();
            // the members in name order, so that the string is stable from run to run
            for (Member m : new TreeMap<>(c.members()).values()) {
                hosts.add(m.host());
                ports.add(String.valueOf(m.pgPort()));
            }
            if (hosts.isEmpty())
                throw new IllegalStateException("node " + name + ": cluster " + n.cluster() + " has no members");
            kv.put("host", String.join(",", hosts));
            kv.put("port", ports.stream().distinct().count() == 1 ? ports.get(0) : String.join(",", ports));
            kv.put("target_session_attrs", "read-write");
        } else {
            kv.putAll(Conninfo.parse(n.dsn()));
        }
        kv.put("user", n.user());
        // a lost provider must not hold a subscriber's worker (or DROP SUBSCRIPTION) for minutes
        kv.putIfAbsent("connect_timeout", "10");
        if (n.password() != null) kv.put("password", n.password());
        return Conninfo.format(kv);
    }

    @Override
    public boolean isCluster(String name) {
        return node(name).isCluster();
    }

    @Override
    public void keepSlot(String name, String slot, String database, boolean keep) throws Exception {
        SetNode n = node(name);
        if (!n.isCluster()) return;
        dcs(n.cluster()).updateConfig(c -> {
            Map<String, PermanentSlot> slots = new TreeMap<>(c.slots());
            if (keep) slots.put(slot, PermanentSlot.logical(database, "pgoutput"));
            else slots.remove(slot);
            return slots.equals(c.slots()) ? c : c.withSlots(c.memberSlotsTtlMs(), slots);
        });
    }

    @Override
    public synchronized void close() {
        open.values().forEach(Dcs::close);
        open.clear();
    }
}
