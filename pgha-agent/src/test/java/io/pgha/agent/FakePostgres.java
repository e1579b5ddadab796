package io.pgha.agent;

import io.pgha.core.decide.LocalState;
import io.pgha.core.decide.SyncPlanner.Replica;
import io.pgha.core.model.ArchiveStatus;
import io.pgha.core.model.ControlState;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.postgres.ConfigFiles.Upstream;
import io.pgha.postgres.ControlData;
import io.pgha.postgres.PostgresControl;
import io.pgha.postgres.PostgresException;
import io.pgha.postgres.StopMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A PostgreSQL for component tests of the agent: a few fields that play a server's state (data,
 * running, recovery, timeline, position), and switches to make a stop fail. Every call is recorded.
 * Not a simulation of PostgreSQL: WAL positions move only when a test moves them.
 */
final class FakePostgres implements PostgresControl {
    boolean data = true;
    boolean running;
    boolean recovery;
    int timeline = 1;
    long position = 0x3000000;
    String following;
    boolean streaming;
    boolean cleanShutdown = true;
    /** Stops fail while true: the postmaster survives every signal. */
    boolean stopFails;
    /** Settings wait for a restart (read only while running). */
    boolean pendingRestart;

    String synchronousStandbyNames = "";
    final List<String> calls = new ArrayList<>();
    /** Runs inside {@link #initdb}, for a test to look at the world at that moment. */
    Runnable onInitdb = () -> {};

    static FakePostgres primary() {
        FakePostgres p = new FakePostgres();
        p.running = true;
        return p;
    }

    static FakePostgres standbyOf(String leader) {
        FakePostgres p = new FakePostgres();
        p.running = true;
        p.recovery = true;
        p.following = leader;
        p.streaming = true;
        return p;
    }

    /** The postmaster and every backend die at once, as in a power loss. */
    void crash() {
        running = false;
        cleanShutdown = false;
    }

    @Override
    public synchronized LocalState observe() {
        Lsn pos = new Lsn(position);
        if (!data) return LocalState.noData();
        if (!running) {
            ControlState state = recovery
                    ? ControlState.SHUT_DOWN_IN_RECOVERY
                    : cleanShutdown ? ControlState.SHUT_DOWN : ControlState.IN_PRODUCTION;
            return new LocalState(true, recovery, false, false, timeline, pos, pos, null, false, state, pos, false);
        }
        if (!recovery)
            return new LocalState(
                    true,
                    false,
                    true,
                    false,
                    timeline,
                    pos,
                    pos,
                    null,
                    false,
                    ControlState.IN_PRODUCTION,
                    Lsn.ZERO,
                    true);
        return new LocalState(
                true,
                true,
                true,
                true,
                timeline,
                pos,
                pos,
                following,
                streaming,
                ControlState.IN_ARCHIVE_RECOVERY,
                Lsn.ZERO,
                true);
    }

    @Override
    public ControlData controlData() {
        return new ControlData("7000", observe().controlState(), new Lsn(position), timeline, Lsn.ZERO);
    }

    @Override
    public ArchiveStatus archiveStatus() {
        return null;
    }

    @Override
    public synchronized boolean pendingRestart() {
        calls.add("pendingRestart");
        return running && pendingRestart;
    }

    @Override
    public List<Replica> replicas() {
        return List.of();
    }

    @Override
    public String synchronousStandbyNames() {
        return synchronousStandbyNames;
    }

    @Override
    public Lsn switchpoint(int tl) {
        return new Lsn(position);
    }

    @Override
    public void prepare() {}

    @Override
    public String checkArchiveCommand() {
        return null;
    }

    @Override
    public synchronized void initdb() {
        calls.add("initdb");
        onInitdb.run();
        data = true;
    }

    @Override
    public void createReplicationRole() {}

    @Override
    public synchronized void start(Upstream upstream, boolean standby) {
        calls.add("start " + (standby ? "standby of " + (upstream == null ? "nobody" : upstream.member()) : "primary"));
        running = true;
        recovery = standby;
        following = upstream == null ? null : upstream.member();
        streaming = upstream != null;
    }

    @Override
    public void restart(Upstream upstream, boolean standby) throws PostgresException {
        stop(StopMode.FAST);
        start(upstream, standby);
    }

    @Override
    public synchronized void stop(StopMode mode) throws PostgresException {
        calls.add("stop " + mode);
        if (stopFails) throw new PostgresException("kill failed: cannot fork");
        running = false;
        cleanShutdown = mode != StopMode.IMMEDIATE;
    }

    @Override
    public synchronized boolean stopImmediately() {
        calls.add("stopImmediately");
        if (stopFails) return false;
        if (running) cleanShutdown = false;
        running = false;
        return true;
    }

    @Override
    public synchronized void promote() {
        calls.add("promote");
        recovery = false;
        following = null;
        timeline++;
    }

    @Override
    public synchronized void follow(Upstream upstream) {
        calls.add("follow " + upstream.member());
        following = upstream.member();
    }

    @Override
    public void checkpoint() {}

    @Override
    public int awaitOpenTransactions(long timeoutMs) {
        return 0;
    }

    @Override
    public Path cloneDir() {
        return Path.of("/nonexistent/clone");
    }

    @Override
    public void installClone(Upstream source) {}

    @Override
    public synchronized void cloneFrom(Upstream source, Consumer<String> progress) {
        calls.add("clone from " + source.member());
        data = true;
        recovery = true;
    }

    @Override
    public void prepareRewindSource(Upstream source) {}

    @Override
    public synchronized void rewindFrom(Upstream source, Consumer<String> progress) {
        calls.add("rewind from " + source.member());
        recovery = true;
    }

    @Override
    public synchronized void removeData() {
        data = false;
    }

    @Override
    public void prepareSynchronousStandbyNames(String value) {
        synchronousStandbyNames = value;
    }

    @Override
    public Lsn setSynchronousStandbyNames(String value) {
        synchronousStandbyNames = value;
        return new Lsn(position);
    }

    @Override
    public void nudgeStandbys() {}

    /** No slots, and none can be made: slot upkeep is tested by SlotPlannerTest and SlotsIT. */
    @Override
    public io.pgha.postgres.SlotControl slots() {
        return new io.pgha.postgres.SlotControl() {
            @Override
            public List<io.pgha.core.decide.SlotPlanner.Slot> list() {
                return List.of();
            }

            @Override
            public void createPhysical(String name) {}

            @Override
            public void createLogical(String name, String database, String plugin) {}

            @Override
            public void drop(String name) {}

            @Override
            public void advance(String name, String database, Lsn to) {}

            @Override
            public void copyFrom(Upstream primary, String name) {}
        };
    }

    @Override
    public void seedHistory(List<HistoryEntry> history, int latest) {}

    @Override
    public void close() {}
}
