package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.ConfigReader;
import io.pgha.core.config.Credentials;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.config.WatchdogConfig;
import io.pgha.core.decide.Decision;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.SyncState;
import io.pgha.testkit.InMemoryDcs;
import io.pgha.testkit.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Agents built from fakes, for component tests: an in-memory DCS, fake PostgreSQL servers,
 * stand-in watchdog devices, peers that answer as the test says and one manual clock. No thread is
 * started; long actions run on the caller's thread, and tests drive each agent's cycle.
 */
final class FakeCluster implements AutoCloseable {
    static final long TTL = 2500;

    final ManualClock clock = new ManualClock();
    final InMemoryDcs.Store store = new InMemoryDcs.Store(TTL);
    final Map<String, Node> nodes = new LinkedHashMap<>();
    final FakePeers peers = new FakePeers();
    /** The watchdog mode of the nodes made next. */
    WatchdogConfig.Mode watchdogMode = WatchdogConfig.Mode.REQUIRED;
    /** postgresql.callbacks of the nodes made next. */
    final Map<String, Object> callbacks = new LinkedHashMap<>();
    /** How the resources of a node (name, its PostgreSQL) are driven; null: the real drivers. */
    java.util.function.BiFunction<String, FakePostgres, ResourceManager.Drivers> drivers;

    private final Path dir;
    private final List<Agent> agents = new ArrayList<>();

    FakeCluster(Path dir) {
        this.dir = dir;
    }

    /** One node: its agent and the fakes behind it. */
    record Node(String name, Agent agent, FakePostgres pg, InMemoryDcs dcs, Path watchdog, Watchdog dog) {
        Decision cycle() throws Exception {
            return agent.cycle();
        }

        String watchdogLog() throws Exception {
            return Files.readString(watchdog);
        }
    }

    /** Peers answer from the fakes: live positions of running standbys, and failsafe confirmations as set. */
    final class FakePeers implements Peers {
        volatile boolean confirm;
        /** The members whose agents warmed their peer calls up, once each time. */
        final List<String> warmedUp = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void warmUp(Member self) {
            warmedUp.add(self.name());
        }

        @Override
        public Set<String> confirmLeader(Collection<Member> members, String leader, Credentials auth, long timeoutMs) {
            Set<String> ok = new java.util.TreeSet<>();
            if (confirm) members.forEach(m -> ok.add(m.name()));
            return ok;
        }

        @Override
        public Map<String, Lsn> positions(Collection<Member> members, long timeoutMs) {
            Map<String, Lsn> out = new HashMap<>();
            for (Member m : members) {
                Node n = nodes.get(m.name());
                if (n != null && n.pg().running && n.pg().recovery) out.put(m.name(), new Lsn(n.pg().position));
            }
            return out;
        }
    }

    /** Runs submitted actions at once, on the caller's thread. */
    private static final class Direct extends AbstractExecutorService {
        private boolean shut;

        @Override
        public void execute(Runnable r) {
            r.run();
        }

        @Override
        public void shutdown() {
            shut = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shut = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shut;
        }

        @Override
        public boolean isTerminated() {
            return shut;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }

    Node node(String name, FakePostgres pg) throws Exception {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("cluster", "main");
        doc.put("name", name);
        doc.put("data_dir", dir.resolve(name).resolve("data").toString());
        doc.put("dcs", Map.of("zookeeper", Map.of("connect", "127.0.0.1:2181")));
        doc.put("restapi", Map.of("listen", "127.0.0.1", "port", 8008));
        Map<String, Object> pgSection = new LinkedHashMap<>();
        pgSection.put("connect_address", "127.0.0.1");
        pgSection.put("port", 5432);
        if (!callbacks.isEmpty()) pgSection.put("callbacks", callbacks);
        doc.put("postgresql", pgSection);
        NodeConfig cfg = ConfigReader.read(doc);
        Path dev = Files.createFile(dir.resolve(name + ".watchdog"));
        Watchdog dog = new Watchdog(new WatchdogConfig(watchdogMode, dev.toString(), 5));
        InMemoryDcs dcs = store.connect();
        Agent agent = new Agent(cfg, new Agent.Parts(pg, dcs, dog, peers, clock, null), new Direct());
        if (drivers != null) agent.resourceDrivers(drivers.apply(name, pg));
        agents.add(agent);
        Node n = new Node(name, agent, pg, dcs, dev, dog);
        nodes.put(name, n);
        return n;
    }

    /** n1 primary holding the lease, n2 and n3 its streaming standbys, everyone published. */
    void healthy(DynamicConfig config) throws Exception {
        store.load(new ClusterState("7000", null, Map.of(), config, null, Lsn.ZERO, List.of(), SyncState.EMPTY));
        Node n1 = node("n1", FakePostgres.primary());
        assertThat(n1.dcs().acquireLeader("n1")).isTrue();
        n1.agent().lease().confirmed(clock.nanoTime(), TTL - 833);
        n1.dog().arm();
        node("n2", FakePostgres.standbyOf("n1"));
        node("n3", FakePostgres.standbyOf("n1"));
        for (int round = 0; round < 2; round++) {
            for (Node n : nodes.values()) n.cycle();
        }
        assertThat(store.snapshot().members()).containsOnlyKeys("n1", "n2", "n3");
        assertThat(store.snapshot().leader()).isEqualTo("n1");
    }

    @Override
    public void close() {
        agents.forEach(Agent::close);
    }
}
