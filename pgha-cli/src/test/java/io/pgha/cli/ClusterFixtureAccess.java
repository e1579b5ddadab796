package io.pgha.cli;

import java.io.IOException;
import java.nio.file.Path;

/** Package-private helpers of io.pgha.cli made available to the benchmarks. */
public final class ClusterFixtureAccess {
  private ClusterFixtureAccess() {}

  public static void wipe(Path dir) throws IOException {
    DemoCommand.wipe(dir);
  }
}
