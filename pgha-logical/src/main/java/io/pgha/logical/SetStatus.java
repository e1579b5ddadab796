package io.pgha.logical;

import io.pgha.core.model.Lsn;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How each subscriber of each set is doing, like Slony-I's sl_status: state, lag in bytes and
 * seconds, the WAL its slot keeps on the provider, and the last error the subscriber logged.
 *
 * @param state copying, catching up, streaming, broken, or missing (not subscribed yet)
 * @param reason why, when broken or missing
 * @param lagBytes the provider's WAL position minus what the subscriber confirmed (null: unknown)
 * @param lagSeconds the provider's replay_lag for the subscriber (null: unknown or idle)
 * @param retainedBytes the WAL the slot keeps on the provider (null: unknown)
 * @param lastError the subscriber's last logged replication error, with the table and the fix
 */
public record SetStatus(
        String set,
        String node,
        String provider,
        String state,
        String reason,
        int tablesReady,
        int tables,
        Long lagBytes,
        Double lagSeconds,
        Long retainedBytes,
        Long errors,
        String lastError) {

    /** The row as {@code pgha sets status --format json} and {@code GET /sets} give it (snake_case). */
    public java.util.Map<String, Object> toMap() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("set", set);
        m.put("node", node);
        m.put("provider", provider);
        m.put("state", state);
        m.put("reason", reason);
        m.put("tables_ready", tablesReady);
        m.put("tables", tables);
        m.put("lag_bytes", lagBytes);
        m.put("lag_seconds", lagSeconds);
        m.put("retained_wal_bytes", retainedBytes);
        m.put("errors", errors);
        m.put("last_error", lastError);
        return m;
    }

    /** The states a subscriber can be in, for the metrics. */
    public static final List<String> STATES = List.of("copying", "catching up", "streaming", "broken", "missing");

    /** Every subscriber of every set (or of {@code only}), in document order. */
    public static List<SetStatus> collect(SetsConfig doc, SetServers servers, String only) {
        List<SetStatus> out = new ArrayList<>();
        for (ReplicationSet s : doc.sets().values()) {
            if (only != null && !only.equals(s.name())) continue;
            for (String n : s.subscribers().keySet()) out.add(one(s, n, servers));
        }
        return out;
    }

    static SetStatus one(ReplicationSet s, String node, SetServers servers) {
        String provider = s.providerOf(node);
        String sub = Names.subscription(s.name(), node);
        String db = s.database();
        Long lag = null;
        Double lagSec = null;
        Long retained = null;
        boolean slotExists = false;
        boolean slotActive = false;
        String providerProblem = null;
        try (Connection c = servers.connect(provider, db);
                PreparedStatement ps = c.prepareStatement("SELECT pg_current_wal_lsn()::text,"
                        + " s.confirmed_flush_lsn::text, s.restart_lsn::text, s.active,"
                        + " extract(epoch FROM r.replay_lag)::float8"
                        + " FROM pg_replication_slots s LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid"
                        + " WHERE s.slot_name = ?")) {
            ps.setString(1, sub);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    slotExists = true;
                    Lsn now = Lsn.parse(rs.getString(1));
                    if (rs.getString(2) != null) lag = Math.max(0, now.minus(Lsn.parse(rs.getString(2))));
                    if (rs.getString(3) != null) retained = Math.max(0, now.minus(Lsn.parse(rs.getString(3))));
                    slotActive = rs.getBoolean(4);
                    double d = rs.getDouble(5);
                    lagSec = rs.wasNull() ? null : d;
                }
            }
        } catch (SQLException | RuntimeException e) {
            providerProblem = "provider " + provider + " cannot be reached: " + SetOperations.message(e);
        }
        try (Connection c = servers.connect(node, db)) {
            long oid;
            long errors;
            try (PreparedStatement ps = c.prepareStatement("SELECT s.oid, s.subenabled,"
                    + " (SELECT coalesce(max(w.pid), 0) FROM pg_stat_subscription w WHERE w.subid = s.oid"
                    + "   AND w.relid IS NULL),"
                    + " (SELECT count(*) FILTER (WHERE r.srsubstate IN ('r', 's')) || '/' || count(*)"
                    + "   FROM pg_subscription_rel r WHERE r.srsubid = s.oid),"
                    + " (SELECT st.apply_error_count + st.sync_error_count FROM pg_stat_subscription_stats st"
                    + "   WHERE st.subid = s.oid)"
                    + " FROM pg_subscription s WHERE s.subname = ?")) {
                ps.setString(1, sub);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next())
                        return new SetStatus(
                                s.name(),
                                node,
                                provider,
                                "missing",
                                "not subscribed yet (pgha sets apply, or pgha sets subscribe " + s.name() + " --node "
                                        + node + ")",
                                0,
                                0,
                                lag,
                                lagSec,
                                retained,
                                null,
                                null);
                    oid = rs.getLong(1);
                    boolean enabled = rs.getBoolean(2);
                    int pid = rs.getInt(3);
                    String[] counts = rs.getString(4).split("/");
                    errors = rs.getLong(5);
                    int ready = Integer.parseInt(counts[0]);
                    int total = Integer.parseInt(counts[1]);
                    Logged logged = errors > 0 ? logged(c, oid, s.name(), node) : null;
                    String lastError = logged == null ? null : logged.text();
                    String state;
                    String reason = null;
                    if (providerProblem != null) {
                        state = "broken";
                        reason = providerProblem;
                    } else if (!slotExists) {
                        state = "broken";
                        reason = "slot " + sub + " is missing on " + provider
                                + " (resubscribe: pgha sets unsubscribe, then subscribe)";
                    } else if (!enabled) {
                        state = "broken";
                        reason = "the subscription is disabled" + (lastError == null ? "" : " after an error");
                    } else if (ready < total) {
                        state = "copying";
                    } else if (logged != null && logged.recent()) {
                        // PostgreSQL restarts a failing worker every few seconds: it may be running
                        state = "broken";
                        reason = "the apply worker keeps failing on a change it cannot apply";
                    } else if (pid == 0 || !slotActive) {
                        state = "broken";
                        reason = lastError != null
                                ? "the apply worker stops on an error"
                                : "no apply worker is running (see the server log of " + node + ")";
                    } else if (lag != null && lag > 16L * 1024 * 1024) {
                        state = "catching up";
                    } else {
                        state = "streaming";
                    }
                    return new SetStatus(
                            s.name(), node, provider, state, reason, ready, total, lag, lagSec, retained, errors,
                            lastError);
                }
            }
        } catch (SQLException | RuntimeException e) {
            return new SetStatus(
                    s.name(),
                    node,
                    provider,
                    "broken",
                    "subscriber " + node + " cannot be reached: " + SetOperations.message(e),
                    0,
                    0,
                    lag,
                    lagSec,
                    retained,
                    null,
                    null);
        }
    }

    private static final Pattern CONTEXT = Pattern.compile(
            "processing remote data for replication origin \"pg_(\\d+)\" during (?:message type )?\"([A-Z]+)\""
                    + "(?: for replication target relation \"([^\"]+)\")?.*?finished at ([0-9A-F]+/[0-9A-F]+)");

    /**
     * The last replication error the subscriber logged for this subscription, read from its current
     * log file (with logging_collector, as pgha's nodes run), with the table and the ways to fix it.
     */
    static String lastError(Connection c, long oid, String set, String node) {
        return logged(c, oid, set, node).text();
    }

    /**
     * A replication error found in the subscriber's log.
     *
     * @param recent logged within three of the worker's retry intervals ({@code
     *     wal_retrieve_retry_interval}, 5 s by default) by the server's clock: it is failing now
     */
    record Logged(String text, boolean recent) {}

    private static final Pattern STAMP = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)");

    static Logged logged(Connection c, long oid, String set, String node) {
        String text;
        String now;
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_read_file(f, greatest(0, s - 262144), 262144),"
                + " to_char((now() AT TIME ZONE current_setting('log_timezone'))"
                + " - 3 * current_setting('wal_retrieve_retry_interval')::interval,"
                + " 'YYYY-MM-DD HH24:MI:SS')"
                + " FROM (SELECT f, (pg_stat_file(f)).size AS s FROM"
                + " (SELECT pg_current_logfile() AS f) x WHERE f IS NOT NULL) y")) {
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) return new Logged("see the server log of " + node, false);
                text = rs.getString(1);
                now = rs.getString(2);
            }
        } catch (SQLException e) {
            return new Logged("see the server log of " + node, false);
        }
        String[] lines = text.split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            Matcher m = CONTEXT.matcher(lines[i]);
            if (!m.find() || Long.parseLong(m.group(1)) != oid) continue;
            String error = null;
            for (int j = i - 1; j >= 0 && j >= i - 4; j--) {
                int at = lines[j].indexOf("ERROR:");
                if (at >= 0) {
                    error = lines[j].substring(at + 6).trim();
                    break;
                }
            }
            String table = m.group(3);
            Matcher stamp = STAMP.matcher(lines[i]);
            // the log's timestamps sort as text; an error within three retry intervals means the worker
            // is failing now (PostgreSQL restarts it and it fails again at every interval)
            boolean recent = stamp.find() && stamp.group(1).compareTo(now) >= 0;
            return new Logged(
                    (error == null ? "an error" : error)
                            + " while applying " + m.group(2)
                            + (table == null ? "" : " to " + table)
                            + " (transaction finished at " + m.group(4) + "); fix the row on " + node
                            + ", or skip that transaction: pgha sets skip " + set + " --node " + node + " --lsn "
                            + m.group(4) + ", or copy the set again: pgha sets resync " + set + " --node " + node,
                    recent);
        }
        // an error of a worker copying a table carries no replication origin: the last error before
        // a logical replication worker exited
        for (int i = lines.length - 1; i >= 0; i--) {
            if (!lines[i].contains("\"logical replication") || !lines[i].contains("exited with exit code")) continue;
            for (int j = i - 1; j >= 0 && j >= i - 6; j--) {
                int at = lines[j].indexOf("ERROR:");
                if (at >= 0)
                    return new Logged(
                            lines[j].substring(at + 6).trim() + " (a replication worker on " + node
                                    + " stopped on it; see its server log)",
                            false);
            }
            break;
        }
        return new Logged("see the server log of " + node, false);
    }
}
