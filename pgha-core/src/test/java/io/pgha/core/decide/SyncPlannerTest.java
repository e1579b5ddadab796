package io.pgha.core.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.decide.SyncPlanner.Hold;
import io.pgha.core.decide.SyncPlanner.Replica;
import io.pgha.core.decide.SyncPlanner.SetPostgres;
import io.pgha.core.decide.SyncPlanner.Step;
import io.pgha.core.decide.SyncPlanner.Target;
import io.pgha.core.decide.SyncPlanner.WriteDcs;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import io.pgha.core.model.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

@SuppressWarnings("EnumOrdinal") // picks a random mode
class SyncPlannerTest {
    static final String ME = "p";

    static Member member(String name, Tags t) {
        return new Member(
                name,
                "http://" + name,
                "127.0.0.1",
                5432,
                Role.STANDBY,
                MemberState.RUNNING,
                1,
                Lsn.ZERO,
                Lsn.ZERO,
                ME,
                true,
                t,
                "",
                0);
    }

    static Map<String, Member> members(String... names) {
        Map<String, Member> m = new HashMap<>();
        for (String n : names) m.put(n, member(n, Tags.NONE));
        m.put(ME, member(ME, Tags.NONE));
        return m;
    }

    static DynamicConfig cfg(SyncMode mode, boolean strict, int n) {
        return DynamicConfig.DEFAULT.withSynchronous(mode, strict, n);
    }

    static List<Replica> streaming(String... names) {
        List<Replica> r = new ArrayList<>();
        for (String n : names) r.add(new Replica(n, true, new Lsn(100)));
        return r;
    }

    @Test
    void onModePicksTheConfiguredNumberBySyncPriorityThenStability() {
        Map<String, Member> m = members("a", "b", "c");
        m.put("c", member("c", new Tags(false, false, 0, false, 5)));
        Target t = SyncPlanner.target(ME, cfg(SyncMode.ON, false, 1), m, streaming("a", "b", "c"), SyncState.EMPTY);
        assertThat(t.pg()).isEqualTo(SyncState.of(ME, 1, List.of("c")));
        m.put("c", member("c", Tags.NONE));
        SyncState current = SyncState.of(ME, 1, List.of("b"));
        assertThat(SyncPlanner.target(ME, cfg(SyncMode.ON, false, 1), m, streaming("a", "b", "c"), current)
                        .pg())
                .as("keeps the current synchronous standby rather than churning")
                .isEqualTo(current);
        assertThat(SyncPlanner.target(ME, cfg(SyncMode.ON, false, 2), m, streaming("a", "b", "c"), current)
                        .pg())
                .isEqualTo(SyncState.of(ME, 2, List.of("a", "b")));
    }

    @Test
    void nosyncStandbysAndStrangersAreNeverChosen() {
        Map<String, Member> m = members("a", "b");
        m.put("a", member("a", new Tags(false, false, 0, true, 0)));
        List<Replica> reps = new ArrayList<>(streaming("a", "b", "pg_basebackup"));
        reps.add(new Replica("c", false, Lsn.ZERO));
        Target t = SyncPlanner.target(ME, cfg(SyncMode.QUORUM, false, 2), m, reps, SyncState.EMPTY);
        assertThat(t.pg()).isEqualTo(SyncState.of(ME, 1, List.of("b")));
    }

    @Test
    void quorumModeCountsAllEligibleStandbys() {
        Target t = SyncPlanner.target(
                ME, cfg(SyncMode.QUORUM, false, 1), members("a", "b", "c"), streaming("a", "b", "c"), SyncState.EMPTY);
        assertThat(t.pg()).isEqualTo(SyncState.of(ME, 1, List.of("a", "b", "c")));
        assertThat(SyncPlanner.render(SyncMode.QUORUM, t.pg())).isEqualTo("ANY 1 (\"a\", \"b\", \"c\")");
        assertThat(SyncPlanner.render(SyncMode.ON, SyncState.of(ME, 2, List.of("a", "b"))))
                .isEqualTo("FIRST 2 (\"a\", \"b\")");
    }

    @Test
    void withoutStandbysNonStrictGoesAsynchronousAndStrictWaits() {
        Map<String, Member> m = members("a");
        assertThat(SyncPlanner.render(
                        SyncMode.ON,
                        SyncPlanner.target(ME, cfg(SyncMode.ON, false, 1), m, List.of(), SyncState.EMPTY)
                                .pg()))
                .isEmpty();
        Target strict = SyncPlanner.target(ME, cfg(SyncMode.ON, true, 1), m, List.of(), SyncState.EMPTY);
        assertThat(strict.pg().members()).containsExactly(SyncPlanner.NO_STANDBY);
        assertThat(strict.dcs().quorum()).isZero();
        SyncState recorded = SyncState.of(ME, 1, List.of("a"));
        Target keep = SyncPlanner.target(ME, cfg(SyncMode.ON, true, 1), m, List.of(), recorded);
        assertThat(keep.pg())
                .as("strict keeps waiting for the recorded standby")
                .isEqualTo(recorded);
    }

    @Test
    void addingAStandbyRecordsItBeforePostgresCountsItAndConfirmsItOnlyOnceCaughtUp() {
        DynamicConfig c = cfg(SyncMode.ON, false, 1);
        Target t = SyncPlanner.target(ME, c, members("a"), streaming("a"), SyncState.of(ME, 0, List.of()));
        Step s1 = SyncPlanner.next(ME, SyncMode.ON, t, SyncState.of(ME, 0, List.of()), "", Map.of(), Lsn.ZERO);
        // Quorum 0 promises nothing, so PostgreSQL may start counting a at once.
        assertThat(s1).isInstanceOf(SetPostgres.class);
        Step s2 = SyncPlanner.next(
                ME,
                SyncMode.ON,
                t,
                SyncState.of(ME, 0, List.of()),
                "FIRST 1 (\"a\")",
                Map.of("a", new Lsn(90)),
                new Lsn(100));
        assertThat(s2).isInstanceOf(Hold.class);
        assertThat(s2.reason()).contains("waiting for [a] to flush past 0/64");
        Step s3 = SyncPlanner.next(
                ME,
                SyncMode.ON,
                t,
                SyncState.of(ME, 0, List.of()),
                "FIRST 1 (\"a\")",
                Map.of("a", new Lsn(100)),
                new Lsn(100));
        assertThat(s3).isEqualTo(new WriteDcs(SyncState.of(ME, 1, List.of("a")), "synchronous set is now a"));
    }

    @Test
    void replacingAStandbyWidensTheRecordFirstAndNarrowsItLast() {
        SyncState dcs = SyncState.of(ME, 1, List.of("a"));
        Target t = SyncPlanner.target(ME, cfg(SyncMode.ON, false, 1), members("a", "b"), streaming("b"), dcs);
        Step s1 = SyncPlanner.next(ME, SyncMode.ON, t, dcs, "FIRST 1 (\"a\")", Map.of("b", new Lsn(100)), new Lsn(50));
        assertThat(s1).isInstanceOf(WriteDcs.class);
        assertThat(((WriteDcs) s1).record()).isEqualTo(SyncState.of(ME, 1, List.of("a", "b")));
        Step s2 = SyncPlanner.next(
                ME,
                SyncMode.ON,
                t,
                ((WriteDcs) s1).record(),
                "FIRST 1 (\"a\")",
                Map.of("b", new Lsn(100)),
                new Lsn(50));
        assertThat(s2).isEqualTo(new SetPostgres("FIRST 1 (\"b\")", ((SetPostgres) s2).reason()));
        Step s3 = SyncPlanner.next(
                ME,
                SyncMode.ON,
                t,
                ((WriteDcs) s1).record(),
                "FIRST 1 (\"b\")",
                Map.of("b", new Lsn(100)),
                new Lsn(100));
        assertThat(((WriteDcs) s3).record()).isEqualTo(SyncState.of(ME, 1, List.of("b")));
    }

    @Test
    void anotherLeadersRecordIsReplacedBeforeAnythingElse() {
        SyncState old = SyncState.of("x", 1, List.of("a"));
        Target t = SyncPlanner.target(ME, cfg(SyncMode.ON, false, 1), members("a"), streaming("a"), old);
        Step s = SyncPlanner.next(ME, SyncMode.ON, t, old, "FIRST 1 (\"a\")", Map.of("a", new Lsn(1)), new Lsn(100));
        assertThat(((WriteDcs) s).record()).isEqualTo(SyncState.of(ME, 0, List.of()));
    }

    /**
     * Tries to break the record's promise: random standby disconnects and reconnects, WAL streaming at
     * random speeds, commits, config changes and planner steps in any order. After every event, the
     * record's quorum of recorded standbys must hold every commit PostgreSQL acknowledged, and every
     * set of standbys a failover would compare must contain one that has them all.
     */
    @Test
    void theDcsRecordNeverPromisesMoreThanThePrimaryAcknowledged() {
        for (int seed = 0; seed < 300; seed++) simulate(new Random(seed), seed);
    }

    private static void simulate(Random rnd, int seed) {
        List<String> names = List.of("a", "b", "c");
        Map<String, Member> m = members("a", "b", "c");
        Map<String, Boolean> up = new LinkedHashMap<>();
        Map<String, Long> flushed = new HashMap<>();
        for (String n : names) {
            up.put(n, rnd.nextBoolean());
            flushed.put(n, 0L);
        }
        long written = 0;
        long acked = 0;
        SyncState dcs = SyncState.EMPTY;
        SyncState pg = SyncState.of(ME, 0, List.of());
        String pgValue = "";
        Lsn syncFrom = Lsn.ZERO;
        DynamicConfig c = cfg(SyncMode.ON, false, 1);
        for (int step = 0; step < 400; step++) {
            int what = rnd.nextInt(10);
            if (what == 0) {
                String n = names.get(rnd.nextInt(3));
                up.put(n, !up.get(n));
            } else if (what <= 3) {
                written++;
            } else if (what <= 5) {
                for (String n : names) {
                    if (up.get(n) && rnd.nextBoolean())
                        flushed.put(n, Math.max(flushed.get(n), written - rnd.nextInt((int) Math.min(3, written + 1))));
                }
            } else if (what == 6 && rnd.nextInt(4) == 0) {
                c = cfg(SyncMode.values()[rnd.nextInt(3)], rnd.nextBoolean(), 1 + rnd.nextInt(3));
            } else {
                List<Replica> reps = new ArrayList<>();
                Map<String, Lsn> flush = new HashMap<>();
                for (String n : names) {
                    if (up.get(n)) {
                        reps.add(new Replica(n, true, new Lsn(flushed.get(n))));
                        flush.put(n, new Lsn(flushed.get(n)));
                    }
                }
                Target t = SyncPlanner.target(ME, c, m, reps, dcs);
                Step s = SyncPlanner.next(ME, c.synchronousMode(), t, dcs, pgValue, flush, syncFrom);
                if (s instanceof SetPostgres set) {
                    assertThat(set.value()).isEqualTo(SyncPlanner.render(c.synchronousMode(), t.pg()));
                    pg = t.pg();
                    pgValue = set.value();
                    syncFrom = new Lsn(written);
                } else if (s instanceof WriteDcs w) {
                    dcs = w.record();
                }
            }
            // PostgreSQL acknowledges, in order, every commit that enough counted standbys flushed.
            while (acked < written && ackable(pg, flushed, acked + 1)) acked++;
            String ctx = "seed " + seed + " step " + step + ": dcs " + dcs + ", pg " + pg + ", acked " + acked
                    + ", flushed " + flushed;
            if (dcs.quorum() > 0) {
                long holding = 0;
                for (String n : dcs.members()) if (flushed.getOrDefault(n, -1L) >= acked) holding++;
                assertThat(holding).as(ctx).isGreaterThanOrEqualTo(dcs.quorum());
            }
        }
    }

    private static boolean ackable(SyncState pg, Map<String, Long> flushed, long lsn) {
        if (pg.quorum() == 0) return true;
        long have = 0;
        for (String n : pg.members()) if (flushed.getOrDefault(n, -1L) >= lsn) have++;
        return have >= pg.quorum();
    }
}
