package io.pgha.agent;

import io.pgha.core.config.ConfigException;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Member;
import io.pgha.core.model.SyncState;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Operator requests on a cluster, shared by the CLI and the REST API: each validates against the
 * current DCS state and either records the request in the DCS or refuses with a message that says
 * why. The agents carry requests out.
 */
public final class ClusterControl {
    private final Dcs dcs;
    private final LongSupplier wallClock;

    public ClusterControl(Dcs dcs, LongSupplier wallClock) {
        this.dcs = dcs;
        this.wallClock = wallClock;
    }

    /**
     * Asks the primary to hand over to {@code candidate} (null: the most advanced healthy standby) at
     * {@code atMillis} (0: now). Refused unless there is a running primary holding the lease and the
     * candidate is a healthy standby that may be promoted.
     */
    public FailoverRequest switchover(String expectedLeader, String candidate, long atMillis)
            throws DcsException, ControlException {
        ClusterState c = dcs.read();
        Member leader = c.leaderMember()
                .filter(Member::isRunningPrimary)
                .orElseThrow(() -> new ControlException("switchover needs a running primary, and the cluster has none"
                        + " (use 'pgha failover --to NODE' instead)"));
        if (expectedLeader != null && !expectedLeader.equals(leader.name())) {
            throw new ControlException("the primary is " + leader.name() + ", not " + expectedLeader);
        }
        Member target = candidate == null
                ? bestStandby(c)
                        .orElseThrow(() -> new ControlException(
                                "no healthy standby can take over (none running, streaming and without nofailover)"))
                : healthyStandby(c, candidate);
        if (atMillis != 0 && atMillis < wallClock.getAsLong() - 60_000) {
            throw new ControlException("the switchover time lies in the past");
        }
        FailoverRequest fr = new FailoverRequest(leader.name(), target.name(), atMillis, wallClock.getAsLong(), null);
        if (!dcs.requestFailover(fr)) {
            throw new ControlException("another switchover or failover is pending; wait for it or cancel it first");
        }
        return fr;
    }

    /** Promotes {@code candidate} when no healthy primary is left; see {@link #failover(String, boolean)}. */
    public FailoverRequest failover(String candidate) throws DcsException, ControlException {
        return failover(candidate, false);
    }

    /**
     * Promotes {@code candidate} when no healthy primary is left. Refused while the last primary's
     * PostgreSQL may still accept writes: unless its agent reports it stopped, promoting another
     * member could make two writable primaries (its agent may be stopped while paused, or cut off,
     * with PostgreSQL running). {@code assumePrimaryDown} is the operator's word, after checking by
     * hand, that it is down; a member that reports a running primary is refused even then.
     */
    public FailoverRequest failover(String candidate, boolean assumePrimaryDown) throws DcsException, ControlException {
        ClusterState c = dcs.read();
        if (candidate == null) throw new ControlException("failover needs a target: --to NODE");
        Optional<Member> leader = c.leaderMember().filter(Member::isRunningPrimary);
        if (leader.isPresent()) {
            throw new ControlException("the primary " + leader.get().name() + " is healthy: use 'pgha switchover --to "
                    + candidate + "' for a planned change without data loss");
        }
        Optional<Member> writable =
                c.members().values().stream().filter(Member::isRunningPrimary).findFirst();
        if (writable.isPresent()) {
            throw new ControlException(writable.get().name() + " reports a running primary PostgreSQL: promoting "
                    + candidate + " would make two primaries; stop it first");
        }
        String down = lastPrimaryDown(c);
        if (down != null && !assumePrimaryDown) {
            throw new ControlException(down + ": its PostgreSQL may still accept writes, and promoting " + candidate
                    + " would then make two primaries whose writes diverge. Stop it (or make sure its machine is off), then retry;"
                    + " or, having checked by hand that it is down, retry with --assume-primary-down");
        }
        Member target = c.member(candidate)
                .orElseThrow(() -> new ControlException("no member named '" + candidate + "' (members: "
                        + c.sortedMembers().keySet() + ")"));
        if (!target.isRunningStandby()) {
            throw new ControlException(candidate + " is not a running standby ("
                    + target.role().label() + ", " + target.state().label() + ")");
        }
        SyncState sync = c.sync();
        if (c.config().synchronous()
                && !candidate.equals(sync.leader())
                && !(sync.quorum() > 0 && sync.contains(candidate))) {
            throw new ControlException(
                    candidate + " is not recorded as synchronous (" + sync.describe() + "): promoting it could lose"
                            + " acknowledged commits; set synchronous_mode=off with 'pgha edit-config' first to accept that");
        }
        FailoverRequest fr = new FailoverRequest(null, candidate, 0, wallClock.getAsLong(), null);
        if (!dcs.requestFailover(fr)) {
            throw new ControlException("another switchover or failover is pending; wait for it or cancel it first");
        }
        return fr;
    }

    /**
     * Null when the last primary's agent reports its PostgreSQL stopped; otherwise why its state is
     * unknown. The last primary is the leader key's holder, else the member that last recorded the
     * synchronous set (every primary does on promotion), else the one the history names last.
     */
    static String lastPrimaryDown(ClusterState c) {
        String last = c.leader() != null ? c.leader() : c.sync().leader();
        if (last == null && !c.history().isEmpty())
            last = c.history().get(c.history().size() - 1).newLeader();
        if (last == null) return "the last primary is not known";
        Optional<Member> m = c.member(last);
        if (m.isEmpty()) return "the last primary " + last + " has no agent reporting to the DCS";
        if (m.get().role() != io.pgha.core.model.Role.UNKNOWN
                || m.get().state() != io.pgha.core.model.MemberState.STOPPED) {
            return "the last primary " + last + " reports PostgreSQL "
                    + m.get().role().label() + ", " + m.get().state().label();
        }
        return null;
    }

    public void cancelFailover() throws DcsException {
        dcs.clearFailover();
    }

    /**
     * Cancels the pending scheduled switchover (one with a {@code scheduled_at}) before its time
     * comes; the cancelled request, or empty when no request is pending at all. Refused when the
     * pending request is an immediate switchover or a failover, or when the scheduled time has come
     * (the primary may be shutting down already).
     *
     * <p>The check and the deletion are two DCS calls: a primary whose clock runs ahead of this
     * one's may begin the switchover in between. That only cancels a switchover under way, which
     * is as safe as the switchover's own timeout: no member promotes without a request or the lease.
     */
    public Optional<FailoverRequest> cancelSwitchover() throws DcsException, ControlException {
        ClusterState c = dcs.read();
        FailoverRequest fr = c.failover();
        if (fr == null) return Optional.empty();
        if (fr.abandoned(c.leader())) return clearIf(fr, r -> r.abandoned(c.leader()));
        if (!fr.isSwitchover() || fr.scheduledAt() == 0) {
            String what = fr.isSwitchover() ? "an immediate switchover" : "a failover";
            throw new ControlException(what + " to " + (fr.candidate() == null ? "the best standby" : fr.candidate())
                    + " is pending, not a scheduled switchover; it cannot be cancelled");
        }
        if (fr.stoppedAt() != null || fr.draining() || fr.scheduledAt() <= wallClock.getAsLong()) {
            throw new ControlException("the switchover scheduled for "
                    + java.time.Instant.ofEpochMilli(fr.scheduledAt()) + " has begun; it can no longer be cancelled");
        }
        Optional<FailoverRequest> cleared =
                clearIf(fr, r -> r.stoppedAt() == null && !r.draining() && r.scheduledAt() > wallClock.getAsLong());
        if (cleared.isEmpty())
            throw new ControlException("the switchover began while it was being cancelled; it goes on");
        return cleared;
    }

    /**
     * Deletes the pending request if it is still {@code seen} and {@code stillCancellable} holds, in
     * one compare-and-set: a primary that starts the switchover meanwhile wins, and nothing is deleted.
     */
    private Optional<FailoverRequest> clearIf(
            FailoverRequest seen, java.util.function.Predicate<FailoverRequest> stillCancellable) throws DcsException {
        java.util.concurrent.atomic.AtomicReference<FailoverRequest> cleared =
                new java.util.concurrent.atomic.AtomicReference<>();
        dcs.updateFailover(now -> {
            if (seen.equals(now) && stillCancellable.test(now)) {
                cleared.set(now);
                return null;
            }
            cleared.set(null);
            return now;
        });
        return Optional.ofNullable(cleared.get());
    }

    /** The routers that publish their state to this cluster's DCS (a read; may wait on the DCS). */
    public java.util.List<io.pgha.core.model.RouterStatus> routers() throws DcsException {
        return dcs.routers();
    }

    /**
     * Applies {@code changes} (snake_case keys, see {@link DynamicSettings}) to the cluster-wide
     * settings atomically; nothing is written when any key or value is invalid.
     */
    public DynamicConfig updateConfig(Map<String, ?> changes) throws DcsException, ControlException {
        try {
            DynamicSettings.apply(dcs.read().config(), changes);
            return dcs.updateConfig(current -> DynamicSettings.apply(current, changes));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * {@code pgha resource disable|enable}: a disabled resource is stopped everywhere and left alone
     * until enabled; the database is not touched.
     */
    public void resourceDisabled(String name, boolean disabled) throws DcsException, ControlException {
        var rc = dcs.read().config().resources();
        if (!rc.resources().containsKey(name))
            throw new ControlException("no resource named '" + name + "' (resources: "
                    + (rc.resources().isEmpty()
                            ? "none"
                            : String.join(", ", rc.resources().keySet())) + ")");
        dcs.updateConfig(cfg -> {
            var res = cfg.resources();
            var r = res.resources().get(name);
            if (r == null) return cfg; // removed meanwhile
            var all = new java.util.LinkedHashMap<>(res.resources());
            all.put(
                    name,
                    new io.pgha.core.resource.ResourceSpec(
                            r.name(),
                            r.kind(),
                            r.agent(),
                            r.params(),
                            r.with(),
                            r.order(),
                            r.after(),
                            r.location(),
                            r.stickiness(),
                            r.monitorIntervalMs(),
                            r.monitorTimeoutMs(),
                            r.startTimeoutMs(),
                            r.stopTimeoutMs(),
                            r.migrationThreshold(),
                            r.failureTimeoutMs(),
                            r.critical(),
                            disabled,
                            r.lsb(),
                            r.upScript(),
                            r.downScript(),
                            r.promotable()));
            return cfg.withResources(new io.pgha.core.resource.ResourceConfig(
                    all, res.fencing(), res.maintenance(), res.primaryPlacement()));
        });
    }

    /**
     * {@code pgha node maintenance on|off}: a member in maintenance keeps its resources as they are
     * (pgha neither starts, stops nor monitors them there) and takes no resource from others.
     */
    public void maintenance(String member, boolean on) throws DcsException, ControlException {
        ClusterState c = dcs.read();
        if (on
                && !c.members().containsKey(member)
                && !c.config().resources().maintenance().contains(member))
            throw new ControlException("no member named '" + member + "' (members: "
                    + c.sortedMembers().keySet() + ")");
        dcs.updateConfig(cfg -> {
            var m = new java.util.TreeSet<>(cfg.resources().maintenance());
            if (on) m.add(member);
            else m.remove(member);
            return cfg.withResources(cfg.resources().withMaintenance(m));
        });
    }

    public void pause(boolean paused) throws DcsException {
        dcs.updateConfig(cfg -> cfg.withPaused(paused));
    }

    private static Member healthyStandby(ClusterState c, String name) throws ControlException {
        Member m = c.member(name)
                .orElseThrow(() -> new ControlException("no member named '" + name + "' (members: "
                        + c.sortedMembers().keySet() + ")"));
        if (name.equals(c.leader())) throw new ControlException(name + " is the primary already");
        if (!m.isRunningStandby()) {
            throw new ControlException(name + " is not a healthy standby ("
                    + m.role().label() + ", " + m.state().label() + ")");
        }
        if (!m.streaming() || !c.leader().equals(m.following())) {
            throw new ControlException(name + " is not streaming from the primary " + c.leader());
        }
        if (m.tags().noFailover()) throw new ControlException(name + " is tagged nofailover");
        return m;
    }

    private static Optional<Member> bestStandby(ClusterState c) {
        return c.members().values().stream()
                .filter(m -> m.isRunningStandby()
                        && m.streaming()
                        && c.leader().equals(m.following())
                        && !m.tags().noFailover())
                .max(Comparator.comparing(Member::walPosition)
                        .thenComparing(m -> m.tags().priority())
                        .thenComparing(Member::name, Comparator.reverseOrder()));
    }
}
