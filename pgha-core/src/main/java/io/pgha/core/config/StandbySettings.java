package io.pgha.core.config;

import io.pgha.core.model.StandbyCluster;
import io.pgha.core.net.HostPort;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code standby_cluster} setting, as people write it (in the dynamic config through {@code
 * pgha edit-config}, or in a node file to make a new cluster a standby cluster):
 *
 * <pre>
 * standby_cluster:
 *   hosts: "10.0.0.1:5432,10.0.0.2:5432"    # the primary cluster's members, or one router address
 *   primary_cluster: {name: east, zookeeper: "zk1:2181,zk2:2181"}   # or etcd: "e1:2379,...", namespace
 *   archive: true                            # restore WAL from this node's archive: repository
 *   primary_slot_name: west                  # optional
 * </pre>
 *
 * At least one source is required; the value always replaces the whole setting, and {@code null}
 * (or an empty value) removes it, which makes the cluster a primary cluster ({@code pgha
 * promote-cluster} checks first).
 */
public final class StandbySettings {
    private StandbySettings() {}

    /** Parses the setting {@code key}; null for null, "" and "null". */
    public static StandbyCluster parse(String key, Object v) {
        if (v == null || (v instanceof String s && (s.isBlank() || s.equals("null") || s.equals("~")))) return null;
        if (!(v instanceof Map<?, ?> m)) {
            throw new ConfigException(key + ": expected a mapping with hosts, primary_cluster and/or archive");
        }
        Section s = new Section(key, m);
        String hosts = s.string("hosts", null);
        if (hosts != null) {
            try {
                HostPort.parseList(hosts, 5432);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(s.key("hosts") + ": " + e.getMessage());
            }
        }
        StandbyCluster.PrimaryCluster primary = s.has("primary_cluster") ? primary(s.section("primary_cluster")) : null;
        boolean archive = s.bool("archive", false);
        String slot = s.string("primary_slot_name", null);
        if (slot != null && !slot.matches("[a-z0-9_]{1,63}")) {
            throw new ConfigException(s.key("primary_slot_name") + ": '" + slot
                    + "' is not a slot name (1-63 lower-case letters, digits and '_')");
        }
        s.rejectUnknown();
        if (hosts == null && primary == null && !archive) {
            throw new ConfigException(key + ": give at least one source: hosts, primary_cluster, or archive: true");
        }
        return new StandbyCluster(hosts, primary, archive, slot);
    }

    private static StandbyCluster.PrimaryCluster primary(Section p) {
        String name = p.identifier("name", null);
        if (name == null) throw new ConfigException(p.key("name") + ": is required (the primary cluster's name)");
        String zk = p.string("zookeeper", null);
        String etcd = p.string("etcd", null);
        if ((zk == null) == (etcd == null)) {
            throw new ConfigException(p.key("zookeeper") + " or " + p.key("etcd") + ": exactly one must be given");
        }
        try {
            HostPort.parseList(zk != null ? zk : etcd, zk != null ? 2181 : 2379);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(p.key(zk != null ? "zookeeper" : "etcd") + ": " + e.getMessage());
        }
        String namespace = p.string("namespace", "/pgha");
        if (!namespace.startsWith("/")) {
            throw new ConfigException(p.key("namespace") + ": '" + namespace + "' must start with '/'");
        }
        p.rejectUnknown();
        return new StandbyCluster.PrimaryCluster(name, zk, etcd, namespace);
    }

    /** The setting as a person would write it; null when this is no standby cluster. */
    public static Map<String, Object> toMap(StandbyCluster sc) {
        if (sc == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        if (sc.hosts() != null) m.put("hosts", sc.hosts());
        if (sc.primaryCluster() != null) {
            var p = sc.primaryCluster();
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("name", p.name());
            if (p.zookeeper() != null) pm.put("zookeeper", p.zookeeper());
            if (p.etcd() != null) pm.put("etcd", p.etcd());
            pm.put("namespace", p.namespace());
            m.put("primary_cluster", pm);
        }
        m.put("archive", sc.archive());
        if (sc.primarySlotName() != null) m.put("primary_slot_name", sc.primarySlotName());
        return m;
    }
}
