package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.agent.FakeCluster.Node;
import io.pgha.core.config.WatchdogConfig;
import io.pgha.core.model.DynamicConfig;
import io.pgha.testkit.InMemoryDcs;
import io.pgha.testkit.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resources beside the database, with fakes (the agents of {@link AgentSafetyTest}, and resource
 * drivers that record every action in one list with PostgreSQL's): the order of VIP and
 * PostgreSQL actions across a switchover and a lost lease, never two holders, failures counted
 * and the resource moved or the primary role given up.
 */
class AgentResourcesTest {
    private static final long TTL = FakeCluster.TTL;

    @TempDir
    Path dir;

    private FakeCluster fakes;
    private ManualClock clock;
    private InMemoryDcs.Store store;
    private Map<String, Node> nodes;

    @BeforeEach
    void makeFakes() {
        fakes = new FakeCluster(dir);
        clock = fakes.clock;
        store = fakes.store;
        nodes = fakes.nodes;
        fakes.drivers = (name, pg) -> spec -> new FakeDriver(name, spec.name(), pg);
    }

    @AfterEach
    void closeAgents() {
        fakes.close();
    }

    private void healthyCluster(DynamicConfig config) throws Exception {
        fakes.healthy(config);
    }

    /** Every action of every node, in order: "n1 vip start", "n1 pg stop FAST", ... */
    private final List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());

    /** A resource that records its actions (and PostgreSQL's calls before them) in {@link #events}. */
    private final class FakeDriver implements io.pgha.agent.resource.ResourceDriver {
        private final String node;
        private final String name;
        private final FakePostgres pg;
        volatile boolean running;
        volatile boolean monitorFails;

        FakeDriver(String node, String name, FakePostgres pg) {
            this.node = node;
            this.name = name;
            this.pg = pg;
            drivers.put(node + "/" + name, this);
        }

        private io.pgha.agent.resource.ActionResult record(String action, io.pgha.agent.resource.OcfStatus st) {
            pgEvents(node, pg);
            events.add(node + " " + name + " " + action);
            return new io.pgha.agent.resource.ActionResult(action, st, st.code(), "", 1);
        }

        @Override
        public io.pgha.agent.resource.ActionResult start(long timeoutMs) {
            running = true;
            return record("start", io.pgha.agent.resource.OcfStatus.SUCCESS);
        }

        /** Set: a stop waits for it, as a script that takes its time; null: stops return at once. */
        volatile java.util.concurrent.CountDownLatch stopGate;

        private final java.util.concurrent.atomic.AtomicInteger stopsNow =
                new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public io.pgha.agent.resource.ActionResult stop(long timeoutMs) {
            // as ocf:heartbeat:IPaddr2: a second stop beside the first finds the address half gone and fails
            if (stopsNow.incrementAndGet() > 1) {
                stopsNow.decrementAndGet();
                return record("stop beside another stop", io.pgha.agent.resource.OcfStatus.ERR_GENERIC);
            }
            try {
                var gate = stopGate;
                if (gate != null) gate.await(10, java.util.concurrent.TimeUnit.SECONDS);
                running = false;
                return record("stop", io.pgha.agent.resource.OcfStatus.SUCCESS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return record("stop interrupted", io.pgha.agent.resource.OcfStatus.ERR_GENERIC);
            } finally {
                stopsNow.decrementAndGet();
            }
        }

        volatile boolean promoted;

        @Override
        public io.pgha.agent.resource.ActionResult promote(long timeoutMs) {
            promoted = true;
            return record("promote", io.pgha.agent.resource.OcfStatus.SUCCESS);
        }

        @Override
        public io.pgha.agent.resource.ActionResult demote(long timeoutMs) {
            promoted = false;
            return record("demote", io.pgha.agent.resource.OcfStatus.SUCCESS);
        }

        @Override
        public io.pgha.agent.resource.ActionResult monitor(long timeoutMs) {
            return new io.pgha.agent.resource.ActionResult(
                    "monitor",
                    running && !monitorFails
                            ? (promoted
                                    ? io.pgha.agent.resource.OcfStatus.RUNNING_PROMOTED
                                    : io.pgha.agent.resource.OcfStatus.SUCCESS)
                            : io.pgha.agent.resource.OcfStatus.NOT_RUNNING,
                    0,
                    "",
                    1);
        }

        @Override
        public io.pgha.agent.resource.ActionResult validate(long timeoutMs) {
            return record("validate-all", io.pgha.agent.resource.OcfStatus.SUCCESS);
        }

        @Override
        public String describe() {
            return name;
        }
    }

    private final Map<String, FakeDriver> drivers = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Integer> pgSeen = new HashMap<>();

    /** Moves PostgreSQL's calls made since the last look into {@link #events}. */
    private synchronized void pgEvents(String node, FakePostgres pg) {
        int seen = pgSeen.getOrDefault(node, 0);
        List<String> calls;
        synchronized (pg) {
            calls = new ArrayList<>(pg.calls.subList(seen, pg.calls.size()));
        }
        for (String c : calls) events.add(node + " pg " + c);
        pgSeen.put(node, seen + calls.size());
    }

    /** One round: every node cycles, then ticks its resources; PostgreSQL's calls are collected. */
    private final List<String> decisions = new ArrayList<>();

    private void round() throws Exception {
        for (Node n : nodes.values()) {
            decisions.add(n.name() + ": " + n.cycle().reason());
            pgEvents(n.name(), n.pg());
            n.agent().resources().tick();
            pgEvents(n.name(), n.pg());
        }
    }

    private static DynamicConfig withResources(Map<String, Object> resources) {
        return io.pgha.core.config.DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("resources", resources));
    }

    private static final Map<String, Object> VIP =
            Map.of("vip", Map.of("kind", "ip", "address", "10.0.0.100/24", "with", "primary"));

    private int index(String event) {
        int i = events.indexOf(event);
        assertThat(i).as(event + " in " + events).isNotNegative();
        return i;
    }

    private List<String> holders(String resource) {
        List<String> out = new ArrayList<>();
        drivers.forEach((k, d) -> {
            if (k.endsWith("/" + resource) && d.running) out.add(k.substring(0, k.indexOf('/')));
        });
        return out;
    }

    @Test
    void theVipFollowsThePrimaryAndIsPublished() throws Exception {
        healthyCluster(withResources(VIP));
        round();
        round(); // the states found by the first tick are published by the next cycle
        assertThat(holders("vip")).containsExactly("n1");
        assertThat(store.snapshot().members().get("n1").resources().get("vip").state())
                .isEqualTo(io.pgha.core.resource.ResourceStatus.State.STARTED);
        assertThat(store.snapshot().members().get("n2").resources().get("vip").state())
                .isEqualTo(io.pgha.core.resource.ResourceStatus.State.STOPPED);
    }

    @Test
    void aLostLeaseTakesTheVipDownBeforePostgresStops() throws Exception {
        healthyCluster(withResources(VIP));
        round();
        Node n1 = nodes.get("n1");
        clock.advance(TTL);
        n1.agent().leaseGuard().enforce();
        pgEvents("n1", n1.pg());
        assertThat(index("n1 vip stop")).isLessThan(index("n1 pg stopImmediately"));
        assertThat(holders("vip")).isEmpty();
    }

    @Test
    void theLeaseGuardsStopAndThePlansStopNeverRunTwiceAtOnce() throws Exception {
        // a resource with the primary that takes its time to stop: the lease guard stops it on a thread
        // of its own, and the manager's next tick, which also sees the lease gone, must not stop it a
        // second time beside it (seen with IPaddr2 in VipIT: the second stop failed, and the resource
        // stayed blocked on that member, so the next primary there never started it)
        Map<String, Object> svc = Map.of("svc", Map.of("kind", "script", "path", "/bin/svc", "with", "primary"));
        healthyCluster(withResources(svc));
        round();
        round();
        assertThat(holders("svc")).containsExactly("n1");
        Node n1 = nodes.get("n1");
        FakeDriver d = drivers.get("n1/svc");
        d.stopGate = new java.util.concurrent.CountDownLatch(1);
        clock.advance(TTL);
        n1.agent().leaseGuard().enforce();
        await().atMost(java.time.Duration.ofSeconds(5)).until(() -> d.stopsNow.get() == 1);
        n1.agent().resources().tick(); // plans with the lease gone while the guard's stop runs
        d.stopGate.countDown();
        await().atMost(java.time.Duration.ofSeconds(5))
                .until(() -> n1.agent().resources().published().get("svc").state()
                        == io.pgha.core.resource.ResourceStatus.State.STOPPED);
        n1.agent().resources().tick();
        assertThat(events).as("one stop at a time").doesNotContain("n1 svc stop beside another stop");
        assertThat(n1.agent().resources().published().get("svc").state())
                .isEqualTo(io.pgha.core.resource.ResourceStatus.State.STOPPED);
        assertThat(holders("svc")).isEmpty();
    }

    @Test
    void aSwitchoverTakesTheVipDownOnTheOldPrimaryBeforeItStopsAndUpOnTheNewOneAfterThePromotion() throws Exception {
        healthyCluster(withResources(VIP));
        round();
        new ClusterControl(nodes.get("n2").dcs(), clock::wallMillis).switchover("n1", "n2", 0);
        for (int i = 0; i < 6 && !holders("vip").equals(List.of("n2")); i++) {
            round();
            // n2 receives and replays n1's shutdown checkpoint record
            if (!nodes.get("n1").pg().running) nodes.get("n2").pg().position = 0x3000100;
            assertThat(holders("vip").size()).as("never two holders: " + events).isLessThanOrEqualTo(1);
        }
        assertThat(holders("vip"))
                .as(events + "\n" + String.join("\n", decisions))
                .containsExactly("n2");
        assertThat(index("n1 vip stop")).isLessThan(index("n1 pg stop FAST"));
        assertThat(index("n1 pg stop FAST")).isLessThan(index("n2 pg promote"));
        assertThat(index("n2 pg promote")).isLessThan(index("n2 vip start"));
    }

    @Test
    void aMemberThatLosesTheDcsStopsItsFloatingResourcesAtOnce() throws Exception {
        Map<String, Object> read = Map.of("read", Map.of("kind", "ip", "address", "10.0.0.101/24", "with", "standby"));
        healthyCluster(withResources(read));
        round();
        round();
        assertThat(holders("read")).containsExactly("n2");
        store.reachable(false); // n2's session may now end at any moment, and n3 take the address
        nodes.get("n2").agent().resources().tick();
        assertThat(holders("read")).isEmpty();
        nodes.get("n3").agent().resources().tick();
        assertThat(holders("read")).as("nothing starts without the DCS").isEmpty();
    }

    @Test
    void aCrashMovesTheVipOnlyAfterTheNewPrimaryIsPromoted() throws Exception {
        healthyCluster(withResources(VIP));
        round();
        Node n1 = nodes.get("n1");
        n1.pg().crash(); // the machine is gone, its address with it
        drivers.get("n1/vip").running = false;
        store.expire(n1.dcs());
        nodes.remove("n1");
        nodes.get("n3").pg().position = 0x2000000;
        for (int i = 0; i < 3 && !holders("vip").equals(List.of("n2")); i++) round();
        assertThat(holders("vip")).containsExactly("n2");
        assertThat(index("n2 pg promote")).isLessThan(index("n2 vip start"));
    }

    @Test
    void monitorFailuresRestartInPlaceThenMoveTheResourceAndCleanupLetsItBack() throws Exception {
        Map<String, Object> svc = Map.of(
                "svc",
                Map.of(
                        "kind",
                        "script",
                        "path",
                        "/bin/svc",
                        "with",
                        "any",
                        "migration_threshold",
                        2,
                        "monitor",
                        Map.of("interval", "1s")));
        healthyCluster(withResources(svc));
        round();
        assertThat(holders("svc")).containsExactly("n1"); // best score tie: the first name
        FakeDriver d = drivers.get("n1/svc");
        d.monitorFails = true;
        clock.advance(1500);
        round(); // monitor fails: failure 1 (restarted in place a second later)
        round();
        assertThat(events.stream().filter("n1 svc start"::equals).count())
                .as("stopped at once, started again only after a second: " + events)
                .isEqualTo(1);
        clock.advance(1100);
        round();
        assertThat(events).contains("n1 svc stop", "n1 svc start");
        clock.advance(1500);
        round(); // failure 2: the threshold; it leaves n1
        for (int i = 0; i < 3; i++) round();
        assertThat(holders("svc")).containsExactly("n2");
        assertThat(store.snapshot().members().get("n1").resources().get("svc").failCount())
                .isEqualTo(2);

        nodes.get("n1").agent().cleanupResource("svc");
        d.monitorFails = false;
        // n1 may run it again: with no stickiness and equal scores it goes back to n1 (the first name),
        // once n2 has let it go
        for (int i = 0; i < 4; i++) {
            round();
            assertThat(holders("svc").size()).as("never two holders").isLessThanOrEqualTo(1);
        }
        assertThat(store.snapshot().members().get("n1").resources().get("svc").failCount())
                .isZero();
        assertThat(holders("svc")).containsExactly("n1");
    }

    @Test
    void aCriticalResourceThatCannotRunOnThePrimaryAsksForASwitchover() throws Exception {
        Map<String, Object> vip = Map.of(
                "vip",
                Map.of(
                        "kind",
                        "ip",
                        "address",
                        "10.0.0.100/24",
                        "critical",
                        true,
                        "migration_threshold",
                        1,
                        "monitor",
                        Map.of("interval", "1s")));
        healthyCluster(withResources(vip));
        round();
        drivers.get("n1/vip").monitorFails = true;
        clock.advance(1500);
        round(); // the monitor fails
        round(); // the plan sees the fail count at the threshold
        round(); // and the agent asks for the switchover
        assertThat(store.snapshot().failover()).as("a switchover was asked for").isNotNull();
        assertThat(store.snapshot().failover().leader()).isEqualTo("n1");
    }

    @Test
    void primaryPlacementFailsBackToThePreferredMember() throws Exception {
        healthyCluster(io.pgha.core.config.DynamicSettings.apply(
                DynamicConfig.DEFAULT,
                Map.of("primary_placement", Map.of("location", List.of(Map.of("node", "n3", "score", 100))))));
        round();
        round();
        assertThat(store.snapshot().failover())
                .as("n1 hands over to the preferred n3")
                .isNotNull();
        assertThat(store.snapshot().failover().candidate()).isEqualTo("n3");
    }

    private List<String> promotedOn(String resource) {
        List<String> out = new ArrayList<>();
        drivers.forEach((k, d) -> {
            if (k.endsWith("/" + resource) && d.running && d.promoted) out.add(k.substring(0, k.indexOf('/')));
        });
        java.util.Collections.sort(out);
        return out;
    }

    @Test
    void aPromotableCloneRunsEverywhereAndIsPromotedOnlyWithThePrimary() throws Exception {
        healthyCluster(withResources(Map.of(
                "drbd", Map.of("kind", "ocf", "agent", "ocf:linbit:drbd", "with", "every", "promotable", true))));
        round();
        round();
        List<String> all = new ArrayList<>(holders("drbd"));
        java.util.Collections.sort(all);
        assertThat(all).containsExactly("n1", "n2", "n3");
        assertThat(promotedOn("drbd")).containsExactly("n1");
        assertThat(store.snapshot().members().get("n1").resources().get("drbd").promoted())
                .isTrue();

        new ClusterControl(nodes.get("n2").dcs(), clock::wallMillis).switchover("n1", "n2", 0);
        for (int i = 0; i < 6 && !promotedOn("drbd").equals(List.of("n2")); i++) {
            round();
            if (!nodes.get("n1").pg().running) nodes.get("n2").pg().position = 0x3000100;
            assertThat(promotedOn("drbd").size())
                    .as("never promoted twice: " + events)
                    .isLessThanOrEqualTo(1);
        }
        assertThat(promotedOn("drbd")).as(events.toString()).containsExactly("n2");
        assertThat(index("n1 drbd demote")).isLessThan(index("n1 pg stop FAST"));
        assertThat(index("n2 pg promote")).isLessThan(index("n2 drbd promote"));
        assertThat(events).contains("n1 drbd validate-all").doesNotContain("n1 drbd stop");
    }

    @Test
    void aMemberInMaintenanceLeavesItsResourcesAlone() throws Exception {
        healthyCluster(withResources(VIP));
        round();
        nodes.get("n1").dcs().updateConfig(c -> c.withResources(c.resources().withMaintenance(java.util.Set.of("n1"))));
        round(); // every agent sees the maintenance
        clock.advance(TTL);
        nodes.get("n1").agent().leaseGuard().enforce(); // even the lease-loss path leaves it
        round();
        assertThat(holders("vip")).containsExactly("n1");
        assertThat(events).doesNotContain("n1 vip stop");
    }

    // ------------------------------------------------------------------ fencing

    /** A fence agent that records its stdin and exits with the code in the file {@code exit} (0 when absent). */
    private Path fenceAgent() throws Exception {
        Path agent = dir.resolve("fence_recording");
        Files.writeString(
                agent,
                "#!/bin/sh\ncat >> " + dir.resolve("fence.log") + "\necho --- >> " + dir.resolve("fence.log")
                        + "\nexit $(cat " + dir.resolve("exit") + " 2>/dev/null || echo 0)\n");
        Files.setPosixFilePermissions(agent, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return agent;
    }

    private DynamicConfig fencing(Path agent) {
        return io.pgha.core.config.DynamicSettings.apply(
                DynamicConfig.DEFAULT,
                Map.of(
                        "fencing",
                        Map.of(
                                "mode",
                                "required",
                                "devices",
                                Map.of(
                                        "rec",
                                        Map.of("agent", agent.toString(), "options", Map.of("ip", "192.0.2.9"))))));
    }

    /** n1 (the primary) dies and its session ends; returns n2, which takes over. */
    private Node crashPrimary() throws Exception {
        Node n1 = nodes.get("n1");
        n1.pg().crash();
        store.expire(n1.dcs());
        nodes.get("n3").pg().position = 0x2000000; // n2 is the best candidate
        return nodes.get("n2");
    }

    @Test
    void aCrashWithFencingRequiredFencesTheOldPrimaryFirstThenPromotes() throws Exception {
        fakes.watchdogMode = WatchdogConfig.Mode.OFF;
        healthyCluster(fencing(fenceAgent()));
        Node n2 = crashPrimary();
        n2.cycle();
        assertThat(n2.pg().recovery).as("n2 promoted").isFalse();
        assertThat(Files.readString(dir.resolve("fence.log"))).contains("action=off", "port=n1", "ip=192.0.2.9");
        assertThat(store.snapshot()
                        .history()
                        .get(store.snapshot().history().size() - 1)
                        .reason())
                .contains("n1 fenced by rec (off)");
    }

    @Test
    void aFailedFenceHoldsTheFailoverAndSaysWhyUntilItSucceeds() throws Exception {
        fakes.watchdogMode = WatchdogConfig.Mode.OFF;
        healthyCluster(fencing(fenceAgent()));
        Files.writeString(dir.resolve("exit"), "1");
        Node n2 = crashPrimary();
        for (int i = 0; i < 3; i++) n2.cycle();
        assertThat(n2.pg().recovery).as("no promotion without fencing").isTrue();
        assertThat(n2.pg().calls).doesNotContain("promote");
        assertThat(store.snapshot().leader()).as("n2 keeps the lease meanwhile").isEqualTo("n2");
        assertThat(store.snapshot().members().get("n2").lastDecision()).contains("fencing n1 failed");
        Files.writeString(dir.resolve("exit"), "0");
        n2.cycle();
        assertThat(n2.pg().recovery).as("fenced, then promoted").isFalse();
    }

    @Test
    void aFailedFenceIsOutweighedByTheOldPrimarysArmedWatchdog() throws Exception {
        healthyCluster(fencing(fenceAgent())); // watchdogs required: n1's was armed
        Files.writeString(dir.resolve("exit"), "1");
        Node n2 = crashPrimary();
        n2.cycle();
        assertThat(n2.pg().recovery)
                .as("promoted: n1's watchdog reset it when its lease ran out")
                .isFalse();
        assertThat(store.snapshot()
                        .history()
                        .get(store.snapshot().history().size() - 1)
                        .reason())
                .contains("fencing n1 failed", "watchdog was armed");
    }

    // ------------------------------------------------------------------ callbacks

    @Test
    void callbacksAreCalledWithActionRoleAndClusterAsPatroniDoes() throws Exception {
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Path script = dir.resolve("callback.sh");
        Path log = dir.resolve("callbacks.log");
        Files.writeString(script, "#!/bin/sh\necho \"$1 $2 $3\" >> " + log + "\n");
        Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String a : List.of("on_start", "on_stop", "on_role_change")) fakes.callbacks.put(a, script.toString());
        fakes.watchdogMode = WatchdogConfig.Mode.OFF;
        healthyCluster(DynamicConfig.DEFAULT);
        Node n2 = crashPrimary();
        n2.cycle(); // takes over and promotes
        n2.cycle();
        Node n3 = nodes.get("n3");
        n3.pg().crash(); // a standby's PostgreSQL stops ...
        n3.cycle();
        n3.cycle(); // ... and is started again
        for (Node n : nodes.values())
            assertThat(n.agent().hooks().awaitIdle(java.time.Duration.ofSeconds(10)))
                    .isTrue();
        assertThat(Files.readAllLines(log))
                .contains("on_role_change primary main", "on_stop replica main", "on_start replica main")
                .doesNotContain("on_role_change primary main on_role_change primary main");
        assertThat(Files.readAllLines(log).stream()
                        .filter(l -> l.startsWith("on_role_change"))
                        .count())
                .as("once per promotion")
                .isEqualTo(1);
    }
}
