package io.pgha.agent;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgha.core.decide.LocalState;
import io.pgha.core.model.ArchiveStatus;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.core.model.SyncMode;
import io.pgha.core.resource.ResourceStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The agent's {@code GET /metrics}: Prometheus text exposition of this member through Micrometer,
 * the router's metrics library too. Where a value means what one of Patroni's does, it has
 * Patroni's name (so Patroni's dashboards and alerts work unchanged); pgha's own values start with
 * {@code pgha_}; the JVM's and the process's come from Micrometer's binders. Every series carries
 * Patroni's labels {@code scope} (the cluster) and {@code name} (the member). docs/metrics.md lists
 * them all.
 *
 * <p>Values are read from the {@link AgentView} when scraped, never from PostgreSQL or the DCS, so a
 * scrape never waits. Patroni declares its WAL positions and timeline as counters; here they are
 * gauges (the Prometheus client would add {@code _total} to a counter's name, and a timeline is no
 * count), which PromQL reads the same way.
 *
 * <p>The resources this member reports (its record's {@code resources}) have one series each, labelled
 * {@code resource}: they follow the member's record at every scrape, so a resource removed from the
 * config leaves no series behind once this member has forgotten it.
 */
final class AgentMetrics implements AutoCloseable {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final AgentView view;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    /** The archive's meters, present only while this member is an archiving primary (as before). */
    private final List<Meter> archiveMeters = new ArrayList<>();

    private volatile ArchiveStatus archive;

    /** Per resource on this member, rewritten at every scrape (rows of removed resources are dropped). */
    private final MultiGauge resourceRunning;

    private final MultiGauge resourceState;
    private final MultiGauge resourceFailCount;
    /** Per set and subscriber, while this member leads a cluster whose config has replication sets. */
    private final MultiGauge setLagBytes;

    private final MultiGauge setLagSeconds;
    private final MultiGauge setRetained;
    private final MultiGauge setState;

    AgentMetrics(AgentView view) {
        this.view = view;
        registry.config()
                .commonTags(
                        "scope", view.config().cluster(), "name", view.config().name());
        member();
        resourceRunning = MultiGauge.builder("pgha_resource_running")
                .description("Value is 1 if the resource is started on this member, 0 otherwise")
                .register(registry);
        resourceState = MultiGauge.builder("pgha_resource_state")
                .description("Value is 1 for the resource's state on this member, 0 for the other states")
                .register(registry);
        resourceFailCount = MultiGauge.builder("pgha_resource_fail_count")
                .description("Failures of the resource on this member not yet expired or cleaned up"
                        + " (1000000: INFINITY, a hard error)")
                .register(registry);
        setLagBytes = MultiGauge.builder("pgha_set_lag_bytes")
                .description("WAL of the provider the subscriber of a replication set has not confirmed")
                .baseUnit("bytes")
                .register(registry);
        setLagSeconds = MultiGauge.builder("pgha_set_lag_seconds")
                .description("The provider's replay_lag for the subscriber of a replication set")
                .baseUnit("seconds")
                .register(registry);
        setRetained = MultiGauge.builder("pgha_set_retained_wal_bytes")
                .description("WAL the slot of a set's subscriber keeps on its provider")
                .baseUnit("bytes")
                .register(registry);
        setState = MultiGauge.builder("pgha_set_state")
                .description("Value is 1 for the state of the set's subscriber, 0 for the other states")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** Every meter in Prometheus text format (0.0.4). */
    synchronized String scrape() {
        Member me = view.status();
        ArchiveStatus a = me == null ? null : me.archive();
        archive = a;
        if (a != null && archiveMeters.isEmpty()) archiveMeters();
        if (a == null && !archiveMeters.isEmpty()) {
            archiveMeters.forEach(registry::remove);
            archiveMeters.clear();
        }
        resources(me == null ? Map.of() : me.resources());
        sets(view.sets());
        return registry.scrape();
    }

    /** The resource series of what this member's record reports now, and no others. */
    private void resources(Map<String, ResourceStatus> states) {
        List<MultiGauge.Row<?>> running = new ArrayList<>();
        List<MultiGauge.Row<?>> state = new ArrayList<>();
        List<MultiGauge.Row<?>> fails = new ArrayList<>();
        states.forEach((name, s) -> {
            Tags tags = Tags.of("resource", name);
            running.add(MultiGauge.Row.of(tags, bit(s.state() == ResourceStatus.State.STARTED)));
            for (ResourceStatus.State each : ResourceStatus.State.values()) {
                state.add(MultiGauge.Row.of(tags.and("state", each.label()), bit(s.state() == each)));
            }
            fails.add(MultiGauge.Row.of(tags, s.failCount()));
        });
        resourceRunning.register(running, true);
        resourceState.register(state, true);
        resourceFailCount.register(fails, true);
    }

    /** The set series of what this member read last (none unless it leads a cluster with sets). */
    private void sets(List<io.pgha.logical.SetStatus> rows) {
        List<MultiGauge.Row<?>> lag = new ArrayList<>();
        List<MultiGauge.Row<?>> lagSeconds = new ArrayList<>();
        List<MultiGauge.Row<?>> retained = new ArrayList<>();
        List<MultiGauge.Row<?>> state = new ArrayList<>();
        for (io.pgha.logical.SetStatus r : rows) {
            Tags tags = Tags.of("set", r.set(), "subscriber", r.node(), "provider", r.provider());
            if (r.lagBytes() != null) lag.add(MultiGauge.Row.of(tags, r.lagBytes()));
            if (r.lagSeconds() != null) lagSeconds.add(MultiGauge.Row.of(tags, r.lagSeconds()));
            if (r.retainedBytes() != null) retained.add(MultiGauge.Row.of(tags, r.retainedBytes()));
            for (String each : io.pgha.logical.SetStatus.STATES)
                state.add(MultiGauge.Row.of(tags.and("state", each), bit(each.equals(r.state()))));
        }
        setLagBytes.register(lag, true);
        setLagSeconds.register(lagSeconds, true);
        setRetained.register(retained, true);
        setState.register(state, true);
    }

    private void member() {
        gauge(
                "patroni_postgres_running",
                "Value is 1 if PostgreSQL is running, 0 otherwise.",
                v -> bit(local(v).running()));
        gauge(
                "patroni_primary",
                "Value is 1 if this member is a running primary, 0 otherwise.",
                v -> bit(local(v).runningPrimary()));
        gauge(
                "patroni_standby_leader",
                "Value is 1 if this member is the standby leader of a standby cluster, 0 otherwise.",
                v -> bit(standbyLeader(v)));
        gauge(
                "patroni_replica",
                "Value is 1 if this member is a running standby (not the standby leader), 0 otherwise.",
                v -> bit(local(v).runningStandby() && !standbyLeader(v)));
        gauge(
                "patroni_sync_standby",
                "Value is 1 if this member is a synchronous standby (synchronous_mode on), 0 otherwise.",
                v -> bit(inSyncSet(v, SyncMode.ON)));
        gauge(
                "patroni_quorum_standby",
                "Value is 1 if this member is a quorum standby (synchronous_mode quorum), 0 otherwise.",
                v -> bit(inSyncSet(v, SyncMode.QUORUM)));
        gauge(
                "patroni_xlog_location",
                "Current WAL write position of this primary in bytes, 0 if it is not a running primary.",
                v -> local(v).runningPrimary() ? local(v).walPosition().value() : 0);
        gauge(
                "patroni_xlog_received_location",
                "Furthest WAL position received (or replayed) by this standby in bytes, 0 if it is not a running standby.",
                v -> local(v).runningStandby() ? local(v).walPosition().value() : 0);
        gauge(
                "patroni_xlog_replayed_location",
                "WAL position replayed by this standby in bytes, 0 if it is not a running standby.",
                v -> local(v).runningStandby() ? local(v).replayPosition().value() : 0);
        gauge(
                "patroni_postgres_streaming",
                "Value is 1 if this standby streams WAL from its upstream, 0 otherwise.",
                v -> bit(local(v).runningStandby() && local(v).streaming()));
        gauge(
                "patroni_postgres_in_archive_recovery",
                "Value is 1 if this standby is in recovery without streaming (WAL from the archive), 0 otherwise.",
                v -> bit(local(v).runningStandby() && !local(v).streaming()));
        gauge(
                "patroni_postgres_timeline",
                "PostgreSQL timeline of this member if it is running, 0 otherwise.",
                v -> local(v).running() ? local(v).timeline() : 0);
        gauge(
                "patroni_cluster_unlocked",
                "Value is 1 if no member holds the leader lease, 0 if one does.",
                v -> bit(cluster(v).leader() == null));
        gauge(
                "patroni_failsafe_mode_is_active",
                "Value is 1 if failsafe mode keeps this primary running through a DCS outage, 0 otherwise.",
                v -> bit(v.failsafeActive()));
        gauge(
                "patroni_dcs_last_seen",
                "Epoch seconds of the agent's last successful read of the DCS, 0 before the first.",
                v -> v.dcsLastSeenMillis() / 1000);
        gauge(
                "patroni_pending_restart",
                "Value is 1 if PostgreSQL has settings that take effect only after a restart, 0 otherwise.",
                v -> bit(v.pendingRestart()));
        gauge(
                "patroni_is_paused",
                "Value is 1 if the cluster is paused (no automatic failover), 0 otherwise.",
                v -> bit(cluster(v).config().paused()));
        gauge(
                "pgha_lease_held",
                "Value is 1 if this member holds the leader lease and its last renewal is valid, 0 otherwise.",
                v -> bit(v.leaseValid()));
        gauge(
                "pgha_wal_position_bytes",
                "Furthest WAL of this member: the write position on a primary, received or replayed on a standby.",
                v -> local(v).walPosition().value());
    }

    private void archiveMeters() {
        archiveMeters.add(Gauge.builder("pgha_archive_pending_files", this, m -> m.archive(ArchiveStatus::pending))
                .description("WAL files finished but not archived yet (the archive's lag)")
                .strongReference(true)
                .register(registry));
        archiveMeters.add(Gauge.builder("pgha_archive_pending_bytes", this, m -> m.archive(ArchiveStatus::pendingBytes))
                .description("Bytes of WAL finished but not archived yet")
                .strongReference(true)
                .register(registry));
        archiveMeters.add(Gauge.builder("pgha_archive_failing", this, m -> m.archive(s -> s.failing() ? 1 : 0))
                .description("Value is 1 if the last archive attempt failed, 0 otherwise")
                .strongReference(true)
                .register(registry));
        // counters: the Prometheus names get _total
        archiveMeters.add(FunctionCounter.builder(
                        "pgha_archive_archived_files", this, m -> m.archive(ArchiveStatus::archivedCount))
                .description("WAL files archived (pg_stat_archiver)")
                .register(registry));
        archiveMeters.add(
                FunctionCounter.builder("pgha_archive_failed", this, m -> m.archive(ArchiveStatus::failedCount))
                        .description("Failed archive_command calls (pg_stat_archiver)")
                        .register(registry));
    }

    private double archive(ToDoubleFunction<ArchiveStatus> f) {
        ArchiveStatus a = archive;
        return a == null ? Double.NaN : f.applyAsDouble(a);
    }

    private void gauge(String name, String help, ToDoubleFunction<AgentView> value) {
        Gauge.builder(name, view, value).description(help).strongReference(true).register(registry);
    }

    private static LocalState local(AgentView v) {
        return v.local();
    }

    private static ClusterState cluster(AgentView v) {
        return v.cluster();
    }

    private static double bit(boolean b) {
        return b ? 1 : 0;
    }

    /** The leader of a standby cluster: it holds the lease and runs as a standby of the other site. */
    private static boolean standbyLeader(AgentView v) {
        return cluster(v).config().standby() && v.leaseValid() && local(v).runningStandby();
    }

    /** A running standby the DCS's synchronous set names, in the given mode. */
    private static boolean inSyncSet(AgentView v, SyncMode mode) {
        ClusterState c = cluster(v);
        return local(v).runningStandby()
                && c.config().synchronous()
                && c.config().synchronousMode() == mode
                && c.sync().contains(v.config().name());
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
