package io.pgha.cli;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.RouterConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgha router --config router.yml}: runs a standalone router until SIGTERM or SIGINT, which
 * close it and end the process with status 0. SIGHUP reads the file again and applies its {@code
 * log:} section and the pooled listener's settings (and auth file); other changes are logged as
 * needing a restart, and the router goes on.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "router",
        description = {
            "Run a router: a PostgreSQL protocol proxy whose read-write port always reaches the primary.",
            "SIGTERM or SIGINT stop it (exit 0); SIGHUP reads the file again and applies its log section, and the",
            "pooled listener's settings and auth file (port, mode and auth_type need a restart)."
        })
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
        Runnable stop = Signals.once(() -> {
            router.close();
            stopped.countDown();
        });
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "shutdown"));
        Signals.on("TERM", stop);
        Signals.on("INT", stop);
        Signals.on("HUP", () -> reload(f, router));
        System.out.println(router.describe());
        stopped.await();
        return 0;
    }

    /**
     * SIGHUP: the log section of the file as it is now, and the pooled listener's settings that apply
     * without a restart (with its auth file read again); a file that does not load changes nothing.
     */
    private void reload(RouterConfig.File running, RunningRouter router) {
        var log = LoggerFactory.getLogger(RouterCommand.class);
        try {
            RouterConfig.File fresh = ConfigLoader.loadRouter(config, System.getenv(), defaultName());
            List<String> restart = new ArrayList<>();
            restart.addAll(router.reloadPool(fresh.router()));
            LogSetup.apply(fresh.log(), running.router().name());
            restart.addAll(needRestart(running, fresh));
            log.info(
                    "SIGHUP: {} read again, log and pool settings applied{}",
                    config,
                    restart.isEmpty()
                            ? ""
                            : "; changed, taking effect at the next start: " + String.join(", ", restart));
        } catch (RuntimeException | java.io.IOException e) {
            log.error("SIGHUP: {} (nothing changed; the router goes on with its current config)", e.getMessage());
        }
    }

    /** The sections of a router file, other than {@code log}, that differ: they apply only at a start. */
    static List<String> needRestart(RouterConfig.File running, RouterConfig.File fresh) {
        List<String> changed = new ArrayList<>();
        if (!running.cluster().equals(fresh.cluster())) changed.add("cluster");
        if (!running.dcs().equals(fresh.dcs())) changed.add("dcs");
        RouterConfig r = running.router();
        RouterConfig f = fresh.router();
        // the pooled listener takes its own changes (and names those that need a restart)
        if (r.pool() != null && f.pool() != null) r = r.withPool(f.pool());
        if (!r.equals(f)) changed.add("router");
        return changed;
    }

    static String defaultName() {
        try {
            return "router-" + InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_-]", "-");
        } catch (Exception e) {
            return "router";
        }
    }
}
