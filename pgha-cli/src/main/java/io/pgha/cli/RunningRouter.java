package io.pgha.cli;

import io.pgha.core.config.DcsConfig;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.config.RouterConfig;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsFactory;
import io.pgha.router.Router;
import io.pgha.router.RouterApi;

/** A router inside another pgha process (an agent whose config has a router section, the demo). */
final class RunningRouter implements AutoCloseable {
    private final Dcs dcs;
    private final Router router;
    private final RouterApi api;

    private RunningRouter(Dcs dcs, Router router, RouterApi api) {
        this.dcs = dcs;
        this.router = router;
        this.api = api;
    }

    /** Starts the router of a node config ({@code cfg.router()}) with its own ZooKeeper session. */
    static RunningRouter start(NodeConfig cfg) throws Exception {
        return start(cfg.cluster(), cfg.dcs(), cfg.router());
    }

    /**
     * Starts a router of {@code cluster} with its own ZooKeeper session, and its HTTP API when the
     * config has a port for it. Either everything runs or nothing is left behind.
     */
    static RunningRouter start(String cluster, DcsConfig dcsConfig, RouterConfig cfg) throws Exception {
        Dcs dcs = DcsFactory.observer(dcsConfig, cluster, 10_000);
        Router router = null;
        try {
            router = new Router(cluster, cfg, dcs); // refuses a transport this machine cannot run
            router.start();
            RouterApi api = cfg.apiPort() > 0 ? new RouterApi(router, cfg.apiListen(), cfg.apiPort()) : null;
            return new RunningRouter(dcs, router, api);
        } catch (Exception | Error e) {
            if (router != null) router.close();
            dcs.close();
            throw e;
        }
    }

    Router router() {
        return router;
    }

    /**
     * SIGHUP: the pooled listener takes the pool settings of {@code fresh} that apply without a restart and reads
     * its auth file again. Returns the settings that changed but need a restart (none without a pooled listener).
     */
    java.util.List<String> reloadPool(RouterConfig fresh) throws java.io.IOException {
        var pool = router.pool();
        if (pool == null || fresh == null || fresh.pool() == null) return java.util.List.of();
        return pool.reconfigure(fresh.pool());
    }

    static String describe(Router r, int apiPort) {
        StringBuilder s = new StringBuilder("Router ")
                .append(r.config().name())
                .append(": read-write ")
                .append(r.config().listen())
                .append(':')
                .append(r.readWriteAddress().getPort());
        if (r.readOnlyAddress() != null)
            s.append(", read-only ")
                    .append(r.config().listen())
                    .append(':')
                    .append(r.readOnlyAddress().getPort());
        if (apiPort > 0)
            s.append(", metrics http://")
                    .append(r.config().apiListen())
                    .append(':')
                    .append(apiPort)
                    .append("/metrics");
        return s.toString();
    }

    String describe() {
        return describe(router, api == null ? 0 : api.port());
    }

    @Override
    public void close() {
        if (api != null) api.close();
        router.close();
        dcs.close();
    }
}
