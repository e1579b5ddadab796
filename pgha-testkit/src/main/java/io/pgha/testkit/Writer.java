package io.pgha.testkit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * A write workload: inserts numbered rows one transaction at a time through a multi-host JDBC URL,
 * remembering every acknowledged id and when it was acknowledged (nanoTime). Reconnects after an
 * error. Used to check that acknowledged writes survive and to measure unavailability windows.
 */
public final class Writer extends Workload {
    /** One acknowledged write: monotonic time, and wall-clock time for comparing with other processes. */
    public record Ack(long id, long atNanos, long atMillis, String member, int timeline) {
        public Ack(long id, long atNanos, long atMillis) {
            this(id, atNanos, atMillis, null, 0);
        }
    }

    /**
     * The SQL that writes row {@code ?} and returns who acknowledged it: the member (from
     * cluster_name, "cluster/member") and the timeline of the WAL insert position.
     */
    static final String WHO = "split_part(current_setting('cluster_name'), '/', 2),"
            + " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int";

    private final String table;
    private final ConcurrentSkipListSet<Long> acked = new ConcurrentSkipListSet<>();
    private final ConcurrentSkipListSet<Long> unconfirmed = new ConcurrentSkipListSet<>();
    private final List<Ack> acks = new ArrayList<>();
    private long next = 1;

    public Writer(String jdbcUrl, String table) throws SQLException {
        super(jdbcUrl, "writer-" + table);
        this.table = table;
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + table
                    + " (id bigint PRIMARY KEY, at timestamptz DEFAULT now(), member text, tl int)");
        }
    }

    public Writer start() {
        begin();
        return this;
    }

    @Override
    protected void writeWith(Connection c) throws SQLException, InterruptedException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO " + table + " (id, member, tl) SELECT ?, " + WHO + " RETURNING member, tl")) {
            while (running()) {
                ps.setLong(1, next);
                String member;
                int tl;
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    member = rs.getString(1);
                    tl = rs.getInt(2);
                }
                if (cancelledSyncWait(ps.getWarnings())) {
                    // Committed locally but not confirmed by a synchronous standby: not an acknowledgement.
                    ps.clearWarnings();
                    unconfirmed.add(next++);
                    continue;
                }
                long now = System.nanoTime();
                long wall = System.currentTimeMillis();
                acked.add(next);
                synchronized (acks) {
                    acks.add(new Ack(next, now, wall, member, tl));
                }
                next++;
                Thread.sleep(5);
            }
        }
    }

    @Override
    protected void failed() {
        next++; // the failed id may or may not have committed: never reuse it
    }

    /** Ids committed on the primary whose synchronous wait was cancelled (never counted as acknowledged). */
    public ConcurrentSkipListSet<Long> unconfirmed() {
        return unconfirmed;
    }

    /** The last acknowledgement, or null. */
    public Ack lastAck() {
        synchronized (acks) {
            return acks.isEmpty() ? null : acks.get(acks.size() - 1);
        }
    }

    public int ackedCount() {
        return acked.size();
    }

    public List<Ack> acks() {
        synchronized (acks) {
            return List.copyOf(acks);
        }
    }

    /** Ids acknowledged to this writer. */
    public ConcurrentSkipListSet<Long> acked() {
        return acked;
    }

    /** The two acknowledgements around the longest gap after {@code fromNanos}, or null. */
    public Ack[] longestGapAfter(long fromNanos) {
        List<Ack> all = acks();
        Ack[] worst = null;
        for (int i = 1; i < all.size(); i++) {
            Ack a = all.get(i - 1);
            Ack b = all.get(i);
            if (b.atNanos() < fromNanos) continue;
            if (worst == null || b.atNanos() - a.atNanos() > worst[1].atNanos() - worst[0].atNanos())
                worst = new Ack[] {a, b};
        }
        return worst;
    }

    /** The longest gap between two consecutive acknowledgements after {@code fromNanos}, in ms. */
    public long longestGapMsAfter(long fromNanos) {
        List<Ack> all = acks();
        long prev = -1;
        long worst = 0;
        for (Ack a : all) {
            if (prev >= 0 && a.atNanos() >= fromNanos) worst = Math.max(worst, a.atNanos() - prev);
            prev = a.atNanos();
        }
        return worst / 1_000_000L;
    }
}
