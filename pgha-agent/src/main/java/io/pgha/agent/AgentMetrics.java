package io.pgha.agent;

import io.pgha.core.decide.LocalState;
import io.pgha.core.model.ArchiveStatus;
import io.pgha.core.model.Member;

/** The agent's {@code GET /metrics}: Prometheus text exposition of this member and, on an archiving primary, of its WAL archive. */
final class AgentMetrics {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private AgentMetrics() {}

    static String render(AgentView v) {
        LocalState local = v.local();
        Member me = v.status();
        StringBuilder b = new StringBuilder();
        String l = "{cluster=\"" + v.config().cluster() + "\",member=\""
                + v.config().name() + "\"}";
        gauge(b, "pgha_postgres_running", "1 when PostgreSQL answers", l, local.running() ? 1 : 0);
        gauge(b, "pgha_primary", "1 when this member is a running primary", l, local.runningPrimary() ? 1 : 0);
        gauge(b, "pgha_lease_held", "1 when this member holds the leader lease", l, v.leaseValid() ? 1 : 0);
        gauge(b, "pgha_timeline", "PostgreSQL timeline", l, local.timeline());
        gauge(
                b,
                "pgha_wal_position_bytes",
                "WAL position (write on a primary, received or replayed on a standby)",
                l,
                local.walPosition().value());
        ArchiveStatus a = me == null ? null : me.archive();
        if (a != null) {
            gauge(
                    b,
                    "pgha_archive_pending_files",
                    "WAL files finished but not archived yet (the archive's lag)",
                    l,
                    a.pending());
            gauge(b, "pgha_archive_pending_bytes", "bytes of WAL finished but not archived yet", l, a.pendingBytes());
            counter(
                    b,
                    "pgha_archive_archived_files_total",
                    "WAL files archived (pg_stat_archiver)",
                    l,
                    a.archivedCount());
            counter(
                    b,
                    "pgha_archive_failed_total",
                    "failed archive_command calls (pg_stat_archiver)",
                    l,
                    a.failedCount());
            gauge(b, "pgha_archive_failing", "1 when the last archive attempt failed", l, a.failing() ? 1 : 0);
        }
        return b.toString();
    }

    private static void gauge(StringBuilder b, String name, String help, String labels, long value) {
        b.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help)
                .append("\n# TYPE ")
                .append(name)
                .append(" gauge\n")
                .append(name)
                .append(labels)
                .append(' ')
                .append(value)
                .append('\n');
    }

    private static void counter(StringBuilder b, String name, String help, String labels, long value) {
        b.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help)
                .append("\n# TYPE ")
                .append(name)
                .append(" counter\n")
                .append(name)
                .append(labels)
                .append(' ')
                .append(value)
                .append('\n');
    }
}
