package io.pgha.agent;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.RouterStatus;
import io.pgha.core.model.SyncState;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * An in-memory DCS for {@link ClusterControl} tests: a fixed cluster whose failover request and
 * dynamic config can be written; every other call is refused.
 */
final class FailoverDcs implements Dcs {
  private volatile ClusterState state;
  private volatile FailoverRequest failover;
  private volatile DynamicConfig config;
  volatile boolean reachable = true;

  FailoverDcs(ClusterState state) {
    this.state = state;
    this.failover = state.failover();
    this.config = state.config();
  }

  FailoverRequest failover() {
    return failover;
  }

  @Override
  public ClusterState read() throws DcsException {
    check();
    ClusterState s = state;
    return new ClusterState(s.initialize(), s.leader(), s.members(), config, failover, s.leaderOptime(), s.history(), s.sync());
  }

  @Override
  public boolean requestFailover(FailoverRequest request) throws DcsException {
    check();
    if (failover != null) return false;
    failover = request;
    return true;
  }

  @Override
  public void clearFailover() throws DcsException {
    check();
    failover = null;
  }

  @Override
  public DynamicConfig updateConfig(UnaryOperator<DynamicConfig> change) throws DcsException {
    check();
    config = change.apply(config);
    return config;
  }

  private void check() throws DcsException {
    if (!reachable) throw new DcsException("ZooKeeper unreachable (test)");
  }

  private static UnsupportedOperationException no() {
    return new UnsupportedOperationException("not offered by FailoverDcs");
  }

  @Override public boolean claimInitialize(String owner) { throw no(); }
  @Override public void completeInitialize(String value) { throw no(); }
  @Override public void abandonInitialize() { throw no(); }
  @Override public void publishMember(Member member) { throw no(); }
  @Override public boolean acquireLeader(String me) { throw no(); }
  @Override public boolean renewLeader(String me) { throw no(); }
  @Override public boolean reclaimLeader(String me) { throw no(); }
  @Override public void releaseLeader(String me) { throw no(); }
  @Override public boolean writeSync(String me, SyncState s) { throw no(); }
  @Override public void publishLeaderOptime(Lsn lsn) { throw no(); }
  @Override public void updateFailover(UnaryOperator<FailoverRequest> change) { throw no(); }
  @Override public void appendHistory(HistoryEntry entry) { throw no(); }
  @Override public boolean connected() { return reachable; }
  @Override public long sessionTimeoutMs() { return 10_000; }
  @Override public void onChange(Runnable listener) {}
  @Override public void onAnyChange(Runnable listener) {}
  @Override public void publishRouter(RouterStatus status) { throw no(); }
  @Override public List<RouterStatus> routers() { return List.of(); }
  @Override public void close() {}
}
