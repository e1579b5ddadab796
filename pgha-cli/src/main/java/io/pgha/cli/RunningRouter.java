package io.pgha.cli;

import io.pgha.core.config.NodeConfig;
import io.pgha.dcs.ZooKeeperDcs;
import io.pgha.router.Router;
import io.pgha.router.RouterApi;

/** A router inside another pgha process (an agent whose config has a router section, the demo). */
final class RunningRouter implements AutoCloseable {
  private final ZooKeeperDcs dcs;
  private final Router router;
  private final RouterApi api;

  private RunningRouter(ZooKeeperDcs dcs, Router router, RouterApi api) {
    this.dcs = dcs;
    this.router = router;
    this.api = api;
  }

  /** Starts the router of {@code cfg.router()} with its own ZooKeeper session. */
  static RunningRouter start(NodeConfig cfg) throws Exception {
    ZooKeeperDcs dcs = ZooKeeperDcs.connect(cfg.dcs().connectString(), cfg.dcs().namespace(), cfg.cluster(), 10_000);
    Router router = new Router(cfg.cluster(), cfg.router(), dcs);
    try {
      router.start();
      RouterApi api = cfg.router().apiPort() > 0 ? new RouterApi(router, cfg.router().apiListen(), cfg.router().apiPort()) : null;
      return new RunningRouter(dcs, router, api);
    } catch (Exception | Error e) {
      router.close();
      dcs.close();
      throw e;
    }
  }

  Router router() {
    return router;
  }

  static String describe(Router r, int apiPort) {
    StringBuilder s = new StringBuilder("Router ").append(r.config().name()).append(": read-write ")
        .append(r.config().listen()).append(':').append(r.readWriteAddress().getPort());
    if (r.readOnlyAddress() != null) s.append(", read-only ").append(r.config().listen()).append(':').append(r.readOnlyAddress().getPort());
    if (apiPort > 0) s.append(", metrics http://").append(r.config().apiListen()).append(':').append(apiPort).append("/metrics");
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
