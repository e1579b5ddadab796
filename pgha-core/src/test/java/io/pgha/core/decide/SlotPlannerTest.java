package io.pgha.core.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.decide.SlotPlanner.Advance;
import io.pgha.core.decide.SlotPlanner.Copy;
import io.pgha.core.decide.SlotPlanner.Create;
import io.pgha.core.decide.SlotPlanner.Drop;
import io.pgha.core.decide.SlotPlanner.Plan;
import io.pgha.core.decide.SlotPlanner.Slot;
import io.pgha.core.decide.SlotPlanner.Step;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.PermanentSlot;
import io.pgha.core.model.SlotPositions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SlotPlannerTest {
    static final String ME = "p";
    static final long MIN = 60_000_000_000L;
    static final PermanentSlot CDC = PermanentSlot.logical("app", "pgoutput");

    static Slot phys(String name) {
        return Slot.physical(name, false, new Lsn(100));
    }

    static Slot active(String name) {
        return Slot.physical(name, true, new Lsn(100));
    }

    static Slot logical(String name, long confirmed) {
        return Slot.logical(name, false, "app", "pgoutput", new Lsn(confirmed));
    }

    static DynamicConfig cfg(long ttlMinutes, Map<String, PermanentSlot> slots) {
        return DynamicConfig.DEFAULT.withSlots(ttlMinutes * 60_000, slots);
    }

    static List<String> steps(Plan p) {
        List<String> out = new ArrayList<>();
        for (Step s : p.steps()) {
            String kind = s instanceof Create
                    ? "create"
                    : s instanceof Drop ? "drop" : s instanceof Copy ? "copy" : "advance";
            out.add(kind + " " + s.slot() + (s instanceof Advance a ? " to " + a.to().value() : ""));
        }
        return out;
    }

    /**
     * One primary case: the slots PostgreSQL has, the members in the DCS, when the primary last saw
     * members that are gone (minutes; absent: never seen, counted from when it began leading at 0),
     * the time now, member_slots_ttl, the slots setting, the names in the published record.
     */
    record Row(
            String why,
            List<Slot> existing,
            List<String> members,
            Map<String, Long> lastSeenMin,
            long nowMin,
            long ttlMin,
            Map<String, PermanentSlot> permanent,
            List<String> published,
            List<String> expected) {
        Plan plan() {
            Map<String, Long> seen = new HashMap<>();
            lastSeenMin.forEach((slot, m) -> seen.put(slot, m * MIN));
            Map<String, Lsn> pub = new HashMap<>();
            for (String n : published) pub.put(n, Lsn.ZERO);
            return SlotPlanner.primary(
                    ME, existing, members, seen, 0, nowMin * MIN, cfg(ttlMin, permanent), new SlotPositions(ME, pub));
        }
    }

    static final List<Row> PRIMARY = List.of(
            new Row(
                    "a replication set's slot missing on the primary is not made here: the sets commands make it"
                            + " where its subscriber starts",
                    List.of(),
                    List.of(ME),
                    Map.of(),
                    60,
                    0,
                    Map.of("pghaset_shop_plain", CDC),
                    List.of("pghaset_shop_plain"),
                    List.of()),
            new Row(
                    "a replication set's slot gone from slots is not dropped here: the sets command that"
                            + " removed it drops it, and one just made is not listed yet",
                    List.of(logical("pghaset_shop_plain", 5)),
                    List.of(ME),
                    Map.of(),
                    60,
                    0,
                    Map.of(),
                    List.of("pghaset_shop_plain"),
                    List.of()),
            new Row(
                    "another permanent logical slot missing on the primary is made",
                    List.of(),
                    List.of(ME),
                    Map.of(),
                    60,
                    0,
                    Map.of("cdc", CDC),
                    List.of(),
                    List.of("create cdc")),
            new Row(
                    "a foreign physical slot stays, even with member_slots_ttl 0",
                    List.of(phys("receivewal_x")),
                    List.of(ME),
                    Map.of(),
                    60,
                    0,
                    Map.of(),
                    List.of(),
                    List.of()),
            new Row(
                    "a foreign logical slot stays",
                    List.of(logical("debezium", 5)),
                    List.of(ME),
                    Map.of(),
                    60,
                    0,
                    Map.of(),
                    List.of(),
                    List.of()),
            new Row(
                    "a slot named like a member without the prefix (pgha's old naming) is not pgha's",
                    List.of(phys("b")),
                    List.of(ME),
                    Map.of(),
                    60,
                    0,
                    Map.of(),
                    List.of(),
                    List.of()),
            new Row(
                    "a member in the DCS gets its slot",
                    List.of(phys("receivewal_x")),
                    List.of(ME, "b", "Node-3"),
                    Map.of(),
                    0,
                    30,
                    Map.of(),
                    List.of(),
                    List.of("create pgha_b", "create pgha_node_3")),
            new Row(
                    "a present member's slot stays",
                    List.of(phys("pgha_b")),
                    List.of(ME, "b"),
                    Map.of(),
                    600,
                    0,
                    Map.of(),
                    List.of(),
                    List.of()),
            new Row(
                    "an absent member's slot survives member_slots_ttl of absence",
                    List.of(phys("pgha_b")),
                    List.of(ME),
                    Map.of("pgha_b", 10L),
                    39,
                    30,
                    Map.of(),
                    List.of(),
                    List.of()),
            new Row(
                    "and is dropped once the absence reaches member_slots_ttl",
                    List.of(phys("pgha_b")),
                    List.of(ME),
                    Map.of("pgha_b", 10L),
                    40,
                    30,
                    Map.of(),
                    List.of(),
                    List.of("drop pgha_b")),
            new Row(
                    "a member this primary never saw is counted absent from when it began leading",
                    List.of(phys("pgha_b")),
                    List.of(ME),
                    Map.of(),
                    29,
                    30,
                    Map.of(),
                    List.of(),
                    List.of()),
            new Row(
                    "and dropped member_slots_ttl after that",
                    List.of(phys("pgha_b")),
                    List.of(ME),
                    Map.of(),
                    30,
                    30,
                    Map.of(),
                    List.of(),
                    List.of("drop pgha_b")),
            new Row(
                    "member_slots_ttl 0 drops an absent member's slot at once",
                    List.of(phys("pgha_b"), phys("receivewal_x")),
                    List.of(ME),
                    Map.of("pgha_b", 5L),
                    5,
                    0,
                    Map.of(),
                    List.of(),
                    List.of("drop pgha_b")),
            new Row(
                    "a slot in use is not dropped even when its member is long gone",
                    List.of(active("pgha_b")),
                    List.of(ME),
                    Map.of("pgha_b", 0L),
                    600,
                    30,
                    Map.of(),
                    List.of(),
                    List.of()),
            new Row(
                    "the primary's own member slot is of no use on itself",
                    List.of(phys("pgha_p")),
                    List.of(ME),
                    Map.of(),
                    0,
                    30,
                    Map.of(),
                    List.of(),
                    List.of("drop pgha_p")),
            new Row(
                    "permanent slots are created",
                    List.of(),
                    List.of(ME),
                    Map.of(),
                    0,
                    30,
                    Map.of("archiver", PermanentSlot.PHYSICAL, "cdc", CDC),
                    List.of(),
                    List.of("create archiver", "create cdc")),
            new Row(
                    "an inactive permanent physical slot stays",
                    List.of(phys("archiver"), logical("cdc", 7)),
                    List.of(ME),
                    Map.of(),
                    600,
                    0,
                    Map.of("archiver", PermanentSlot.PHYSICAL, "cdc", CDC),
                    List.of("archiver", "cdc"),
                    List.of()),
            new Row(
                    "a slot removed from slots that pgha kept is dropped",
                    List.of(phys("archiver"), logical("cdc", 7)),
                    List.of(ME),
                    Map.of(),
                    0,
                    30,
                    Map.of(),
                    List.of("archiver", "cdc"),
                    List.of("drop archiver", "drop cdc")),
            new Row(
                    "but only once inactive",
                    List.of(active("archiver")),
                    List.of(ME),
                    Map.of(),
                    0,
                    30,
                    Map.of(),
                    List.of("archiver"),
                    List.of()),
            new Row(
                    "a permanent name held by a slot of another kind is left alone",
                    List.of(phys("cdc")),
                    List.of(ME),
                    Map.of(),
                    0,
                    30,
                    Map.of("cdc", CDC),
                    List.of(),
                    List.of()));

    @Test
    void primaryPlans() {
        for (Row r : PRIMARY) assertThat(steps(r.plan())).as(r.why()).containsExactlyInAnyOrderElementsOf(r.expected());
    }

    @Test
    void theRecordNamesThePermanentSlotsWithTheirPositionsAndThoseStillToDrop() {
        Plan p = SlotPlanner.primary(
                ME,
                List.of(phys("archiver"), logical("cdc", 7), active("old"), phys("receivewal_x"), phys("pgha_b")),
                List.of(ME, "b"),
                Map.of(),
                0,
                0,
                cfg(30, Map.of("archiver", PermanentSlot.PHYSICAL, "cdc", CDC)),
                new SlotPositions(ME, Map.of("old", Lsn.ZERO)));
        assertThat(p.publish()).isEqualTo(Map.of("archiver", new Lsn(100), "cdc", new Lsn(7), "old", new Lsn(100)));
        assertThat(p.notes()).singleElement().asString().contains("old", "in use");
    }

    @Test
    void aConflictingSlotIsReportedAndNotPublished() {
        Plan p = SlotPlanner.primary(
                ME,
                List.of(phys("cdc")),
                List.of(ME),
                Map.of(),
                0,
                0,
                cfg(30, Map.of("cdc", CDC)),
                SlotPositions.EMPTY);
        assertThat(p.publish()).isEmpty();
        assertThat(p.notes()).singleElement().asString().contains("cdc is physical", "left alone");
    }

    /** Whatever the members, times, settings and record, a slot pgha neither names nor kept is never dropped. */
    @Test
    void aForeignSlotIsNeverDropped() {
        Random rnd = new Random(11);
        List<String> names = List.of("receivewal_x", "barman", "debezium", "b", "node_2", "pgha", "pghax_1");
        for (int i = 0; i < 5000; i++) {
            List<Slot> existing = new ArrayList<>();
            for (String n : names) {
                if (rnd.nextBoolean())
                    existing.add(rnd.nextBoolean() ? Slot.physical(n, rnd.nextBoolean(), Lsn.ZERO) : logical(n, 1));
            }
            if (rnd.nextBoolean()) existing.add(phys("pgha_b"));
            List<String> members = rnd.nextBoolean() ? List.of(ME) : List.of(ME, "b", "c");
            Map<String, PermanentSlot> permanent = rnd.nextBoolean() ? Map.of() : Map.of("cdc", CDC);
            Plan p = SlotPlanner.primary(
                    ME,
                    existing,
                    members,
                    Map.of("pgha_b", 0L),
                    0,
                    rnd.nextInt(100) * MIN,
                    cfg(rnd.nextInt(3), permanent),
                    new SlotPositions(ME, rnd.nextBoolean() ? Map.of() : Map.of("cdc", Lsn.ZERO)));
            for (Step s : p.steps()) {
                if (s instanceof Drop d) assertThat(d.slot()).as("case %d", i).isIn("pgha_b", "cdc");
            }
        }
    }

    // ------------------------------------------------------------------ standbys

    static final Map<String, PermanentSlot> LOGICAL = Map.of("cdc", CDC);

    static Plan standby(
            boolean noFailover,
            List<Slot> local,
            Map<String, PermanentSlot> permanent,
            String writer,
            Map<String, Lsn> published,
            long replay) {
        return SlotPlanner.standby(
                noFailover,
                true,
                local,
                cfg(30, permanent),
                new SlotPositions(writer, published),
                ME,
                new Lsn(replay),
                Set.of());
    }

    @Test
    void standbyPlans() {
        Map<String, Lsn> at500 = Map.of("cdc", new Lsn(500));
        assertThat(steps(standby(false, List.of(), LOGICAL, ME, at500, 1000)))
                .as("a missing copy is copied")
                .containsExactly("copy cdc");
        assertThat(steps(standby(false, List.of(), LOGICAL, "old", at500, 1000)))
                .as("not from a record of an earlier primary")
                .isEmpty();
        assertThat(steps(standby(false, List.of(), LOGICAL, ME, Map.of(), 1000)))
                .as("not before the primary has the slot")
                .isEmpty();
        assertThat(steps(standby(true, List.of(), LOGICAL, ME, at500, 1000)))
                .as("nofailover members keep no copies")
                .isEmpty();
        assertThat(steps(standby(true, List.of(logical("cdc", 100)), LOGICAL, ME, at500, 1000)))
                .as("and drop theirs")
                .containsExactly("drop cdc");
        assertThat(steps(standby(false, List.of(logical("cdc", 100)), LOGICAL, ME, at500, 1000)))
                .as("a copy behind is advanced")
                .containsExactly("advance cdc to 500");
        assertThat(steps(standby(false, List.of(logical("cdc", 100)), LOGICAL, ME, at500, 300)))
                .as("never past the replay position")
                .containsExactly("advance cdc to 300");
        assertThat(steps(standby(false, List.of(logical("cdc", 500)), LOGICAL, ME, at500, 1000)))
                .as("nothing when level")
                .isEmpty();
        assertThat(steps(standby(false, List.of(logical("cdc", 100)), LOGICAL, ME, at500, 50)))
                .as("nor when the replay is behind the copy")
                .isEmpty();
        assertThat(steps(standby(false, List.of(logical("cdc", 100)), Map.of(), ME, at500, 1000)))
                .as("a copy removed from slots is dropped")
                .containsExactly("drop cdc");
        assertThat(steps(standby(false, List.of(logical("debezium", 100)), LOGICAL, ME, at500, 1000)))
                .as("a foreign logical slot stays")
                .containsExactly("copy cdc");
        assertThat(steps(standby(
                        false,
                        List.of(phys("pgha_b"), active("pgha_c"), phys("receivewal_x")),
                        Map.of(),
                        ME,
                        Map.of(),
                        1000)))
                .as("an inactive member slot left from a time as primary goes, other physical slots stay")
                .containsExactly("drop pgha_b");
        assertThat(standby(false, List.of(logical("debezium", 100)), Map.of(), ME, Map.of(), 1000)
                        .notes())
                .singleElement()
                .asString()
                .contains("debezium", "not pgha's");
    }

    /**
     * The sets commands drop a set's slot on the primary and unlist it; the primary then publishes a
     * record without it. A standby that looks only after that still drops its copy (it was left for
     * ever, holding WAL and catalog rows back, and SetsIT's unsubscribe test failed on it in CI).
     */
    @Test
    void aCopyIsDroppedAfterTheSettingStopsListingItEvenWhenThePrimaryNoLongerNamesIt() {
        Map<String, Lsn> none = Map.of();
        Plan seen = SlotPlanner.standby(
                false,
                true,
                List.of(logical("cdc", 100)),
                cfg(30, Map.of()),
                new SlotPositions(ME, none),
                ME,
                new Lsn(1000),
                Set.of("cdc"));
        assertThat(steps(seen)).as("a slot this member saw listed").containsExactly("drop cdc");
        assertThat(steps(standby(false, List.of(logical("pghaset_shop_plain", 100)), Map.of(), ME, none, 1000)))
                .as("a replication set's slot (only ever a copy on a standby)")
                .containsExactly("drop pghaset_shop_plain");
        assertThat(steps(standby(false, List.of(logical("cdc", 100)), Map.of(), ME, none, 1000)))
                .as("a logical slot neither listed before nor named stays (not pgha's)")
                .isEmpty();
        Plan active = SlotPlanner.standby(
                false,
                true,
                List.of(Slot.logical("cdc", true, "postgres", "pgoutput", new Lsn(1))),
                cfg(30, Map.of()),
                new SlotPositions(ME, none),
                ME,
                new Lsn(1000),
                Set.of("cdc"));
        assertThat(active.steps()).as("nor one in use").isEmpty();
    }

    @Test
    void withoutWalLevelLogicalAStandbyCopiesNothingAndSaysWhy() {
        Plan p = SlotPlanner.standby(
                false,
                false,
                List.of(),
                cfg(30, LOGICAL),
                new SlotPositions(ME, Map.of("cdc", new Lsn(5))),
                ME,
                new Lsn(10),
                Set.of());
        assertThat(p.steps()).isEmpty();
        assertThat(p.notes()).singleElement().asString().contains("wal_level is not logical");
    }

    @Test
    void memberSlotNamesArePrefixedSanitizedAndFitPostgres() {
        assertThat(SlotPlanner.memberSlot("node1")).isEqualTo("pgha_node1");
        assertThat(SlotPlanner.memberSlot("DB-2.east")).isEqualTo("pgha_db_2_east");
        assertThat(SlotPlanner.memberSlot("n".repeat(63))).hasSize(63).startsWith("pgha_");
    }
}
