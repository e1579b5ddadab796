package io.pgha.router;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.RouterStatus;
import io.pgha.core.model.SyncState;
import io.pgha.dcs.Dcs;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/** A DCS that only shows a cluster view the test sets: enough for a router, nothing for an agent. */
final class FakeDcs implements Dcs {
  private volatile ClusterState state = ClusterState.empty();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  volatile RouterStatus published;

  void set(ClusterState c) {
    state = c;
    listeners.forEach(Runnable::run);
  }

  @Override
  public ClusterState read() {
    return state;
  }

  @Override
  public void onAnyChange(Runnable listener) {
    listeners.add(listener);
  }

  @Override
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  @Override
  public void publishRouter(RouterStatus status) {
    published = status;
  }

  @Override
  public List<RouterStatus> routers() {
    return published == null ? List.of() : List.of(published);
  }

  @Override
  public boolean connected() {
    return true;
  }

  @Override
  public long sessionTimeoutMs() {
    return 10_000;
  }

  @Override
  public void close() {}

  private static UnsupportedOperationException agentsOnly() {
    return new UnsupportedOperationException("not used by a router");
  }

  @Override public boolean claimInitialize(String owner) { throw agentsOnly(); }
  @Override public void completeInitialize(String value) { throw agentsOnly(); }
  @Override public void abandonInitialize() { throw agentsOnly(); }
  @Override public void publishMember(Member member) { throw agentsOnly(); }
  @Override public boolean acquireLeader(String me) { throw agentsOnly(); }
  @Override public boolean renewLeader(String me) { throw agentsOnly(); }
  @Override public boolean reclaimLeader(String me) { throw agentsOnly(); }
  @Override public void releaseLeader(String me) { throw agentsOnly(); }
  @Override public boolean writeSync(String me, SyncState s) { throw agentsOnly(); }
  @Override public void publishLeaderOptime(Lsn lsn) { throw agentsOnly(); }
  @Override public DynamicConfig updateConfig(UnaryOperator<DynamicConfig> change) { throw agentsOnly(); }
  @Override public boolean requestFailover(FailoverRequest request) { throw agentsOnly(); }
  @Override public void updateFailover(UnaryOperator<FailoverRequest> change) { throw agentsOnly(); }
  @Override public void clearFailover() { throw agentsOnly(); }
  @Override public void appendHistory(HistoryEntry entry) { throw agentsOnly(); }
}
