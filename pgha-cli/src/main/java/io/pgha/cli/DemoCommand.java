package io.pgha.cli;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.config.RouterConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.Member;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.LocalEtcd;
import io.pgha.postgres.Directories;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgha demo}: a local N-node cluster on loopback, running until SIGINT/SIGTERM. */
@Command(
        mixinStandardHelpOptions = true,
        name = "demo",
        description = "Start a local cluster on loopback (each node its own process) and run until Ctrl-C.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "3", description = "number of nodes (default: ${DEFAULT-VALUE})")
    int nodes;

    @Option(
            names = "--dir",
            defaultValue = "/tmp/pgha-demo",
            description = "where all state goes (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(
            names = "--pg-port",
            defaultValue = "15432",
            description = "PostgreSQL port of node 1; node i uses P+i-1 (default: ${DEFAULT-VALUE})")
    int pgPort;

    @Option(
            names = "--api-port",
            defaultValue = "18008",
            description = "REST API port of node 1; node i uses A+i-1 (default: ${DEFAULT-VALUE})")
    int apiPort;

    @Option(
            names = "--zk-port",
            defaultValue = "12181",
            description = "ZooKeeper client port of node 1; peers use +100 and +200 (default: ${DEFAULT-VALUE})")
    int zkPort;

    @Option(
            names = "--router-port",
            defaultValue = "16432",
            description =
                    "router: read-write on R, read-only on R+1, metrics on R+2; 0 for no router (default: ${DEFAULT-VALUE})")
    int routerPort;

    @Option(names = "--fresh", description = "delete what an earlier demo left in --dir first")
    boolean fresh;

    @Option(
            names = "--dcs",
            defaultValue = "zookeeper",
            paramLabel = "KIND",
            description = {
                "zookeeper: an ensemble embedded in the agents (default);",
                "etcd: a 3-member etcd the demo starts itself (the etcd binary of the OS package etcd-server),"
                        + " client ports Z, Z+1, Z+2 from --zk-port, peers +100, metrics +200"
            })
    String dcs;

    @Override
    public Integer call() throws Exception {
        dir = dir.toAbsolutePath();
        if (!dcs.equals("zookeeper") && !dcs.equals("etcd")) {
            System.err.println("error: --dcs: '" + dcs + "' is not zookeeper or etcd");
            return 2;
        }
        if (fresh) Directories.delete(dir);
        LocalEtcd etcd = dcs.equals("etcd") ? startEtcd() : null;
        LocalCluster cluster;
        try {
            cluster = LocalCluster.create(new LocalCluster.Options(
                    "demo",
                    nodes,
                    dir,
                    pgPort,
                    apiPort,
                    zkPort,
                    null,
                    etcd == null ? null : java.util.Collections.nCopies(nodes, etcd.endpoints()),
                    etcd != null));
        } catch (Exception | Error e) {
            if (etcd != null) etcd.close();
            throw e;
        }
        Thread main = Thread.currentThread();
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.out.println("\nStopping every node of the demo...");
                            main.interrupt();
                            cluster.close();
                            if (etcd != null) etcd.close();
                            System.out.println(
                                    "All demo processes stopped. Data is kept in " + dir + " (--fresh starts over).");
                        },
                        "demo-shutdown"));
        System.out.println("Starting a " + nodes + "-node pgha cluster in " + dir);
        System.out.println("Everything listens on 127.0.0.1 only. DEMO ONLY: the 'postgres' superuser connects there"
                + " without a password (production configs use scram-sha-256).");
        cluster.startAll();
        if (!awaitHealthy(cluster)) {
            System.err.println("error: the cluster did not become healthy within 180 s; agent logs are in " + dir
                    + "/node*/agent.log");
            return 1;
        }
        RunningRouter router = null;
        if (routerPort > 0) {
            router = startRouter(cluster);
            RunningRouter r = router;
            Runtime.getRuntime().addShutdownHook(new Thread(r::close, "router-shutdown"));
        }
        printSummary(cluster, router);
        watch(cluster);
        return 0;
    }

    /** A 3-member etcd for the demo, its data under --dir (kept between runs like the nodes' data). */
    private LocalEtcd startEtcd() throws Exception {
        java.util.List<LocalEtcd.Ports> ports = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) ports.add(new LocalEtcd.Ports(zkPort + i, zkPort + 100 + i, zkPort + 200 + i));
        System.out.println("Starting a 3-member etcd on 127.0.0.1:" + zkPort + "-" + (zkPort + 2));
        return LocalEtcd.startFast(dir.resolve("etcd"), ports);
    }

    /** The demo's router: in this process, following the cluster through node 1's ZooKeeper settings. */
    private RunningRouter startRouter(LocalCluster cluster) throws Exception {
        NodeConfig n = io.pgha.agent.ConfigLoader.load(cluster.config(1));
        RouterConfig r = new RouterConfig(
                "demo-router",
                "127.0.0.1",
                routerPort,
                routerPort + 1,
                16L * 1024 * 1024,
                true,
                10_000,
                10_000,
                RouterConfig.DEFAULT_MAX_MESSAGE_SIZE,
                null,
                null,
                "127.0.0.1",
                routerPort + 2);
        return RunningRouter.start(n.cluster(), n.dcs(), r);
    }

    private boolean awaitHealthy(LocalCluster cluster) throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + 180_000_000_000L;
        String last = "";
        boolean agentUp = false;
        while (System.nanoTime() < deadline) {
            // No DCS client of the demo's own until an agent has a session (or 20 s have passed): see
            // LocalCluster#anyAgentConnected.
            if (!agentUp) {
                agentUp = cluster.anyAgentConnected() || System.nanoTime() - started > 20_000_000_000L;
                if (!agentUp) {
                    Thread.sleep(50);
                    continue;
                }
            }
            try {
                ClusterState c = cluster.state();
                if (LocalCluster.healthy(c, nodes)) return true;
                StringBuilder s = new StringBuilder();
                for (Member m : c.sortedMembers().values())
                    s.append(m.name()).append(": ").append(m.state().label()).append("  ");
                String now = s.toString().trim();
                if (!now.isEmpty() && !now.equals(last)) System.out.println("  " + now);
                last = now;
            } catch (DcsException e) {
                // ensemble still forming
            }
            Thread.sleep(200);
        }
        return false;
    }

    /**
     * Prints what the user needs to reach the demo. "Press Ctrl-C" comes last: whoever waits for
     * that line (a person, a script) has everything above it, the router's ports included.
     */
    private void printSummary(LocalCluster cluster, RunningRouter router) throws DcsException {
        ClusterState c = cluster.state();
        Table t = new Table("Node", "Role", "PostgreSQL", "REST API", "Config");
        for (int i = 1; i <= nodes; i++) {
            String name = cluster.nodeName(i);
            String role = c.member(name)
                    .map(m -> m.name().equals(c.leader()) ? "primary" : m.role().label())
                    .orElse("?");
            t.add(
                    name,
                    role,
                    "127.0.0.1:" + cluster.pgPort(i),
                    "http://127.0.0.1:" + cluster.apiPort(i),
                    cluster.config(i));
        }
        System.out.println();
        System.out.print(t.render());
        System.out.println();
        System.out.println("Writes (libpq): psql '" + cluster.libpqUrl() + "'");
        System.out.println("Writes (JDBC):  " + cluster.jdbcUrl());
        if (router != null) {
            System.out.println(router.describe());
            System.out.println("Through the router: psql 'host=127.0.0.1 port=" + routerPort
                    + " user=postgres dbname=postgres'" + " (read-write), port " + (routerPort + 1) + " (read-only)");
        }
        System.out.println();
        System.out.println("Try:  ./pgha list -c " + cluster.config(1));
        System.out.println("      ./pgha switchover -c " + cluster.config(1) + " --force");
        System.out.println("      kill -9 the primary's agent and postmaster to see a failover; ./pgha history -c "
                + cluster.config(1));
        System.out.println("REST API: basic auth user 'admin', password in the config files (restapi.authentication).");
        System.out.println("Dashboard: http://127.0.0.1:" + cluster.apiPort(1)
                + "/ui/ (any node's REST API port; the same user and password)");
        if (dcs.equals("etcd"))
            System.out.println("etcd: 127.0.0.1:" + zkPort + "-" + (zkPort + 2)
                    + ", plain HTTP on loopback (DEMO ONLY; production etcd uses TLS, see docs/configuration.md).");
        else
            System.out.println("ZooKeeper: TLS only, digest user 'pgha', password in the config files (dcs.auth);"
                    + " see docs/security.md.");
        System.out.println("Agent logs: " + dir + "/node*/agent.log; PostgreSQL logs: " + dir
                + "/node*/data.log.d/. Press Ctrl-C to stop every node.");
    }

    private void watch(LocalCluster cluster) {
        Set<Integer> reported = new HashSet<>();
        try {
            while (true) {
                for (int i = 1; i <= nodes; i++) {
                    if (!cluster.agentAlive(i) && reported.add(i)) {
                        System.out.println(cluster.nodeName(i)
                                + "'s agent exited. Start it again with: ./pgha agent --config " + cluster.config(i));
                    } else if (cluster.agentAlive(i)) {
                        reported.remove(i);
                    }
                }
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
