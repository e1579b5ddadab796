package io.pgha.cli;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.config.ConfigException;
import io.pgha.core.config.NodeConfig;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsFactory;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How a CLI command finds the cluster: a node's config file or a client config ({@code -c}, or
 * {@code PGHA_CONFIG}). A client config holds only what reaching the cluster takes (see {@link
 * ClientConfig}), so that reading it needs neither a node's file nor its secrets; commands that
 * need a node's file say so.
 */
final class ClusterOptions {
    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "a node's config file, or a client config (cluster, dcs) (default: $PGHA_CONFIG)")
    Path config;

    /**
     * Where commands get their DCS in unit tests (an in-memory one, so that a command can be run
     * whole through {@link Main#run}); null, the default, means the config's DCS.
     */
    static volatile java.util.function.Function<ClientConfig, Dcs> testDcs;

    private Path file() {
        if (config != null) return config;
        String env = System.getenv("PGHA_CONFIG");
        if (env == null)
            throw new ConfigException(
                    "no config: pass -c FILE (a node's config file or a client config) or set PGHA_CONFIG");
        return Path.of(env);
    }

    /** The file as a client: a node's config or a client config. */
    ClientConfig client() {
        return ConfigLoader.loadClient(file());
    }

    /**
     * A node's config, for a command that needs one; a client config is refused with a message that
     * says why {@code command} needs a node's file ({@code why}).
     */
    NodeConfig node(String command, String why) {
        ClientConfig c = client();
        if (!c.isNodeConfig()) {
            throw new ConfigException(file() + " is a client config (it has no name and data_dir): pgha " + command
                    + " needs a node's config file, because it " + why);
        }
        return c.node();
    }

    /** Connects to the cluster's DCS, failing with a clear message when it cannot be reached. */
    Dcs connect(ClientConfig cfg) throws InterruptedException {
        var forTests = testDcs;
        if (forTests != null) return forTests.apply(cfg);
        return DcsFactory.connectedObserver(
                cfg.dcs(),
                cfg.cluster(),
                cfg.timing().ttlMs(),
                Math.max(5000, cfg.timing().ttlMs() * 2));
    }

    /**
     * Prints what this machine's agent answers for the read-only {@code command} ({@link LocalReads})
     * and returns true; false, having printed nothing, when there is no agent to ask (see {@link
     * LocalReads#ask}). The caller then reads the DCS itself, as it would without an agent.
     */
    boolean printedByLocalAgent(ClientConfig cfg, String command, boolean json) {
        if (testDcs != null) return false;
        String text = LocalReads.ask(cfg, command, json);
        if (text == null) return false;
        System.out.print(text);
        return true;
    }

    /** {@link #connect(ClientConfig)} with a node's config. */
    Dcs connect(NodeConfig cfg) throws InterruptedException {
        return connect(ClientConfig.of(cfg));
    }

    /** One read of the cluster, for commands that only look at it once. */
    io.pgha.core.model.ClusterState read(ClientConfig cfg) throws InterruptedException, io.pgha.dcs.DcsException {
        try (Dcs dcs = connect(cfg)) {
            return dcs.read();
        }
    }

    /**
     * The client of the agents' REST API for {@code command}; a client config without {@code
     * restapi} is refused with a message that names what to add.
     */
    static AgentClient agents(ClientConfig cfg, String command) {
        if (cfg.restapi() == null) {
            throw new ConfigException("restapi: pgha " + command + " calls the agents' REST API, and this client"
                    + " config has no restapi section: give restapi.authentication (the agents' user and password)"
                    + " and, when the agents speak https, restapi.cafile; or use a node's config file");
        }
        return new AgentClient(cfg.restapi());
    }
}
