package io.pgha.testkit;

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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A DCS for component tests of the parts that only read it or hold a lease in it: it shows the
 * cluster view the test sets, reports the connection state the test sets, and answers lease
 * renewals as the test says (including never, like a client stuck on a dead server). The rest of
 * the interface, which agents need, is refused.
 */
public final class StubDcs implements Dcs {
    private volatile ClusterState state = ClusterState.empty();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile RouterStatus published;
    private volatile boolean connected = true;
    private volatile Renewal renewal = me -> true;

    /** What a lease renewal does: answer true or false, throw, or block. */
    @FunctionalInterface
    public interface Renewal {
        boolean renew(String me) throws DcsException, InterruptedException;
    }

    /** Shows {@code c} and tells every listener. */
    public void set(ClusterState c) {
        state = c;
        listeners.forEach(Runnable::run);
    }

    public void connected(boolean on) {
        connected = on;
    }

    public void renewal(Renewal r) {
        renewal = r;
    }

    @Override
    public boolean renewLeader(String me) throws DcsException {
        try {
            return renewal.renew(me);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DcsException("interrupted", e);
        }
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
    public Connection connection() {
        return connected ? Connection.CONNECTED : Connection.SUSPENDED;
    }

    @Override
    public boolean awaitConnected(long timeoutMs) {
        return connected;
    }

    @Override
    public String describe() {
        return "a stub DCS";
    }

    @Override
    public long sessionTimeoutMs() {
        return 10_000;
    }

    @Override
    public void close() {}

    private static UnsupportedOperationException agentsOnly() {
        return new UnsupportedOperationException("not offered by StubDcs");
    }

    @Override
    public boolean claimInitialize(String owner) {
        throw agentsOnly();
    }

    @Override
    public void completeInitialize(String value) {
        throw agentsOnly();
    }

    @Override
    public void abandonInitialize() {
        throw agentsOnly();
    }

    @Override
    public void publishMember(Member member) {
        throw agentsOnly();
    }

    @Override
    public boolean acquireLeader(String me) {
        throw agentsOnly();
    }

    @Override
    public boolean reclaimLeader(String me) {
        return false;
    }

    @Override
    public void releaseLeader(String me) {
        throw agentsOnly();
    }

    @Override
    public boolean writeSync(String me, SyncState s) {
        throw agentsOnly();
    }

    @Override
    public void publishLeaderOptime(Lsn lsn) {
        throw agentsOnly();
    }

    @Override
    public boolean publishSlots(String me, java.util.Map<String, Lsn> positions) {
        throw agentsOnly();
    }

    @Override
    public DynamicConfig updateConfig(UnaryOperator<DynamicConfig> change) {
        throw agentsOnly();
    }

    @Override
    public boolean requestFailover(FailoverRequest request) {
        throw agentsOnly();
    }

    @Override
    public void updateFailover(UnaryOperator<FailoverRequest> change) {
        throw agentsOnly();
    }

    @Override
    public void clearFailover() {
        throw agentsOnly();
    }

    @Override
    public void appendHistory(HistoryEntry entry) {
        throw agentsOnly();
    }
}
