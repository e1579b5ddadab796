package io.pgha.agent;

import io.pgha.core.config.ConfigReader;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.LocalState;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.ControlState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fixed {@link AgentView} of member "n1" for REST API tests, built step by step: {@code
 * FakeView.of().primary().lease()}, {@code FakeView.of().standby(replayMb).sync(...)}. The
 * leader "n0" publishes {@code leaderOptime}.
 */
final class FakeView implements AgentView {
    static final long MB = 1024 * 1024;
    NodeConfig config = config(Map.of());
    LocalState local = LocalState.noData();
    MemberState state = MemberState.STOPPED;
    boolean lease;
    boolean alive = true;
    String leader = "n0";
    DynamicConfig dynamic = DynamicConfig.DEFAULT;
    SyncState sync = SyncState.EMPTY;
    Lsn leaderOptime = new Lsn(100 * MB);
    FailoverRequest failover;
    String acceptedLeader;
    io.pgha.core.model.ArchiveStatus archive;
    boolean pendingRestart;
    boolean failsafeActive;
    long dcsLastSeenMillis;
    /** The resources this member's record reports. */
    Map<String, io.pgha.core.resource.ResourceStatus> resources = Map.of();

    /** The replication sets' subscribers, as a leading member would report them. */
    java.util.List<io.pgha.logical.SetStatus> sets = java.util.List.of();

    @Override
    public java.util.List<io.pgha.logical.SetStatus> sets() {
        return sets;
    }
    /** The REST API address that the leader "n0" publishes. */
    String peerApiUrl = "http://10.0.0.2:8008";
    /** The resources cleaned up through {@link #cleanupResource}. */
    final List<String> cleanedUp = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void cleanupResource(String name) throws ControlException {
        if (!dynamic.resources().resources().containsKey(name))
            throw new ControlException("no resource named '" + name + "' on n1");
        cleanedUp.add(name);
    }

    /** How many restarts of this member's PostgreSQL were asked for. */
    final java.util.concurrent.atomic.AtomicInteger restarts = new java.util.concurrent.atomic.AtomicInteger();

    static FakeView of() {
        return new FakeView();
    }

    /** A node config for "n1" with {@code extra} keys (dotted) set. */
    static NodeConfig config(Map<String, Object> extra) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("cluster", "main");
        doc.put("name", "n1");
        doc.put("data_dir", "/var/lib/pgha/n1");
        doc.put("dcs", Map.of("zookeeper", Map.of("connect", "127.0.0.1:2181")));
        extra.forEach((k, v) -> put(doc, k, v));
        return ConfigReader.read(doc);
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> doc, String dotted, Object value) {
        String[] keys = dotted.split("\\.");
        Map<String, Object> m = doc;
        for (int i = 0; i < keys.length - 1; i++) {
            Object next = m.get(keys[i]);
            Map<String, Object> copy =
                    next == null ? new LinkedHashMap<>() : new LinkedHashMap<>((Map<String, Object>) next);
            m.put(keys[i], copy);
            m = copy;
        }
        m.put(keys[keys.length - 1], value);
    }

    /** This cluster is a standby cluster following hosts elsewhere. */
    FakeView standbyCluster() {
        dynamic = dynamic.withStandbyCluster(new io.pgha.core.model.StandbyCluster("10.0.0.9:5432", null, false, null));
        return this;
    }

    FakeView with(Map<String, Object> extra) {
        config = config(extra);
        return this;
    }

    FakeView primary() {
        local = new LocalState(
                true,
                false,
                true,
                false,
                2,
                leaderOptime,
                leaderOptime,
                null,
                false,
                ControlState.IN_PRODUCTION,
                Lsn.ZERO,
                true);
        state = MemberState.RUNNING;
        leader = "n1";
        return this;
    }

    FakeView lease() {
        lease = true;
        return this;
    }

    FakeView standby(long replayMb, boolean streaming) {
        Lsn replay = new Lsn(replayMb * MB);
        local = new LocalState(
                true,
                true,
                true,
                true,
                2,
                replay,
                replay,
                "n0",
                streaming,
                ControlState.IN_ARCHIVE_RECOVERY,
                Lsn.ZERO,
                true);
        state = MemberState.RUNNING;
        return this;
    }

    FakeView state(MemberState s) {
        state = s;
        return this;
    }

    FakeView sync(SyncMode mode, String recordedBy, int quorum, String... members) {
        dynamic = DynamicConfig.DEFAULT.withSynchronous(mode, false, 1);
        sync = new SyncState(recordedBy, quorum, List.of(members));
        return this;
    }

    FakeView dead() {
        alive = false;
        return this;
    }

    FakeView failover(FailoverRequest fr) {
        failover = fr;
        return this;
    }

    @Override
    public NodeConfig config() {
        return config;
    }

    @Override
    public Member status() {
        if (!local.running() && state == MemberState.STOPPED && local.timeline() == 0) return null;
        Role role = !local.running() ? Role.UNKNOWN : local.inRecovery() ? Role.STANDBY : Role.PRIMARY;
        return new Member(
                "n1",
                config.restapi().url(),
                "10.0.0.1",
                5432,
                role,
                state,
                local.timeline(),
                local.walPosition(),
                local.replayPosition(),
                local.following(),
                local.streaming(),
                config.tags(),
                "test",
                1L,
                null,
                archive,
                null,
                false,
                null,
                null,
                resources);
    }

    @Override
    public ClusterState cluster() {
        Map<String, Member> members = new LinkedHashMap<>();
        Member me = status();
        if (me != null) members.put("n1", me);
        members.put(
                "n0",
                new Member(
                        "n0",
                        peerApiUrl,
                        "10.0.0.2",
                        5432,
                        Role.PRIMARY,
                        MemberState.RUNNING,
                        2,
                        leaderOptime,
                        leaderOptime,
                        null,
                        false,
                        io.pgha.core.model.Tags.NONE,
                        "primary",
                        1L));
        return new ClusterState("7000", leader, members, dynamic, failover, leaderOptime, List.of(), sync);
    }

    @Override
    public LocalState local() {
        return local;
    }

    @Override
    public boolean leaseValid() {
        return lease;
    }

    @Override
    public boolean alive() {
        return alive;
    }

    @Override
    public boolean pendingRestart() {
        return pendingRestart;
    }

    @Override
    public boolean failsafeActive() {
        return failsafeActive;
    }

    @Override
    public long dcsLastSeenMillis() {
        return dcsLastSeenMillis;
    }

    @Override
    public boolean acceptFailsafe(String leader) {
        acceptedLeader = leader;
        return "n0".equals(leader);
    }

    @Override
    public java.util.Map<String, io.pgha.core.config.ParameterCheck.Setting> settingsCatalog() throws ControlException {
        if (!local.running()) throw new ControlException("cannot check the settings: PostgreSQL is not running on n1");
        return java.util.Map.of(
                "work_mem",
                new io.pgha.core.config.ParameterCheck.Setting(
                        "work_mem", "integer", "kB", "64", "2147483647", java.util.List.of(), "user"),
                "wal_compression",
                new io.pgha.core.config.ParameterCheck.Setting(
                        "wal_compression",
                        "enum",
                        null,
                        null,
                        null,
                        java.util.List.of("pglz", "lz4", "zstd", "on", "off"),
                        "superuser"));
    }

    io.pgha.core.model.ScheduledRestart scheduled;

    @Override
    public void requestRestart() throws ControlException {
        if (!local.running()) throw new ControlException("PostgreSQL is not running on n1");
        restarts.incrementAndGet();
    }

    @Override
    public void scheduleRestart(io.pgha.core.model.ScheduledRestart r) throws ControlException {
        if (scheduled != null) throw new ControlException("a restart is already scheduled on n1");
        scheduled = r;
    }

    @Override
    public java.util.Optional<io.pgha.core.model.ScheduledRestart> cancelScheduledRestart() {
        var r = java.util.Optional.ofNullable(scheduled);
        scheduled = null;
        return r;
    }

    @Override
    public void requestReload() throws ControlException {
        if (!local.running()) throw new ControlException("PostgreSQL is not running on n1");
    }

    @Override
    public void requestReinitialize() throws ControlException {
        throw new ControlException("no running primary to clone from");
    }
}
