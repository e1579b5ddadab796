package io.pgha.core.decide;

import io.pgha.core.config.SlotSettings;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.PermanentSlot;
import io.pgha.core.model.SlotPositions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which replication slots to create, drop, copy or advance, as pure functions of what PostgreSQL
 * has, what the DCS says and the time. Rules, in this order, for a slot on the primary:
 *
 * <ol>
 *   <li>A slot named in the {@code slots} setting is never dropped; one that does not match its
 *       entry (another type, database or plugin) is left alone and reported.
 *   <li>A physical slot named {@code pgha_...} is a member slot: kept while its member is in the
 *       DCS, and dropped (when inactive) only once the member has been absent for {@code
 *       member_slots_ttl}. Absence counts from the last time this primary saw the member, or from
 *       when it began leading if it never saw it (so a failover restarts the count).
 *   <li>A slot the primary's published record names (pgha kept it as permanent) but the setting no
 *       longer does is dropped once inactive.
 *   <li>Every other slot belongs to someone else (pg_receivewal, a backup tool, a CDC consumer) and
 *       is never touched.
 * </ol>
 *
 * On a standby that may become primary (not tagged nofailover), each permanent logical slot is kept
 * as a copy: copied from the primary when missing, then advanced to the position the current primary
 * published, never past this standby's replay position. A standby drops only copies of slots the
 * record names, or that it saw listed, or of a replication set, that the setting no longer lists,
 * and, when tagged nofailover, its copies; and it
 * drops inactive member slots left from a time as primary (their xmin would reach the primary
 * through hot_standby_feedback and hold back its cleanup). Other slots on a standby are not touched.
 */
public final class SlotPlanner {
    private SlotPlanner() {}

    /** The slot a member streams through on the primary: {@code pgha_} and the member's sanitized name. */
    public static String memberSlot(String member) {
        String s = SlotSettings.MEMBER_PREFIX + member.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return s.length() > 63 ? s.substring(0, 63) : s;
    }

    /**
     * One non-temporary slot as pg_replication_slots shows it.
     *
     * @param position a logical slot's confirmed_flush_lsn, a physical slot's restart_lsn (zero when null)
     */
    public record Slot(String name, boolean logical, boolean active, String database, String plugin, Lsn position) {
        public static Slot physical(String name, boolean active, Lsn restart) {
            return new Slot(name, false, active, null, null, restart);
        }

        public static Slot logical(String name, boolean active, String database, String plugin, Lsn confirmedFlush) {
            return new Slot(name, true, active, database, plugin, confirmedFlush);
        }

        boolean matches(PermanentSlot p) {
            return p.logical()
                    ? logical && p.database().equals(database) && p.plugin().equals(plugin)
                    : !logical;
        }

        String describe() {
            return logical ? "logical (database " + database + ", plugin " + plugin + ")" : "physical";
        }
    }

    /** One thing to do to one slot. */
    public sealed interface Step {
        String slot();

        String reason();
    }

    /** Create {@code slot} as {@code spec} says. */
    public record Create(String slot, PermanentSlot spec, String reason) implements Step {}

    /** Drop {@code slot}. */
    public record Drop(String slot, String reason) implements Step {}

    /** Copy the logical slot's state file from the primary (a restart of this standby loads it). */
    public record Copy(String slot, String reason) implements Step {}

    /** pg_replication_slot_advance({@code slot}, {@code to}) in {@code database}. */
    public record Advance(String slot, String database, Lsn to, String reason) implements Step {}

    /**
     * What to do now. {@code notes} are conditions worth a log line (a slot left alone, and why);
     * {@code publish} is what a primary records in the DCS after these steps.
     */
    public record Plan(List<Step> steps, List<String> notes, Map<String, Lsn> publish) {}

    /**
     * The primary's plan.
     *
     * @param members the names of the members in the DCS now (this one included or not)
     * @param lastSeenNanos by member slot name, when this primary last saw that slot's member in the DCS
     * @param leadingSinceNanos when this member began leading (the absence of members it never saw counts from here)
     * @param published the record in the DCS: its names are the slots pgha kept as permanent
     */
    public static Plan primary(
            String me,
            List<Slot> existing,
            Collection<String> members,
            Map<String, Long> lastSeenNanos,
            long leadingSinceNanos,
            long nowNanos,
            DynamicConfig config,
            SlotPositions published) {
        Map<String, PermanentSlot> permanent = config.slots();
        Set<String> wanted = new TreeSet<>();
        for (String m : members) if (!m.equals(me)) wanted.add(memberSlot(m));
        List<Step> steps = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, Lsn> publish = new TreeMap<>();
        Set<String> present = new TreeSet<>();
        for (Slot s : existing) {
            present.add(s.name());
            PermanentSlot p = permanent.get(s.name());
            if (p != null) {
                if (s.matches(p)) publish.put(s.name(), s.position());
                else
                    notes.add("slot " + s.name() + " is " + s.describe() + " but slots: asks for " + p.describe()
                            + ": left alone");
            } else if (!s.logical() && s.name().startsWith(SlotSettings.MEMBER_PREFIX)) {
                memberSlot(
                        s,
                        me,
                        wanted,
                        lastSeenNanos.getOrDefault(s.name(), leadingSinceNanos),
                        nowNanos,
                        config.memberSlotsTtlMs(),
                        steps,
                        notes);
            } else if (s.logical() && s.name().startsWith(SlotSettings.SET_PREFIX)) {
                // a set's slot that slots: no longer (or not yet) lists: the sets command that
                // changes it drops it (or lists it) itself; this agent's view may be older than that
                // command's, and a drop here would take a slot a subscriber was just given (a normal
                // step of a move: no note)
            } else if (published.positions().containsKey(s.name())) {
                if (!s.active()) {
                    steps.add(new Drop(s.name(), "slot " + s.name() + " was removed from slots"));
                } else {
                    notes.add("slot " + s.name() + " was removed from slots but is in use: dropped once inactive");
                    publish.put(s.name(), s.position()); // still pgha's to drop later, also after a failover
                }
            }
        }
        for (String w : wanted) {
            if (!present.contains(w))
                steps.add(new Create(w, PermanentSlot.PHYSICAL, "member slot " + w + " for a member in the DCS"));
        }
        permanent.forEach((name, p) -> {
            if (present.contains(name)) return;
            if (p.logical() && name.startsWith(SlotSettings.SET_PREFIX)) {
                // made by the sets commands at the position where its subscriber starts; made here it
                // would start wherever this primary is now, and the subscriber would miss or repeat
                // changes. A failover's new primary has it from its time as a standby (copied).
                notes.add("slot " + name + " of a replication set is missing: left to the sets commands");
                return;
            }
            steps.add(new Create(name, p, "permanent " + p.type().label() + " slot " + name + " from slots"));
        });
        return new Plan(List.copyOf(steps), List.copyOf(notes), publish);
    }

    private static void memberSlot(
            Slot s,
            String me,
            Set<String> wanted,
            long absentSinceNanos,
            long nowNanos,
            long ttlMs,
            List<Step> steps,
            List<String> notes) {
        if (wanted.contains(s.name())) return;
        String why;
        if (s.name().equals(memberSlot(me))) {
            why = "slot " + s.name() + " is this primary's own member slot, which nothing streams through";
        } else {
            long absentMs = (nowNanos - absentSinceNanos) / 1_000_000L;
            if (absentMs < ttlMs) return;
            why = "member slot " + s.name() + ": its member has been absent from the DCS for " + absentMs / 1000
                    + " s, member_slots_ttl is " + ttlMs / 1000 + " s";
        }
        if (s.active()) notes.add(why + ", but the slot is in use: kept");
        else steps.add(new Drop(s.name(), why));
    }

    /**
     * A running standby's plan for its copies of the permanent logical slots.
     *
     * @param walLevelLogical this member runs with wal_level=logical: PostgreSQL refuses to start
     *     with a logical slot otherwise, so without it nothing is copied
     * @param leader the current leader in the DCS (published positions count only when it wrote them)
     * @param replay this standby's replay position: no copy is advanced past it
     * @param listedBefore the logical slots this member has seen listed as permanent (its copies are
     *     pgha's to drop when the setting stops listing them, even once the primary's record no longer
     *     names them: the primary may drop the slot and publish before this standby looks)
     */
    public static Plan standby(
            boolean noFailover,
            boolean walLevelLogical,
            List<Slot> local,
            DynamicConfig config,
            SlotPositions published,
            String leader,
            Lsn replay,
            Set<String> listedBefore) {
        List<Step> steps = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        boolean anyLogical = config.slots().values().stream().anyMatch(PermanentSlot::logical);
        if (anyLogical && !noFailover && !walLevelLogical) {
            notes.add("slots: has logical slots, but this member's postgresql.parameters.wal_level is not logical:"
                    + " no copies are kept here, and they will be missing after a failover to this member");
        }
        Map<String, Slot> byName = new TreeMap<>();
        for (Slot s : local) byName.put(s.name(), s);
        boolean current = published.writtenBy(leader);
        for (Map.Entry<String, PermanentSlot> e : config.slots().entrySet()) {
            String name = e.getKey();
            PermanentSlot p = e.getValue();
            if (!p.logical() || noFailover) continue;
            Slot s = byName.get(name);
            Lsn target = published.positions().get(name);
            if (s == null) {
                if (current && target != null && walLevelLogical)
                    steps.add(new Copy(name, "permanent logical slot " + name + " is missing on this standby"));
            } else if (!s.matches(p)) {
                notes.add("slot " + name + " is " + s.describe() + " but slots: asks for " + p.describe()
                        + ": left alone");
            } else if (current && target != null) {
                Lsn to = target.isAfter(replay) ? replay : target;
                if (to.isAfter(s.position())) {
                    steps.add(new Advance(
                            name,
                            s.database(),
                            to,
                            "advancing " + name + " from " + s.position() + " to " + to
                                    + (to.equals(target)
                                            ? " (the primary's position)"
                                            : " (this standby's replay position; the primary is at " + target + ")")));
                }
            }
        }
        for (Slot s : local) {
            if (!s.logical() && s.name().startsWith(SlotSettings.MEMBER_PREFIX) && !s.active()) {
                steps.add(
                        new Drop(
                                s.name(),
                                "member slot " + s.name()
                                        + " is of no use on a standby (nothing cascades), and the xmin"
                                        + " it kept from its time on a primary would hold back cleanup on the primary through hot_standby_feedback"));
            }
            if (!s.logical()) continue;
            PermanentSlot p = config.slots().get(s.name());
            boolean kept = p != null && p.logical() && !noFailover;
            if (kept) continue;
            // a replication set's slot on a standby is always a copy (PostgreSQL 15 decodes on
            // primaries only), made while slots: listed it
            boolean pghas = published.positions().containsKey(s.name())
                    || listedBefore.contains(s.name())
                    || s.name().startsWith(SlotSettings.SET_PREFIX);
            if (pghas && !s.active()) {
                steps.add(new Drop(
                        s.name(),
                        p == null
                                ? "slot " + s.name() + " was removed from slots"
                                : noFailover
                                        ? "copies of permanent slots are not kept on a member tagged nofailover"
                                        : "slots: now asks for a physical slot " + s.name()
                                                + ", which lives on the primary only"));
            } else if (p == null) {
                notes.add("logical slot " + s.name()
                        + " on this standby is not pgha's: it holds back WAL here and, through"
                        + " hot_standby_feedback, catalog cleanup on the primary; drop it if it is not used");
            }
        }
        return new Plan(List.copyOf(steps), List.copyOf(notes), Map.of());
    }
}
