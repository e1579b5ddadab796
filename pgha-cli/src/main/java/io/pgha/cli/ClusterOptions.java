package io.pgha.cli;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.NodeConfig;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsFactory;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a CLI command finds the cluster: a node's config file ({@code -c}, or {@code PGHA_CONFIG}). */
final class ClusterOptions {
    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "a node's config file (default: $PGHA_CONFIG)")
    Path config;

    /**
     * Where commands get their DCS in unit tests (an in-memory one, so that a command can be run
     * whole through {@link Main#run}); null, the default, means the config's DCS.
     */
    static volatile java.util.function.Function<NodeConfig, Dcs> testDcs;

    NodeConfig load() {
        Path p = config;
        if (p == null) {
            String env = System.getenv("PGHA_CONFIG");
            if (env == null)
                throw new io.pgha.core.config.ConfigException(
                        "no config: pass -c FILE (a node's config file) or set PGHA_CONFIG");
            p = Path.of(env);
        }
        return ConfigLoader.load(p);
    }

    /** Connects to the cluster's DCS, failing with a clear message when it cannot be reached. */
    Dcs connect(NodeConfig cfg) throws InterruptedException {
        var forTests = testDcs;
        if (forTests != null) return forTests.apply(cfg);
        return DcsFactory.connectedObserver(
                cfg.dcs(),
                cfg.cluster(),
                cfg.timing().ttlMs(),
                Math.max(5000, cfg.timing().ttlMs() * 2));
    }

    /** One read of the cluster, for commands that only look at it once. */
    io.pgha.core.model.ClusterState read(NodeConfig cfg) throws InterruptedException, io.pgha.dcs.DcsException {
        try (Dcs dcs = connect(cfg)) {
            return dcs.read();
        }
    }
}
