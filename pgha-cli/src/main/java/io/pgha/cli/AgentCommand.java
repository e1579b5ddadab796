package io.pgha.cli;

import io.pgha.agent.Agent;
import io.pgha.agent.ConfigLoader;
import io.pgha.agent.ControlSocket;
import io.pgha.core.config.NodeConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgha agent --config node.yml}: runs one node until SIGTERM or SIGINT, which stop it
 * cleanly (PostgreSQL stopped, lease released) and end the process with status 0. SIGHUP reads the
 * config file again and applies what can change without a restart ({@link Agent#reload}); it never
 * stops the agent.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "agent",
        description = "Run the agent of one node (PostgreSQL supervision, election, failover).")
final class AgentCommand implements Callable<Integer> {
    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "the node's YAML config")
    Path config;

    /** Stops the router and the agent once; a second caller waits until the first has finished. */
    private static final class Stop {
        private final Agent agent;
        private final RunningRouter router;
        private final ControlSocket control;
        private boolean done;

        Stop(Agent agent, RunningRouter router, ControlSocket control) {
            this.agent = agent;
            this.router = router;
            this.control = control;
        }

        synchronized void run() {
            if (done) return;
            done = true;
            if (control != null) control.close();
            if (router != null) router.close();
            agent.close();
        }
    }

    /**
     * SIGHUP: the config file read again; a file that does not load changes nothing. The agent's router, when it
     * has a pooled listener, takes that listener's new settings and reads its auth file again, as a standalone
     * router does.
     */
    private void reload(Agent agent, RunningRouter router) {
        var log = org.slf4j.LoggerFactory.getLogger(AgentCommand.class);
        NodeConfig.Reload r;
        try {
            r = agent.reload(ConfigLoader.load(config));
            if (r.applied().contains("log"))
                LogSetup.apply(r.config().log(), r.config().name());
        } catch (RuntimeException e) {
            log.error("SIGHUP: {} (nothing changed; the agent goes on with its current config)", e.getMessage());
            return;
        }
        if (router == null) return;
        try {
            java.util.List<String> restart = router.reloadPool(r.config().router());
            if (!restart.isEmpty())
                log.warn(
                        "SIGHUP: these router settings changed and take effect at the next start: {}",
                        String.join(", ", restart));
        } catch (java.io.IOException | RuntimeException e) {
            log.error("SIGHUP: the router's pooled listener keeps its settings: {}", e.getMessage());
        }
    }

    /**
     * An agent without a router moves little data over Netty (its REST API, the ZooKeeper client and
     * the embedded peer): buffers allocated per read and freed after, instead of Netty's pooling
     * allocator, whose chunks (about 1 MB of heap and 0.8 MB of direct memory in an idle agent) stay
     * for good. Set before anything loads Netty's allocator; {@code -Dio.netty.allocator.type} wins.
     */
    static void unpooledBuffers() {
        if (System.getProperty("io.netty.allocator.type") == null)
            System.setProperty("io.netty.allocator.type", "unpooled");
    }

    @Override
    public Integer call() throws Exception {
        NodeConfig cfg = ConfigLoader.load(config);
        System.setProperty("pgha.node", cfg.name());
        if (cfg.router() == null) unpooledBuffers();
        io.pgha.http.Tls.defaultTrustOnFirstUse();
        LogSetup.apply(cfg.log(), cfg.name());
        Agent agent = new Agent(cfg);
        RunningRouter router = cfg.router() == null ? null : RunningRouter.start(cfg);
        if (router != null) System.out.println(router.describe());
        // Until the agent's DCS session is up, the socket answers with an error and the CLI reads the
        // DCS itself.
        ControlSocket control = cfg.controlSocket() == null
                ? null
                : ControlSocket.start(
                        Path.of(cfg.controlSocket()),
                        new ControlSocket.Identity(cfg.cluster(), cfg.name(), cfg.dataDir()),
                        LocalReads.handlers(agent));
        // close() waits for the loop to end; the hook must not wait for the main thread, which is
        // itself blocked in System.exit until every hook has finished.
        Stop stop = new Stop(agent, router, control);
        Runtime.getRuntime().addShutdownHook(new Thread(stop::run, "shutdown"));
        Signals.on("TERM", stop::run);
        Signals.on("INT", stop::run);
        Signals.on("HUP", () -> reload(agent, router));
        agent.run();
        stop.run(); // waits for a stop begun by a signal to finish before the process exits
        return 0;
    }
}
