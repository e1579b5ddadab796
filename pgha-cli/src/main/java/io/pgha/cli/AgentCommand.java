package io.pgha.cli;

import io.pgha.agent.Agent;
import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.NodeConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgha agent --config node.yml}: runs one node until SIGTERM or SIGINT. */
@Command(name = "agent", description = "Run the agent of one node (PostgreSQL supervision, election, failover).")
final class AgentCommand implements Callable<Integer> {
    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "the node's YAML config")
    Path config;

    @Override
    public Integer call() throws Exception {
        NodeConfig cfg = ConfigLoader.load(config);
        System.setProperty("pgha.node", cfg.name());
        LogSetup.apply(cfg.log(), cfg.name());
        Agent agent = new Agent(cfg);
        RunningRouter router = cfg.router() == null ? null : RunningRouter.start(cfg);
        if (router != null) System.out.println(router.describe());
        // close() waits for the loop to end; the hook must not wait for the main thread, which is
        // itself blocked in System.exit until every hook has finished.
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (router != null) router.close();
                            agent.close();
                        },
                        "shutdown"));
        agent.run();
        return 0;
    }
}
