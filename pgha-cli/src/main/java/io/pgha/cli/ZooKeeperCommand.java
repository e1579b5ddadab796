package io.pgha.cli;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.ConfigException;
import io.pgha.core.config.DcsConfig;
import io.pgha.core.config.NodeConfig;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.dcs.ZooKeeperAccess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgha zookeeper}: one ZooKeeper server of a dedicated ensemble (for example on three small
 * hosts apart from the databases), with the same settings as the agents' embedded peers.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "zookeeper",
        description = {
            "Run one ZooKeeper server of an ensemble, apart from any agent.",
            "SIGTERM or SIGINT stop it (exit 0); SIGHUP applies the log section of the -c file again."
        })
final class ZooKeeperCommand implements Callable<Integer> {
    @Option(names = "--id", required = true, description = "this server's id in --peer")
    int id;

    @Option(
            names = "--peer",
            required = true,
            paramLabel = "ID=HOST:CLIENT:PEER:ELECTION",
            description = "every server of the ensemble, this one included (repeat; one for a standalone server)")
    List<String> peers;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "where this server keeps its data")
    Path dataDir;

    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description =
                    "a node config whose dcs.auth and dcs.tls secure this server as the agents' embedded peers are:"
                            + " digest authentication enforced for every client, TLS for clients and peers")
    Path config;

    @Override
    public Integer call() throws Exception {
        List<DcsConfig.Peer> parsed = new ArrayList<>();
        try {
            for (String p : peers) parsed.add(DcsConfig.Peer.parse("--peer", p));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (parsed.stream().noneMatch(p -> p.id() == id)) {
            throw new IllegalArgumentException("--id: " + id + " is not the id of any --peer");
        }
        if (parsed.size() == 2)
            throw new IllegalArgumentException(
                    "--peer: an ensemble of 2 cannot survive the loss of one server; use 1 or 3+");
        if (!dataDir.isAbsolute()) dataDir = dataDir.toAbsolutePath();
        String name = "zookeeper-" + id;
        System.setProperty("pgha.node", name); // before the first log line: LogDefaults reads it once
        ZooKeeperAccess access = ZooKeeperAccess.OPEN;
        if (config != null) {
            NodeConfig node = ConfigLoader.load(config);
            access = ZooKeeperAccess.of(node.dcs());
            LogSetup.apply(node.log(), name);
        }
        if (access == ZooKeeperAccess.OPEN) {
            System.err.println(
                    "warning: no dcs.auth (-c FILE): every client that reaches this server may read and change"
                            + " what is not protected by ACLs; see docs/security.md");
        }
        EmbeddedZooKeeper zk = EmbeddedZooKeeper.start(id, parsed, dataDir, access);
        CountDownLatch done = new CountDownLatch(1);
        Runnable stop = Signals.once(() -> {
            zk.close();
            done.countDown();
        });
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "shutdown"));
        Signals.on("TERM", stop);
        Signals.on("INT", stop);
        Signals.on("HUP", () -> reload(name));
        System.out.println("ZooKeeper server " + id + " serving clients on " + zk.connectString());
        done.await();
        return 0;
    }

    /**
     * SIGHUP: the {@code log:} section of the {@code -c} file applied again. The ensemble, the data
     * directory and the security settings are read at start only; a file that does not load changes
     * nothing.
     */
    private void reload(String name) {
        var log = org.slf4j.LoggerFactory.getLogger(ZooKeeperCommand.class);
        if (config == null) {
            log.info("SIGHUP: no config file (-c): nothing to read again");
            return;
        }
        try {
            LogSetup.apply(ConfigLoader.load(config).log(), name);
            log.info(
                    "SIGHUP: {} read again, log settings applied (--peer, --data-dir, dcs.auth and dcs.tls take"
                            + " effect at the next start)",
                    config);
        } catch (RuntimeException e) {
            log.error("SIGHUP: {} (nothing changed; the server goes on with its current settings)", e.getMessage());
        }
    }
}
