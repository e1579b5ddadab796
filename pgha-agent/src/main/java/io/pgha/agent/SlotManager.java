package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.LocalState;
import io.pgha.core.decide.SlotPlanner;
import io.pgha.core.decide.SlotPlanner.Advance;
import io.pgha.core.decide.SlotPlanner.Copy;
import io.pgha.core.decide.SlotPlanner.Create;
import io.pgha.core.decide.SlotPlanner.Drop;
import io.pgha.core.decide.SlotPlanner.Plan;
import io.pgha.core.decide.SlotPlanner.Step;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.Dcs;
import io.pgha.postgres.ConfigFiles.Upstream;
import io.pgha.postgres.SlotControl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out {@link SlotPlanner}'s plans: on the primary every cycle (member slots, permanent
 * slots, and the positions published in the DCS), on a running standby every cycle (copies of the
 * permanent logical slots). Never throws: a slot problem is logged (each distinct message once) and
 * the cycle goes on. Advances, which decode WAL and may take a while, run on one background thread
 * so that they never hold up a standby's cycle (and with it, its part in a failover).
 */
final class SlotManager {
    private static final Logger LOG = LoggerFactory.getLogger(SlotManager.class);
    /** A copy that did not bring the slot after the restart is not tried again (with another restart) before this. */
    static final long COPY_RETRY_NANOS = 5 * 60 * 1_000_000_000L;

    private final NodeConfig cfg;
    private final Dcs dcs;
    private final SlotControl slots;
    private final LongSupplier nanoClock;
    private final MemberSightings sightings;
    private final Map<String, Long> copiedAt = new HashMap<>();
    private final ExecutorService advancer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "pgha-slot-advance");
        t.setDaemon(true);
        return t;
    });
    private Future<?> advancing;
    /** Logical slots seen listed as permanent while this agent ran (see {@link SlotPlanner#standby}). */
    private final Set<String> listedBefore = new LinkedHashSet<>();

    private boolean standbyChecked;
    private Set<String> lastNotes = Set.of();
    /** Errors logged in the last cycle: one that persists is logged once, one that comes back is logged again. */
    private Set<String> lastErrors = Set.of();

    private Set<String> errors = new LinkedHashSet<>();
    private final Set<String> advanceErrors = java.util.concurrent.ConcurrentHashMap.newKeySet();

    SlotManager(NodeConfig cfg, Dcs dcs, SlotControl slots, LongSupplier nanoClock) {
        this.cfg = cfg;
        this.dcs = dcs;
        this.slots = slots;
        this.nanoClock = nanoClock;
        this.sightings = new MemberSightings(nanoClock);
    }

    // ------------------------------------------------------------------ primary

    /** The primary's upkeep: creates and drops slots as planned, then publishes the permanent slots' positions. */
    synchronized void onPrimary(ClusterState c) {
        standbyChecked = false;
        long now = sightings.saw(c.members().keySet());
        errors = new LinkedHashSet<>();
        try {
            Plan plan = SlotPlanner.primary(
                    cfg.name(),
                    slots.list(),
                    c.members().keySet(),
                    sightings.lastSeen(),
                    sightings.leadingSinceNanos(),
                    now,
                    c.config(),
                    c.slots());
            notes(plan.notes());
            Map<String, io.pgha.core.model.Lsn> publish = new HashMap<>(plan.publish());
            for (Step step : plan.steps()) {
                // a slot pgha kept that it failed to drop stays in the record, so that it is dropped later
                if (!apply(step)
                        && step instanceof Drop
                        && c.slots().positions().containsKey(step.slot())) {
                    publish.put(step.slot(), c.slots().positions().get(step.slot()));
                }
            }
            if (!c.slots().writtenBy(cfg.name()) || !publish.equals(c.slots().positions())) {
                if (!dcs.publishSlots(cfg.name(), publish))
                    LOG.warn("could not publish the slot positions: the leader lease is no longer held");
            }
        } catch (Exception e) {
            error("replication slots: " + e.getMessage());
        }
        lastErrors = errors;
    }

    /** Called when this member gives up the lease: member absence is counted afresh when it leads again. */
    synchronized void notLeading() {
        sightings.notLeading();
    }

    /** Creates or drops one slot; false (logged) when that failed. */
    private boolean apply(Step step) {
        try {
            if (step instanceof Create cr && cr.spec().logical()) {
                slots.createLogical(cr.slot(), cr.spec().database(), cr.spec().plugin());
                LOG.info("created slot {}: {}", cr.slot(), cr.reason());
            } else if (step instanceof Create cr) {
                slots.createPhysical(cr.slot());
                LOG.info("created slot {}: {}", cr.slot(), cr.reason());
            } else if (step instanceof Drop d) {
                slots.drop(d.slot());
                sightings.forget(d.slot());
                LOG.info("dropped slot {}: {}", d.slot(), d.reason());
            } else {
                throw new IllegalStateException("not a step for this role: " + step);
            }
            return true;
        } catch (Exception e) {
            error(step.reason() + ": " + e.getMessage());
            return false;
        }
    }

    // ------------------------------------------------------------------ standby

    /**
     * A running standby's upkeep of its copies of the permanent logical slots. True when slots were
     * copied and PostgreSQL must restart to load them (the caller restarts it).
     */
    synchronized boolean onStandby(ClusterState c, LocalState local) {
        sightings.notLeading();
        // Without permanent slots one look per time as standby suffices (for member slots left from a time as primary).
        // (A copy of a slot the setting listed and no longer does is dropped first.)
        if (c.config().slots().isEmpty() && c.slots().positions().isEmpty() && listedBefore.isEmpty() && standbyChecked)
            return false;
        Member leader = c.leaderMember().filter(Member::isRunningPrimary).orElse(null);
        if (leader == null || !leader.name().equals(local.following())) return false;
        boolean restart = false;
        List<Advance> advances = new ArrayList<>();
        errors = new LinkedHashSet<>();
        try {
            boolean walLevelLogical =
                    "logical".equals(cfg.postgresql().parameters().get("wal_level"));
            c.config().slots().forEach((name, p) -> {
                if (p.logical()) listedBefore.add(name);
            });
            List<SlotPlanner.Slot> present = slots.list();
            Plan plan = SlotPlanner.standby(
                    cfg.tags().noFailover(),
                    walLevelLogical,
                    present,
                    c.config(),
                    c.slots(),
                    c.leader(),
                    local.replayPosition(),
                    Set.copyOf(listedBefore));
            // a name no longer listed is forgotten once its copy is gone from here (dropped in an
            // earlier cycle, or never copied): a drop that fails (the copy in use) is tried again
            Set<String> here = new java.util.HashSet<>();
            for (SlotPlanner.Slot sl : present) here.add(sl.name());
            listedBefore.removeIf(n -> !c.config().slots().containsKey(n) && !here.contains(n));
            standbyChecked = true;
            notes(plan.notes());
            for (Step step : plan.steps()) {
                // a copy needs a restart, which maintenance mode does not allow
                if (step instanceof Copy cp) {
                    if (!c.config().paused())
                        restart |= copy(cp, new Upstream(leader.name(), leader.host(), leader.pgPort()));
                } else if (step instanceof Advance a) advances.add(a);
                else apply(step);
            }
        } catch (Exception e) {
            error("replication slots on this standby: " + e.getMessage());
        }
        lastErrors = errors;
        if (!advances.isEmpty() && (advancing == null || advancing.isDone()))
            advancing = advancer.submit(() -> advance(advances));
        return restart;
    }

    private boolean copy(Copy cp, Upstream primary) {
        long now = nanoClock.getAsLong();
        Long before = copiedAt.get(cp.slot());
        if (before != null && now - before < COPY_RETRY_NANOS) return false;
        copiedAt.put(cp.slot(), now);
        try {
            slots.copyFrom(primary, cp.slot());
            LOG.info(
                    "copied slot {} from {} ({}); restarting PostgreSQL to load it",
                    cp.slot(),
                    primary.member(),
                    cp.reason());
            return true;
        } catch (Exception e) {
            error("cannot copy slot " + cp.slot() + " from " + primary.member() + ": " + e.getMessage());
            return false;
        }
    }

    private void advance(List<Advance> advances) {
        for (Advance a : advances) {
            try {
                slots.advance(a.slot(), a.database(), a.to());
                LOG.debug("{}", a.reason());
                advanceErrors.removeIf(m -> m.startsWith(a.slot() + ": "));
            } catch (Exception e) {
                if (advanceErrors.add(a.slot() + ": " + e.getMessage())) LOG.warn("{}", e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ logging

    private void notes(List<String> notes) {
        Set<String> now = new LinkedHashSet<>(notes);
        for (String n : now) if (!lastNotes.contains(n)) LOG.warn("{}", n);
        lastNotes = now;
    }

    private void error(String message) {
        errors.add(message);
        if (lastErrors.contains(message)) LOG.debug("{}", message);
        else LOG.warn("{}", message);
    }
}
