package io.pgha.dcs;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.RouterStatus;
import io.pgha.core.model.SyncState;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The distributed configuration store of one cluster. Every implementation passes the same contract
 * test suite ({@code DcsContract}).
 *
 * <p>The leader key is a lease: it is held by one member's session and vanishes when that session
 * ends. Methods that can lose a race return false instead of throwing; {@link DcsException} means
 * the DCS could not be reached. Implementations are thread-safe.
 */
public interface Dcs extends AutoCloseable {

    /** One snapshot of everything the cluster keeps in the DCS. */
    ClusterState read() throws DcsException;

    /** Creates the initialize key naming {@code owner}; false when it exists already. */
    boolean claimInitialize(String owner) throws DcsException;

    /** Replaces the initialize key's value (the system identifier, once bootstrap succeeded). */
    void completeInitialize(String value) throws DcsException;

    /** Removes the initialize key so that another member may bootstrap (after a failed bootstrap). */
    void abandonInitialize() throws DcsException;

    /** Publishes this member's state; it disappears when this client's session ends. */
    void publishMember(Member member) throws DcsException;

    /** Takes the vacant leader key for {@code me}; false when somebody holds it. */
    boolean acquireLeader(String me) throws DcsException;

    /**
     * Takes the vacant leader key for {@code me} and writes {@code sync} as the synchronous record, in
     * one transaction where the DCS has them: a member about to promote records that from now on
     * only its own commits count in the same write that gives it the lease (one quorum write on a
     * failover's path instead of two). False, and nothing written, when somebody holds the key. This
     * default takes the key, then writes the record.
     *
     * @throws DcsException also when the key was taken but the record could not be written: the
     *     caller holds the lease and must not promote
     */
    default boolean acquireLeader(String me, io.pgha.core.model.SyncState sync) throws DcsException {
        if (!acquireLeader(me)) return false;
        if (!writeSync(me, sync))
            throw new DcsException("took the leader key but lost it before the synchronous record was written");
        return true;
    }

    /**
     * Confirms the leader key is still held by this client's session, through a quorum write. False
     * when it is not (session expired, key deleted); the caller must then stop acting as primary.
     */
    boolean renewLeader(String me) throws DcsException;

    /**
     * After this client's ZooKeeper session was replaced (a reconnection after the old one was given
     * up), takes the leader key into the new session: if it is vacant, or still names {@code me}
     * from an earlier session (then it is deleted first). False when another member holds it. Only to
     * be called while this member's lease is still valid, so that nobody else can have taken over.
     */
    boolean reclaimLeader(String me) throws DcsException;

    /** Deletes the leader key if this client holds it. */
    void releaseLeader(String me) throws DcsException;

    /**
     * When this client last saw the leader key go (deleted, or gone with its holder's session), in
     * {@link System#nanoTime()}; 0 when it has not, or cannot tell. For the log line of a promotion:
     * how much of a failover was the DCS's detection and how much this member's work after it.
     */
    default long leaderGoneNanos() {
        return 0L;
    }

    /**
     * The end of a switchover on the old primary: {@code change} applied to the pending failover
     * request (the stop position recorded) and the leader key released, as one transaction where the
     * DCS and this client's lease allow (one round trip after the read instead of three), otherwise
     * as {@link #updateFailover} followed by {@link #releaseLeader}. Either way no other member sees
     * the key released before the change is there.
     */
    default void handOver(String me, UnaryOperator<FailoverRequest> change) throws DcsException {
        updateFailover(change);
        releaseLeader(me);
    }

    /**
     * Replaces the synchronous record, atomically with a check that {@code me} still holds the leader
     * key through this client's session; false (and nothing written) when it does not.
     */
    boolean writeSync(String me, SyncState state) throws DcsException;

    /** Records the primary's current WAL position. */
    void publishLeaderOptime(Lsn lsn) throws DcsException;

    /**
     * Replaces the record of the permanent slots' positions with {@code positions}, written by
     * {@code me}, atomically with a check that {@code me} still holds the leader key through this
     * client's session; false (and nothing written) when it does not. Like the WAL position it does
     * not wake agents.
     */
    boolean publishSlots(String me, Map<String, Lsn> positions) throws DcsException;

    /** Atomically changes the dynamic config (compare-and-set, retried on a concurrent change). */
    DynamicConfig updateConfig(UnaryOperator<DynamicConfig> change) throws DcsException;

    /** Creates a failover request; false when one is pending already. */
    boolean requestFailover(FailoverRequest request) throws DcsException;

    /** Changes the pending failover request, if any (compare-and-set). */
    void updateFailover(UnaryOperator<FailoverRequest> change) throws DcsException;

    void clearFailover() throws DcsException;

    void appendHistory(HistoryEntry entry) throws DcsException;

    /** How a client stands with its DCS. */
    enum Connection {
        /** Connected with a usable session: calls are answered. */
        CONNECTED,
        /**
         * Not connected right now, but the session (and what it holds, such as the leader key) may still
         * be alive at the servers; calls wait or fail.
         */
        SUSPENDED,
        /** The session ended (expired or closed): everything it held is gone. A new one may follow. */
        LOST,
        /**
         * Connected, but the session is unusable for this client: a member whose session timeout or
         * lease TTL differs from {@code timing.ttl}, or refused credentials. Every call fails with the
         * reason.
         */
        REFUSED
    }

    /** How this client stands with its DCS right now. */
    Connection connection();

    /** Whether the client is connected right now (a call would not merely wait for a timeout). */
    default boolean connected() {
        return connection() == Connection.CONNECTED;
    }

    /** Waits until connected (or refused); false when {@code timeoutMs} passed first. */
    boolean awaitConnected(long timeoutMs) throws InterruptedException;

    /**
     * Waits up to {@code timeoutMs} for a session and throws when the DCS granted one this member
     * cannot use (a session timeout or lease TTL other than {@code timing.ttl}), naming both values and
     * what to change. A DCS that does not answer in time is no error here: the agent waits for it.
     */
    default void checkSession(long timeoutMs) throws DcsException, InterruptedException {
        awaitConnected(timeoutMs);
    }

    /** Which DCS this is and where, for messages: {@code ZooKeeper at host:2181,...}. */
    String describe();

    /** The session timeout the server granted; lease arithmetic must use this value. */
    long sessionTimeoutMs();

    /** Calls {@code listener} (on a DCS thread, quickly) whenever anything of the cluster changes. */
    void onChange(Runnable listener);

    /**
     * Like {@link #onChange}, but also for changes that do not wake agents (members republishing
     * their state, the primary's position): for observers such as routers that follow every role
     * change as it happens.
     */
    void onAnyChange(Runnable listener);

    /**
     * Where a member ends a lease whose holder stopped renewing it without waiting for the holder's
     * session to expire (ZooKeeper), it does so only while {@code allowed} says yes. The agent says
     * no while it has promised a primary in failsafe mode not to promote: that primary runs on the
     * members' confirmations, not on renewals, and must find its key when the DCS comes back. By
     * default nothing: a DCS whose leases end only on their own.
     */
    default void endUnrenewedLeasesWhile(java.util.function.BooleanSupplier allowed) {}

    /** Publishes a router's state; it disappears when this client's session ends. */
    void publishRouter(RouterStatus status) throws DcsException;

    /** The routers that follow this cluster, by name. */
    List<RouterStatus> routers() throws DcsException;

    @Override
    void close();
}
