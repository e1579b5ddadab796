package io.pgha.logical;

import io.pgha.core.sets.SetsConfig.ReplicationSet;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Copies a set's sequence values from its origin to its subscribers (PostgreSQL 15 does not
 * replicate sequences). A sequence only ever moves forward on a subscriber (in its own direction,
 * for one that counts down); one the subscriber lacks is reported, not created.
 */
public final class SequenceSync {
    private SequenceSync() {}

    /** The set's sequences on the origin: those named, and (with owned_sequences) those its tables own. */
    static List<String> sequences(ReplicationSet s, Catalog origin) {
        Set<String> out = new LinkedHashSet<>(s.sequences());
        if (s.ownedSequences()) {
            Set<String> tables = SetPlanner.expand(s, origin, new ArrayList<>()).keySet();
            origin.ownedSequences().forEach((seq, table) -> {
                if (tables.contains(table)) out.add(seq);
            });
        }
        return List.copyOf(out);
    }

    /**
     * Copies every sequence of {@code s} from {@code from} to each of {@code to}; returns one line
     * per sequence moved or problem found.
     */
    public static List<String> sync(ReplicationSet s, SetServers servers, String from, List<String> to)
            throws SQLException {
        List<String> report = new ArrayList<>();
        Map<String, long[]> values = new LinkedHashMap<>(); // name -> {last_value, increment}; null value skipped
        Set<String> schemas = new LinkedHashSet<>(s.schemas());
        s.tables().forEach(t -> schemas.add(t.schema()));
        try (Connection c = servers.connect(from, s.database())) {
            Catalog origin = Catalog.read(from, c, schemas);
            for (String seq : sequences(s, origin)) {
                long[] v = read(c, seq);
                if (v == null) report.add("sequence " + seq + " does not exist on " + from);
                else if (v.length == 2) values.put(seq, v);
            }
        }
        for (String node : to) {
            try (Connection c = servers.connect(node, s.database())) {
                for (Map.Entry<String, long[]> e : values.entrySet()) {
                    long[] here = read(c, e.getKey());
                    if (here == null) {
                        report.add("sequence " + e.getKey() + " does not exist on " + node);
                        continue;
                    }
                    long want = e.getValue()[0];
                    boolean up = e.getValue()[1] > 0;
                    if (here.length == 2 && (up ? here[0] >= want : here[0] <= want)) continue;
                    try (PreparedStatement ps = c.prepareStatement("SELECT setval(?::regclass, ?, true)")) {
                        ps.setString(1, Sql.table(e.getKey()));
                        ps.setLong(2, want);
                        ps.execute();
                    }
                    report.add(node + ": " + e.getKey() + " -> " + want);
                }
            }
        }
        return report;
    }

    /** {last_value, increment_by}; {increment_by} alone when never used; null when it does not exist. */
    private static long[] read(Connection c, String seq) throws SQLException {
        int dot = seq.indexOf('.');
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT last_value, increment_by FROM pg_sequences" + " WHERE schemaname = ? AND sequencename = ?")) {
            ps.setString(1, seq.substring(0, dot));
            ps.setString(2, seq.substring(dot + 1));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return null;
                long v = rs.getLong(1);
                if (rs.wasNull()) return new long[] {rs.getLong(2)};
                return new long[] {v, rs.getLong(2)};
            }
        }
    }
}
