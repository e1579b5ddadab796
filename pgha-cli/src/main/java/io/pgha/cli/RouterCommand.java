package io.pgha.cli;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.RouterConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgha router --config router.yml}: runs a standalone router until SIGTERM or SIGINT. */
@Command(
        mixinStandardHelpOptions = true,
        name = "router",
        description = "Run a router: a PostgreSQL protocol proxy whose read-write port always reaches the primary.")
final class RouterCommand implements Callable<Integer> {
    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "router config: cluster, dcs.zookeeper.connect and a router section (see docs/router.md)")
    Path config;

    @Override
    public Integer call() throws Exception {
        RouterConfig.File f = ConfigLoader.loadRouter(config, System.getenv(), defaultName());
        System.setProperty("pgha.node", f.router().name());
        LogSetup.apply(f.log(), f.router().name());
        RunningRouter router = RunningRouter.start(f.cluster(), f.dcs(), f.router());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            router.close();
                            stopped.countDown();
                        },
                        "shutdown"));
        System.out.println(router.describe());
        stopped.await();
        return 0;
    }

    static String defaultName() {
        try {
            return "router-" + InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_-]", "-");
        } catch (Exception e) {
            return "router";
        }
    }
}
