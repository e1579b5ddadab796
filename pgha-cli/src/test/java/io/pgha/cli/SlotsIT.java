package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.awaitHealthy;
import static io.pgha.cli.ClusterFixture.connect;
import static io.pgha.cli.ClusterFixture.index;
import static io.pgha.cli.ClusterFixture.leader;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.core.model.Lsn;
import io.pgha.testkit.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Replication slots on 3 real nodes (docs/slots.md): slots pgha did not create survive, a member
 * slot outlives a brief absence of its member, and a permanent logical slot follows a switchover
 * without replaying what its consumer had confirmed. Every node runs with wal_level=logical, set
 * in its config as a user would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlotsIT {
    private static LocalCluster cluster;
    /** The position up to which the test's consumer confirmed changes of the slot cdc. */
    private static Lsn consumed;

    @org.junit.jupiter.api.extension.RegisterExtension
    static final org.junit.jupiter.api.extension.TestWatcher LOGS = ClusterFixture.logsOnFailure(() -> cluster);

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("pgha-it-slots");
        cluster = LocalCluster.create(new LocalCluster.Options(
                "slots", 3, dir, FreePorts.block(3), FreePorts.block(3), FreePorts.block(3, 100, 200), null, null));
        for (int i = 1; i <= 3; i++) {
            Path f = cluster.config(i);
            String yaml = Files.readString(f);
            assertThat(yaml).contains("    fsync: 'on'\n");
            Files.writeString(f, yaml.replace("    fsync: 'on'\n", "    fsync: 'on'\n    wal_level: logical\n"));
        }
        cluster.startAll();
        try {
            awaitHealthy(cluster, 3);
        } catch (RuntimeException e) {
            ClusterFixture.dumpLogs(cluster);
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        ClusterFixture.stop(cluster);
    }

    private static String cfg() {
        return cluster.config(1).toString();
    }

    private static int primary() throws Exception {
        return index(leader(cluster));
    }

    private static List<Integer> standbys() throws Exception {
        List<Integer> out = new ArrayList<>();
        for (int i = 1; i <= 3; i++) if (i != primary()) out.add(i);
        return out;
    }

    private static void sql(int node, String sql) throws Exception {
        try (Connection c = connect(cluster, node);
                Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static boolean hasSlot(int node, String name) {
        return ClusterFixture.quietly(
                () -> ClusterFixture.count(
                                cluster,
                                node,
                                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + name + "'")
                        == 1,
                false);
    }

    /**
     * Each slot is there at every look for {@code seconds}. A look that gets no answer (a connection
     * refused or timed out on a loaded machine) proves nothing either way and is not counted; one
     * that finds a slot missing fails at once.
     */
    private static void slotsStay(int node, int seconds, String... names) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        int answered = 0;
        while (System.nanoTime() - end < 0) {
            for (String name : names) {
                Long n = ClusterFixture.quietly(
                        () -> ClusterFixture.count(
                                cluster,
                                node,
                                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + name + "'"),
                        null);
                if (n == null) continue;
                assertThat(n)
                        .as("slot " + name + " on " + cluster.nodeName(node))
                        .isEqualTo(1L);
                answered++;
            }
            Thread.sleep(250);
        }
        assertThat(answered).as("looks that got an answer").isGreaterThanOrEqualTo(names.length * 3);
    }

    /** The logical slot's confirmed_flush_lsn on {@code node}, if it has the slot. */
    private static Optional<Lsn> confirmed(int node, String name) {
        return ClusterFixture.quietly(
                () -> {
                    try (Connection c = connect(cluster, node);
                            Statement st = c.createStatement();
                            ResultSet rs = st.executeQuery(
                                    "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '"
                                            + name + "'")) {
                        return rs.next() && rs.getString(1) != null
                                ? Optional.of(Lsn.parse(rs.getString(1)))
                                : Optional.<Lsn>empty();
                    }
                },
                Optional.empty());
    }

    /** The test_decoding lines the slot returns now (and confirms). */
    private static List<String> consume(int node, String name) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = connect(cluster, node);
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery("SELECT data FROM pg_logical_slot_get_changes('" + name + "', NULL, NULL)")) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    private static void editConfig(String... sets) {
        List<String> args = new ArrayList<>(List.of("edit-config", "-c", cfg(), "--force"));
        for (String s : sets) {
            args.add("--set");
            args.add(s);
        }
        ClusterFixture.Run r = pgha(args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    }

    @Test
    @Order(1)
    void slotsPghaDidNotCreateSurviveEvenWithMemberSlotsTtlZero() throws Exception {
        editConfig("member_slots_ttl=0");
        int p = primary();
        for (int s : standbys()) {
            String slot = "pgha_node" + s;
            await().atMost(Duration.ofSeconds(30)).until(() -> hasSlot(p, slot));
        }
        sql(p, "SELECT pg_create_physical_replication_slot('receivewal_x')");
        sql(p, "SELECT pg_create_physical_replication_slot('barman_y', true)");
        // loop_wait is 1 s: several primary cycles pass while the slots must stay
        slotsStay(p, 6, "receivewal_x", "barman_y");
    }

    @Test
    @Order(2)
    void aMemberSlotOutlivesABriefAbsenceOfItsMember() throws Exception {
        editConfig("member_slots_ttl=10m");
        int p = primary();
        int s = standbys().get(0);
        cluster.stop(s);
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> ClusterFixture.quietly(
                            () -> !cluster.state().members().containsKey(cluster.nodeName(s)), false));
            slotsStay(p, 5, "pgha_node" + s);
        } finally {
            cluster.start(s); // also after a failure: the next tests need three members
        }
        awaitHealthy(cluster, 3);
        assertThat(hasSlot(p, "pgha_node" + s)).isTrue();
    }

    @Test
    @Order(3)
    void aPermanentLogicalSlotIsCreatedConsumedAndCopiedToTheStandbys() throws Exception {
        editConfig(
                "slots={cdc: {type: logical, database: postgres, plugin: test_decoding}, archiver: {type: physical}}");
        int p = primary();
        await().atMost(Duration.ofSeconds(30)).until(() -> hasSlot(p, "cdc") && hasSlot(p, "archiver"));
        sql(p, "CREATE TABLE slot_rows (id int PRIMARY KEY, v text)");
        sql(p, "INSERT INTO slot_rows VALUES (1, 'before-1'), (2, 'before-2')");
        List<String> changes = consume(p, "cdc");
        assertThat(changes).anyMatch(l -> l.contains("'before-2'"));
        consumed = confirmed(p, "cdc").orElseThrow();
        // each standby copies the slot (restarting to load it) and advances it to what was consumed
        for (int s : standbys()) {
            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() ->
                            confirmed(s, "cdc").map(l -> !consumed.isAfter(l)).orElse(false));
            assertThat(hasSlot(s, "archiver"))
                    .as("physical permanent slots live on the primary only")
                    .isFalse();
        }
        awaitHealthy(cluster, 3);
        // an inactive permanent physical slot stays on the primary
        slotsStay(p, 3, "archiver");
    }

    @Test
    @Order(4)
    void theLogicalSlotFollowsASwitchoverWithoutReplayingConfirmedChanges() throws Exception {
        int old = primary();
        int target = standbys().get(0);
        ClusterFixture.Run r = pgha("switchover", "-c", cfg(), "--to", cluster.nodeName(target), "--force");
        assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
        await().atMost(Duration.ofSeconds(60))
                .until(() ->
                        ClusterFixture.quietly(() -> cluster.nodeName(target).equals(leader(cluster)), false));
        awaitHealthy(cluster, 3);
        assertThat(confirmed(target, "cdc")).as("the slot on the new primary").isPresent();
        assertThat(consumed.isAfter(confirmed(target, "cdc").get()))
                .as("confirmed_flush_lsn went back")
                .isFalse();
        sql(target, "INSERT INTO slot_rows VALUES (3, 'after-3')");
        List<String> again = consume(target, "cdc");
        assertThat(again)
                .as("changes confirmed before the switchover are not sent again")
                .noneMatch(l -> l.contains("'before-"));
        assertThat(again).anyMatch(l -> l.contains("'after-3'"));
        // the new primary creates the permanent physical slot too (and names it in its record); the old
        // primary keeps its cdc as a standby copy and the foreign slot, but not member slots, whose xmin
        // would reach the new primary through hot_standby_feedback
        await().atMost(Duration.ofSeconds(30))
                .until(() -> hasSlot(target, "archiver")
                        && ClusterFixture.quietly(
                                () -> cluster.state().slots().positions().containsKey("archiver"), false));
        await().atMost(Duration.ofSeconds(60)).until(() -> hasSlot(old, "cdc") && !hasSlot(old, "pgha_node" + target));
        assertThat(hasSlot(old, "receivewal_x")).isTrue();
    }

    @Test
    @Order(5)
    void aMemberSlotIsDroppedOnceItsMemberHasBeenGoneLongerThanMemberSlotsTtlAndASlotRemovedFromSlotsIsDropped()
            throws Exception {
        editConfig("member_slots_ttl=3s", "slots={cdc: {type: logical, database: postgres, plugin: test_decoding}}");
        int p = primary();
        await().atMost(Duration.ofSeconds(30)).until(() -> !hasSlot(p, "archiver"));
        int s = standbys().get(0);
        cluster.stop(s);
        await().atMost(Duration.ofSeconds(60)).until(() -> !hasSlot(p, "pgha_node" + s));
        cluster.start(s);
        awaitHealthy(cluster, 3);
        // Stopping a node also stops its embedded ZooKeeper peer; when that peer led the ensemble the
        // election can cost the primary its lease, and another member takes over: the slot comes back
        // on whichever member is primary then.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> hasSlot(primary(), "pgha_node" + s));
    }
}
