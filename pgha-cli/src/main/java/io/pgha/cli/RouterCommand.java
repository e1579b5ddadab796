package io.pgha.cli;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.RouterConfig;
import io.pgha.dcs.ZooKeeperDcs;
import io.pgha.router.Router;
import io.pgha.router.RouterApi;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgha router --config router.yml}: runs a standalone router until SIGTERM or SIGINT. */
@Command(name = "router", description = "Run a router: a PostgreSQL protocol proxy whose read-write port always reaches the primary.")
final class RouterCommand implements Callable<Integer> {
  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
      description = "router config: cluster, dcs.zookeeper.connect and a router section (see docs/router.md)")
  Path config;

  @Override
  public Integer call() throws Exception {
    RouterConfig.File f = ConfigLoader.loadRouter(config, System.getenv(), defaultName());
    System.setProperty("pgha.node", f.router().name());
    ZooKeeperDcs dcs = ZooKeeperDcs.connect(f.dcs().connectString(), f.dcs().namespace(), f.cluster(), 10_000);
    CountDownLatch stopped = new CountDownLatch(1);
    Router router = new Router(f.cluster(), f.router(), dcs);
    RouterApi api = null;
    try {
      router.start();
      if (f.router().apiPort() > 0) api = new RouterApi(router, f.router().apiListen(), f.router().apiPort());
    } catch (RuntimeException e) {
      router.close();
      dcs.close();
      throw e;
    }
    RouterApi httpApi = api;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (httpApi != null) httpApi.close();
      router.close();
      dcs.close();
      stopped.countDown();
    }, "shutdown"));
    System.out.println(RunningRouter.describe(router, api == null ? 0 : api.port()));
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
