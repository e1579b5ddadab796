package io.pgha.core.decide;

import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The primary's synchronous replication manager, as a pure function: from the wanted mode, the
 * standbys streaming right now, the record in the DCS and the value PostgreSQL runs with, it
 * returns the one next step. Applying steps one at a time, in any interleaving with crashes and
 * restarts, keeps this statement true at every instant:
 *
 * <blockquote>either the DCS record's quorum is 0 (it promises nothing), or PostgreSQL counts only
 * standbys the record names ({@code S_pg ⊆ S_dcs}), needs at least as many of them as the record
 * says ({@code k_pg ≥ k_dcs}), and at least {@code k_dcs} recorded standbys hold every commit
 * acknowledged so far.</blockquote>
 *
 * <p>So a standby enters the record before PostgreSQL may count it; it leaves the record only after
 * PostgreSQL stopped counting it; and a record's quorum is raised only once enough of its standbys
 * have flushed past the position at which PostgreSQL started waiting for them (commits acknowledged
 * before that may exist only on the primary).
 */
public final class SyncPlanner {
    /** A standby name no member can have: PostgreSQL waits for it forever (strict mode, no standby). */
    public static final String NO_STANDBY = "pgha_no_synchronous_standby";

    private SyncPlanner() {}

    /** One row of the primary's pg_stat_replication. */
    public record Replica(String name, boolean streaming, Lsn flush) {}

    /** What PostgreSQL should count ({@code pg}) and what the DCS should finally record ({@code dcs}). */
    public record Target(SyncState pg, SyncState dcs, String why) {}

    /** The next thing to do. */
    public sealed interface Step {
        String reason();
    }

    /** Nothing to do now. */
    public record Hold(String reason) implements Step {}

    /** Set synchronous_standby_names to {@code value} and wait until PostgreSQL uses it. */
    public record SetPostgres(String value, String reason) implements Step {}

    /** Write {@code record} to the DCS (only while holding the leader lease). */
    public record WriteDcs(SyncState record, String reason) implements Step {}

    /** The synchronous set wanted now. */
    public static Target target(
            String me, DynamicConfig cfg, Map<String, Member> members, List<Replica> replicas, SyncState dcs) {
        SyncState none = new SyncState(me, 0, List.of());
        if (cfg.synchronousMode() == SyncMode.OFF) {
            return new Target(none, none, "synchronous_mode is off");
        }
        SyncState mine = me.equals(dcs.leader()) ? dcs : none;
        List<Replica> eligible = new ArrayList<>();
        for (Replica r : replicas) {
            Member m = members.get(r.name());
            if (r.streaming() && m != null && !m.tags().noSync() && !r.name().equals(me)) eligible.add(r);
        }
        int n = cfg.synchronousNodeCount();
        if (eligible.isEmpty()) {
            if (!cfg.synchronousModeStrict())
                return new Target(none, none, "no eligible standby is streaming: committing asynchronously");
            if (mine.quorum() > 0)
                return new Target(
                        mine, mine, "strict: no eligible standby is streaming, writes wait for " + mine.describe());
            SyncState blocked = new SyncState(me, 1, List.of(NO_STANDBY));
            return new Target(blocked, none, "strict: no eligible standby is streaming, writes wait");
        }
        eligible.sort(Comparator.<Replica>comparingInt(
                        r -> -members.get(r.name()).tags().syncPriority())
                .thenComparing(r -> !mine.contains(r.name()))
                .thenComparing(Replica::flush, Comparator.reverseOrder())
                .thenComparing(Replica::name));
        List<String> names = new ArrayList<>();
        for (Replica r : eligible) names.add(r.name());
        SyncState t;
        if (cfg.synchronousMode() == SyncMode.ON) {
            List<String> chosen = names.subList(0, Math.min(n, names.size()));
            t = SyncState.of(me, chosen.size(), chosen);
        } else {
            t = SyncState.of(me, Math.min(n, names.size()), names);
        }
        String why = t.quorum() < n ? " (" + n + " wanted, " + names.size() + " eligible)" : "";
        return new Target(t, t, "synchronous: " + t.describe() + why);
    }

    /** The value of synchronous_standby_names that makes PostgreSQL count {@code pg}. */
    public static String render(SyncMode mode, SyncState pg) {
        if (pg.quorum() == 0) return "";
        StringBuilder s = new StringBuilder(mode == SyncMode.QUORUM ? "ANY " : "FIRST ")
                .append(pg.quorum())
                .append(" (");
        for (int i = 0; i < pg.members().size(); i++) {
            if (i > 0) s.append(", ");
            s.append('"').append(pg.members().get(i).replace("\"", "")).append('"');
        }
        return s.append(')').toString();
    }

    /**
     * The next step towards {@code t}.
     *
     * @param pgValue synchronous_standby_names as PostgreSQL uses it now
     * @param flush flush positions of the streaming standbys
     * @param syncFrom the primary's WAL position once PostgreSQL started counting the target set;
     *     commits acknowledged earlier end at or before it
     */
    public static Step next(
            String me, SyncMode mode, Target t, SyncState dcs, String pgValue, Map<String, Lsn> flush, Lsn syncFrom) {
        if (!me.equals(dcs.leader())) {
            // Another leader's record says nothing about this primary's commits: replace it first.
            return new WriteDcs(
                    new SyncState(me, 0, List.of()), "taking over the synchronous record from " + dcs.leader());
        }
        SyncState cur = dcs;
        String wanted = render(mode, t.pg());
        if (!wanted.equals(pgValue)) {
            if (safeForPostgres(cur, t.pg())) {
                return new SetPostgres(wanted, "synchronous_standby_names = '" + wanted + "' (" + t.why() + ")");
            }
            Set<String> union = new TreeSet<>(cur.members());
            union.addAll(t.dcs().members());
            SyncState widened = SyncState.of(me, Math.min(cur.quorum(), t.dcs().quorum()), union);
            return new WriteDcs(
                    widened, "recording " + t.dcs().members() + " as synchronous before PostgreSQL counts them");
        }
        if (cur.equals(t.dcs())) return new Hold(t.why());
        SyncState goal = t.dcs();
        if (goal.quorum() > 0) {
            if (!goal.members().containsAll(t.pg().members()) || t.pg().quorum() < goal.quorum()) {
                return new Hold("synchronous_standby_names counts standbys the record would not name");
            }
            List<String> behind = new ArrayList<>();
            int caughtUp = 0;
            for (String m : goal.members()) {
                Lsn f = flush.get(m);
                if (f != null && !syncFrom.isAfter(f)) caughtUp++;
                else behind.add(m);
            }
            if (caughtUp < goal.quorum()) {
                return new Hold("waiting for " + behind + " to flush past " + syncFrom
                        + " before recording them as synchronous");
            }
        }
        return new WriteDcs(goal, "synchronous set is now " + goal.describe());
    }

    /** Whether PostgreSQL may count {@code pg} given the DCS record {@code dcs}. */
    static boolean safeForPostgres(SyncState dcs, SyncState pg) {
        return dcs.quorum() == 0 || (dcs.members().containsAll(pg.members()) && pg.quorum() >= dcs.quorum());
    }
}
