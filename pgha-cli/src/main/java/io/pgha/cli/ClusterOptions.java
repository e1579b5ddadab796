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
        return DcsFactory.connectedObserver(
                cfg.dcs(),
                cfg.cluster(),
                cfg.timing().ttlMs(),
                Math.max(5000, cfg.timing().ttlMs() * 2));
    }
}
