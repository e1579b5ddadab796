package io.pgha.dcs;

import com.fasterxml.jackson.core.type.TypeReference;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.Status;
import io.pgha.core.config.DcsConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.RouterStatus;
import io.pgha.core.model.SlotPositions;
import io.pgha.core.model.SyncState;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Dcs} on etcd v3 through jetcd. Same layout and values as {@link ZooKeeperDcs}, as keys under
 * {@code <namespace>/<cluster>/}: {@code initialize}, {@code leader}, {@code members/<name>}, {@code
 * config}, {@code failover}, {@code optime}, {@code history}, {@code sync}, {@code slots}, {@code
 * routers/<name>}.
 *
 * <p>Session: every client grants itself a lease when it starts and puts its ephemeral entries
 * ({@code leader}, {@code members/*}, {@code routers/*}) with it, so that they vanish when the lease
 * expires or is revoked, as ZooKeeper's ephemeral nodes do with their session. A background task
 * keeps the lease alive with one keepalive every third of its TTL; what those keepalives answer is
 * the {@link #connection()}: {@code CONNECTED} while they succeed, {@code SUSPENDED} while no
 * server answers (the lease may still live), {@code LOST} when a server says the lease is gone,
 * after which a new lease is granted at once (a new session: what the old one held is gone). LOST
 * is never guessed from the clock: etcd extends every lease when a new leader is elected (a
 * restarted single server included), so a lease can outlive an outage longer than its TTL; only the
 * server's answer tells.
 *
 * <p>The leader lease: {@code leader} is created in a transaction that checks it is absent, with
 * this client's lease. {@link #renewLeader} proves, after it was called, that a quorum still saw
 * that lease alive and the key unchanged: a keepalive of the lease of its own (never one of the
 * background ones, which may have been answered before the call) and then a linearizable
 * transaction comparing the key's revisions and value with those of the put. The agent counts the
 * lease from the moment it called {@code renewLeader}, so this is the only renewal it sees.
 *
 * <p>TTL: etcd lease TTLs are whole seconds, and a server raises a TTL below its minimum (1.5
 * election timeouts, rounded up). A member ({@link #connectMember}) uses a lease only when it was
 * granted exactly {@code timing.ttl}; otherwise the client is {@link Dcs.Connection#REFUSED} and
 * every call says which two values differ and what to change, for the same reason as {@link
 * ZooKeeperDcs#connectMember}. Observers ({@link #connect}) take any TTL.
 *
 * <p>Every call waits at most half the session timeout (at least 500 ms) for an answer; a server
 * that does not answer is a {@link DcsException}, never an empty cluster. Calls that change nothing
 * (reads, keepalives, the renewal's check) send another attempt beside one that found no server or
 * got no answer in a sixth of that time, so that one member that stopped answering costs an
 * attempt, not the call; no answer for two thirds of that time, or two errors in a row, make the
 * connection SUSPENDED ({@link #repeated}). gRPC's reconnect backoff is cut short then ({@link ConnectBackoff}), so that members
 * that came back are used at once.
 */
public final class EtcdDcs implements Dcs {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdDcs.class);
    private static final TypeReference<List<HistoryEntry>> HISTORY = new TypeReference<>() {};
    /** The shortest lease an observer asks for; etcd's own minimum with default timings is 2 s. */
    private static final long OBSERVER_MIN_TTL_SECONDS = 2;
    /** How often a client whose credentials were refused tries them again. */
    private static final long REFUSED_RETRY_MS = 10_000;
    /** The shortest wait for one attempt of a call that may be sent again. */
    private static final long MIN_ATTEMPT_MS = 100;
    /** The pause between two attempts of a call that may be sent again. */
    private static final long RETRY_PAUSE_MS = 20;

    /** A lease granted to this client: its id and the TTL the server granted. */
    private record Session(long lease, long ttlMs) {}

    /** Our own leader key: the lease it was put with and its create and mod revisions then. */
    private record LeaderKey(long lease, long createRevision, long modRevision) {}

    private final Client client;
    private final KV kv;
    private final Lease leases;
    private final String root;
    private final String endpoints;
    private final ClusterDecoder decoder;
    private final boolean exactTtl;
    private final long requestedTtlMs;
    private final long callTimeoutMs;
    /** How long one attempt of a call that may be sent again waits for its answer ({@link #repeated}). */
    private final long attemptMs;
    /** How long a call that may be sent again goes without an answer before the connection is SUSPENDED. */
    private final long suspendAfterMs;

    private final ConnectBackoff backoff;
    private final boolean authenticated;
    /** The user of {@code dcs.auth}, for messages; null without authentication. */
    private final String user;

    private final ScheduledExecutorService timer;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> allListeners = new CopyOnWriteArrayList<>();

    private final Object sessionLock = new Object();
    private volatile Session session;
    /** Why this client's lease is unusable (TTL not as asked, credentials refused); null when usable. */
    private volatile String refusal;
    /** Whether {@link #refusal} is the TTL's, which no later attempt changes. */
    private volatile boolean ttlRefused;
    /** Why the last attempt to grant a lease failed; null after one succeeded. */
    private volatile DcsException grantFailure;

    private final Object stateLock = new Object();
    private volatile Connection state = Connection.SUSPENDED;

    private final Object leaderLock = new Object();
    private LeaderKey leader;

    private volatile Watch.Watcher watcher;
    private volatile boolean closed;

    private EtcdDcs(DcsConfig dcs, String cluster, long requestedTtlMs, boolean exactTtl, long callTimeoutMs) {
        String ns = dcs.namespace().equals("/") ? "" : dcs.namespace();
        this.root = ns + "/" + cluster;
        this.endpoints = String.join(",", dcs.etcd().endpoints());
        this.decoder = new ClusterDecoder(root);
        this.exactTtl = exactTtl;
        this.requestedTtlMs = requestedTtlMs;
        this.callTimeoutMs = callTimeoutMs;
        this.authenticated = dcs.auth() != null;
        this.user = dcs.auth() == null ? null : dcs.auth().username();
        this.attemptMs = Math.max(MIN_ATTEMPT_MS, callTimeoutMs / 6);
        this.suspendAfterMs = callTimeoutMs * 2 / 3;
        this.client = client(dcs, callTimeoutMs);
        this.backoff = new ConnectBackoff(client);
        this.kv = client.getKVClient();
        this.leases = client.getLeaseClient();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pgha-etcd-session");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A client for a member that may hold the leader lease: its lease must be granted with a TTL of
     * exactly {@code ttlMs} (a whole number of seconds), or the client is refused.
     */
    public static EtcdDcs connectMember(DcsConfig dcs, String cluster, long ttlMs) {
        EtcdDcs d = new EtcdDcs(dcs, cluster, ttlMs, true, Math.max(500, ttlMs / 2));
        if (ttlMs % 1000 != 0 || ttlMs < 1000) {
            long below = ttlMs / 1000 * 1000;
            d.refuse(
                    "timing.ttl is " + ttlMs + " ms but etcd grants leases in whole seconds: set timing.ttl to "
                            + (below == 0 ? "" : below + " or ") + (below + 1000) + " ms"
                            + (below == 0 ? " or more" : ""),
                    true);
        }
        d.start();
        return d;
    }

    /**
     * A client that holds no leader lease (CLI, router): it takes whatever lease TTL the server
     * grants; calls fail after about {@code timeoutMs / 2} when no server answers.
     */
    public static EtcdDcs connect(DcsConfig dcs, String cluster, long timeoutMs) {
        long seconds = Math.max(OBSERVER_MIN_TTL_SECONDS, (timeoutMs + 999) / 1000);
        EtcdDcs d = new EtcdDcs(dcs, cluster, seconds * 1000, false, Math.max(500, timeoutMs / 2));
        d.start();
        return d;
    }

    /**
     * The jetcd client: calls fail at once when no server can be reached (rather than waiting for
     * one, which only this class's own time limits would end), few and short retries of its own.
     */
    private static Client client(DcsConfig dcs, long callTimeoutMs) {
        String scheme = dcs.tls() == null ? "http://" : "https://";
        List<URI> uris = new ArrayList<>();
        for (String e : dcs.etcd().endpoints()) uris.add(URI.create(scheme + e.trim()));
        ClientBuilder b = Client.builder()
                .endpoints(uris)
                .waitForReady(false)
                .connectTimeout(Duration.ofMillis(callTimeoutMs))
                .retryDelay(50)
                .retryMaxDelay(200)
                .retryMaxAttempts(2)
                .retryMaxDuration(Duration.ofMillis(callTimeoutMs));
        if (dcs.auth() != null) {
            b.user(bytes(dcs.auth().username())).password(bytes(dcs.auth().password()));
        }
        if (dcs.tls() != null) b.sslContext(DcsTls.grpcClientContext(dcs.tls()));
        return b.build();
    }

    private void start() {
        timer.execute(this::tick);
    }

    // ---------------------------------------------------------------- session

    /**
     * The background task: a lease when there is none, else one keepalive; the watch when it ended.
     * Runs again after a third of the lease's TTL.
     */
    private void tick() {
        if (closed) return;
        try {
            Session s = session;
            if (s == null) {
                if (!ttlRefused) grant();
            } else {
                keepAlive(s);
            }
            if (session != null) ensureWatch();
        } catch (RuntimeException e) {
            LOG.warn("etcd session task failed", e);
        } finally {
            if (!closed) {
                Session s = session;
                // refused credentials are tried again rarely: each try costs the server a password hash
                long delay = s != null
                        ? Math.max(100, s.ttlMs() / 3)
                        : refusal != null ? REFUSED_RETRY_MS : Math.min(500, callTimeoutMs);
                try {
                    var unused = timer.schedule(this::tick, delay, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // closed meanwhile
                }
            }
        }
    }

    /** One keepalive of the background task: its answer is the connection state. */
    private void keepAlive(Session s) {
        try {
            callRead("keep the lease alive", () -> leases.keepAliveOnce(s.lease()));
            setState(Connection.CONNECTED);
        } catch (DcsException e) {
            if (leaseGone(e)) {
                sessionLost(s);
                grant();
            } else {
                if (state == Connection.CONNECTED) LOG.warn("{}", e.getMessage());
                setState(Connection.SUSPENDED);
            }
        }
    }

    /**
     * Grants a new lease when there is none; null when no server granted one (the reason is logged
     * once, or makes this client refused: a TTL other than asked, refused credentials).
     */
    private Session grant() {
        synchronized (sessionLock) {
            if (session != null || closed) return session;
            long askSeconds = requestedTtlMs / 1000;
            long ttlSeconds;
            long lease;
            try {
                // once: a grant sent again after an answer was lost would grant a second lease
                var granted = once("grant a lease", false, callTimeoutMs, () -> leases.grant(askSeconds));
                ttlSeconds = granted.getTTL();
                lease = granted.getID();
                if (watchFrom == 0) watchFrom = granted.getHeader().getRevision() + 1;
            } catch (DcsException e) {
                grantFailure = e;
                if (refusedCredentials(e.getCause())) {
                    refuse(e.getMessage(), false);
                } else if (state != Connection.SUSPENDED) {
                    setState(Connection.SUSPENDED);
                } else {
                    LOG.debug("{}", e.getMessage());
                }
                return null;
            }
            if (exactTtl && ttlSeconds != askSeconds) {
                refuse(mismatch(ttlSeconds * 1000), true);
                revokeQuietly(lease);
                return null;
            }
            session = new Session(lease, ttlSeconds * 1000);
            refusal = null;
            grantFailure = null;
            LOG.debug("etcd lease {} granted with a TTL of {} s", Long.toHexString(lease), ttlSeconds);
            setState(Connection.CONNECTED);
            return session;
        }
    }

    private String mismatch(long grantedMs) {
        String fix = grantedMs > requestedTtlMs
                ? "raise timing.ttl to " + grantedMs
                        + " ms or more, or lower etcd's minimum lease TTL (1.5 x its --election-timeout, rounded up"
                        + " to whole seconds) to at most " + requestedTtlMs / 1000 + " s"
                : "lower timing.ttl to " + grantedMs + " ms or less";
        return "etcd granted a lease TTL of " + grantedMs / 1000 + " s but timing.ttl is " + requestedTtlMs
                + " ms: the leader key would " + (grantedMs > requestedTtlMs ? "outlive" : "expire before")
                + " the lease, failsafe and watchdog timings computed from timing.ttl; " + fix;
    }

    /** Marks this client unusable; a TTL refusal is final, refused credentials are tried again. */
    private void refuse(String why, boolean ttl) {
        boolean first = refusal == null;
        refusal = why;
        if (ttl) ttlRefused = true;
        if (first) LOG.error("{}", why);
        setState(Connection.REFUSED);
    }

    /**
     * The lease {@code s} is gone at the servers (expired or revoked): what it held is gone, and so is
     * the leader key this client remembered. The connection is LOST until a new lease is granted.
     */
    private void sessionLost(Session s) {
        synchronized (sessionLock) {
            if (!s.equals(session)) return;
            session = null;
        }
        synchronized (leaderLock) {
            if (leader != null && leader.lease() == s.lease()) leader = null;
        }
        LOG.warn(
                "etcd lease {} ended (expired or revoked): its leader key, member and router entries are gone",
                Long.toHexString(s.lease()));
        setState(Connection.LOST);
    }

    /** The current lease, granting one now if there is none; DcsException when none can be had. */
    private Session session(String what) throws DcsException {
        usable();
        Session s = session;
        if (s != null) return s;
        s = grant();
        usable();
        if (s == null) {
            DcsException why = grantFailure;
            throw new DcsException(
                    "cannot " + what + ": no lease (" + (why != null ? why.getMessage() : "etcd granted none") + ")",
                    why);
        }
        return s;
    }

    /**
     * Runs {@code op} with the current lease; when the server says that lease is gone, replaces it
     * and runs {@code op} once more with the new one.
     */
    private <T> T withLease(String what, LeaseOp<T> op) throws DcsException {
        Session s = session(what);
        try {
            return op.run(s);
        } catch (DcsException e) {
            if (!leaseGone(e)) throw e;
            sessionLost(s);
            return op.run(session(what));
        }
    }

    private interface LeaseOp<T> {
        T run(Session s) throws DcsException;
    }

    /** Whether a call failed because the server does not know the lease (expired or revoked). */
    private static boolean leaseGone(DcsException e) {
        return e.getCause() != null && messages(e.getCause()).contains("requested lease not found");
    }

    /** A new lease soon, on the session thread (a caller that must not wait for it). */
    private void grantLater() {
        try {
            timer.execute(() -> {
                if (grant() == null) LOG.debug("no new etcd lease yet");
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    private void revokeQuietly(long lease) {
        try {
            callRead("revoke the lease", () -> leases.revoke(lease));
        } catch (DcsException e) {
            LOG.debug("{}", e.getMessage());
        }
    }

    /** Moves the connection from {@code expected} to {@code next}; false when it was in another state. */
    private boolean compareAndSetState(Connection expected, Connection next) {
        synchronized (stateLock) {
            if (state != expected || expected == next) return false;
            state = next;
            stateLock.notifyAll();
        }
        stateChanged(expected, next);
        return true;
    }

    private void setState(Connection next) {
        Connection before;
        synchronized (stateLock) {
            before = state;
            if (before == next) return;
            state = next;
            stateLock.notifyAll();
        }
        stateChanged(before, next);
    }

    /** Logs a change of the connection state and wakes the listeners. */
    private void stateChanged(Connection before, Connection next) {
        if (next == Connection.SUSPENDED || next == Connection.LOST) {
            LOG.warn("etcd connection {} (was {})", next, before);
        } else {
            LOG.info("etcd connection {}", next);
        }
        fire();
    }

    @Override
    public Connection connection() {
        return refusal != null ? Connection.REFUSED : state;
    }

    @Override
    public boolean awaitConnected(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (stateLock) {
            while (connection() != Connection.CONNECTED && connection() != Connection.REFUSED) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) return false;
                stateLock.wait(Math.min(left, 100));
            }
            return true;
        }
    }

    /**
     * Waits up to {@code timeoutMs} for a lease and throws the refusal when it cannot be used (a TTL
     * other than asked, refused credentials). A server that does not answer in time is no error.
     */
    @Override
    public void checkSession(long timeoutMs) throws DcsException, InterruptedException {
        if (awaitConnected(timeoutMs)) usable();
    }

    private void usable() throws DcsException {
        if (closed) throw new DcsException("this etcd client (" + endpoints + ") was closed");
        String why = refusal;
        if (why != null) throw new DcsException(why);
    }

    @Override
    public long sessionTimeoutMs() {
        Session s = session;
        return s != null ? s.ttlMs() : requestedTtlMs;
    }

    /** This client's current lease, 0 while it has none (tests revoke it behind its back). */
    long leaseId() {
        Session s = session;
        return s == null ? 0 : s.lease();
    }

    @Override
    public String describe() {
        return "etcd at " + endpoints;
    }

    @Override
    public String toString() {
        return "EtcdDcs[" + endpoints + ", " + root + ", auth=" + authenticated + "]";
    }

    // ---------------------------------------------------------------- watch

    /**
     * The revision the first watch starts from: the one after the first lease was granted. The
     * watch registers asynchronously, after this client already says it is connected; starting from
     * a revision, it still delivers what was written in between (a member that joined at once would
     * otherwise wake nobody).
     */
    private volatile long watchFrom;

    /** See {@link #leaderGoneNanos()}: set by the watch when the leader key is deleted or its lease ends. */
    private volatile long leaderGoneNanos;

    @Override
    public long leaderGoneNanos() {
        return leaderGoneNanos;
    }

    /** Watches the cluster's prefix; again after jetcd gave a watch up (compaction, lost leader, auth). */
    private void ensureWatch() {
        Watch.Watcher w = watcher;
        if (w != null && !w.isClosed()) return;
        WatchOption.Builder option = WatchOption.builder().isPrefix(true).withPrevKV(true);
        if (w == null && watchFrom > 0) option.withRevision(watchFrom);
        watcher = client.getWatchClient()
                .watch(
                        bytes(root + "/"),
                        option.build(),
                        Watch.listener(this::changed, e -> LOG.debug("etcd watch: {}", e.toString())));
        if (w != null) {
            // events may have been missed meanwhile: everybody reads again
            LOG.info("etcd watch of {} re-established", root);
            for (Runnable r : allListeners) r.run();
            fire();
        }
    }

    private void changed(WatchResponse response) {
        for (WatchEvent event : response.getEvents()) {
            for (Runnable r : allListeners) r.run();
            KeyValue kv = event.getKeyValue();
            boolean dataOnly =
                    event.getEventType() == WatchEvent.EventType.PUT && kv.getCreateRevision() != kv.getModRevision();
            String key = kv.getKey().toString(StandardCharsets.UTF_8);
            KeyValue prev = event.getPrevKV();
            if (event.getEventType() == WatchEvent.EventType.DELETE && key.equals(path("leader")))
                leaderGoneNanos = System.nanoTime();
            if (relevant(dataOnly, key)
                    || (dataOnly
                            && key.startsWith(path("members/"))
                            && MemberChange.wakesAgents(
                                    prev == null ? null : prev.getValue().getBytes(),
                                    kv.getValue().getBytes()))) fire();
        }
    }

    /**
     * Whether a change should wake agents: as {@link ZooKeeperDcs#relevant}, members republishing
     * their record and the primary its position or slots (an update of an existing key) do not, nor
     * do routers; members joining or leaving and every other key do.
     */
    boolean relevant(boolean dataOnly, String key) {
        if (key.startsWith(path("routers/"))) return false;
        return !(dataOnly
                && (key.startsWith(path("members/")) || key.equals(path("optime")) || key.equals(path("slots"))));
    }

    private void fire() {
        for (Runnable r : listeners) r.run();
    }

    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    @Override
    public void onAnyChange(Runnable listener) {
        allListeners.add(listener);
    }

    // ---------------------------------------------------------------- calls

    private String path(String name) {
        return root + "/" + name;
    }

    private ByteSequence key(String name) {
        return bytes(path(name));
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static ByteSequence bytes(byte[] b) {
        return ByteSequence.from(b);
    }

    /**
     * Waits for one jetcd call, at most {@link #callTimeoutMs}; a call that does not finish in time
     * is cancelled. Every failure is a DcsException "cannot {@code what}: etcd ..." whose cause is
     * jetcd's exception.
     */
    private <T> T call(String what, Supplier<CompletableFuture<T>> call) throws DcsException {
        return call(what, true, call);
    }

    /**
     * {@link #call} for a call that changes nothing in the cluster: its refusal is worded as one to
     * read, and, as it can be sent again, it is ({@link #repeated}).
     */
    private <T> T callRead(String what, Supplier<CompletableFuture<T>> call) throws DcsException {
        return repeated(what, false, false, deadline(), call);
    }

    private <T> T call(String what, boolean write, Supplier<CompletableFuture<T>> call) throws DcsException {
        return once(what, write, callTimeoutMs, call);
    }

    /** The deadline of a call that starts now: {@link #callTimeoutMs} from now, on the nano clock. */
    private long deadline() {
        return System.nanoTime() + callTimeoutMs * 1_000_000;
    }

    /**
     * A call that may be sent more than once (it changes nothing, or changes it the same way every
     * time), until {@code deadlineNanos}. An attempt that got no answer within {@link #attemptMs} is
     * left running and another one is sent beside it (after gRPC's reconnect backoff was cut short,
     * {@link ConnectBackoff}); the first answer wins. The channel spreads calls over the members
     * round robin, so a member that stopped answering without closing its connection (power lost,
     * network cut) costs one attempt, not the whole call, a member that came back is used at once,
     * and a slow etcd still answers within the whole time. An attempt that failed for want of a
     * server is sent again at once.
     *
     * <p>The connection is SUSPENDED at once when two attempts in a row failed for want of a server,
     * or when no answer came for {@link #suspendAfterMs} (two thirds of the call's time; a renewal
     * sent to one silent member, and again to a second one, costs only two attempts). A call that is
     * not {@code persist} then gives up after two such errors (no server can be reached: a member
     * asked to confirm a primary in failsafe mode answers within the primary's short time limit); a
     * lease renewal goes on trying until its deadline.
     */
    private <T> T repeated(
            String what, boolean write, boolean persist, long deadlineNanos, Supplier<CompletableFuture<T>> call)
            throws DcsException {
        List<CompletableFuture<T>> pending = new ArrayList<>();
        long start = System.nanoTime();
        int attempts = 0;
        int errorsInARow = 0;
        DcsException last = null;
        try {
            while (true) {
                long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
                if (leftMs <= 0) {
                    if (last == null || last.getCause() instanceof TimeoutException) {
                        throw unanswered(
                                what,
                                callTimeoutMs + " ms (" + attempts + " attempts)",
                                last == null ? null : last.getCause());
                    }
                    throw last;
                }
                try {
                    pending.add(call.get());
                } catch (RuntimeException e) {
                    throw failure(what, e, write);
                }
                attempts++;
                long attemptEnd = System.nanoTime() + Math.min(leftMs, attemptMs) * 1_000_000;
                DcsException failed = null;
                // wait for the first answer of any attempt still running, until this attempt's time is up
                while (failed == null) {
                    long waitMs = Math.max(1, (attemptEnd - System.nanoTime()) / 1_000_000);
                    try {
                        CompletableFuture.anyOf(pending.toArray(CompletableFuture[]::new))
                                .get(waitMs, TimeUnit.MILLISECONDS);
                    } catch (TimeoutException e) {
                        failed = unanswered(what, attemptMs + " ms", e);
                        break;
                    } catch (ExecutionException e) {
                        // one attempt failed: looked at below
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new DcsException("cannot " + what + ": interrupted", e);
                    }
                    for (var it = pending.iterator(); it.hasNext(); ) {
                        CompletableFuture<T> f = it.next();
                        if (!f.isDone()) continue;
                        try {
                            return f.getNow(null);
                        } catch (java.util.concurrent.CompletionException
                                | java.util.concurrent.CancellationException e) {
                            it.remove();
                            Throwable cause = e.getCause() == null ? e : e.getCause();
                            DcsException fe = failure(what, cause, write);
                            if (!transientFailure(fe)) throw fe;
                            if (failed == null) failed = fe;
                        }
                    }
                    if (failed == null && System.nanoTime() - attemptEnd >= 0) {
                        failed = unanswered(what, attemptMs + " ms", new TimeoutException());
                    }
                }
                last = failed;
                errorsInARow = failed.getCause() instanceof TimeoutException ? 0 : errorsInARow + 1;
                if (errorsInARow >= 2 || System.nanoTime() - start >= suspendAfterMs * 1_000_000) {
                    // SUSPENDED now, not when the call gives up: a primary in failsafe mode asks its
                    // members as soon as it is, while its renewal may still be trying
                    if (compareAndSetState(Connection.CONNECTED, Connection.SUSPENDED)) {
                        LOG.warn("{} (attempt {})", failed.getMessage(), attempts);
                    }
                    if (!persist && errorsInARow >= 2) throw failed;
                }
                backoff.reset();
                if (errorsInARow > 0) {
                    try {
                        Thread.sleep(
                                Math.max(0, Math.min(RETRY_PAUSE_MS, (deadlineNanos - System.nanoTime()) / 1_000_000)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new DcsException("cannot " + what + ": interrupted", e);
                    }
                }
            }
        } finally {
            for (CompletableFuture<T> f : pending) f.cancel(true);
        }
    }

    /** "cannot {@code what}: etcd at ... did not answer within {@code within}". */
    private DcsException unanswered(String what, String within, Throwable cause) {
        return new DcsException(
                "cannot " + what + ": etcd at " + endpoints + " did not answer within " + within, cause);
    }

    /** Whether a call failed for want of a server that answers in time, which another attempt may find. */
    private static boolean transientFailure(DcsException e) {
        Throwable t = e.getCause();
        if (t == null) return false;
        if (t instanceof TimeoutException) return true;
        if (leaseGone(e) || refusedCredentials(t)) return false;
        Status.Code code = Status.fromThrowable(t).getCode();
        String all = messages(t);
        return code == Status.Code.UNAVAILABLE
                || code == Status.Code.DEADLINE_EXCEEDED
                || all.contains("UNAVAILABLE")
                || all.contains("channel closed")
                || all.contains("ClosedChannelException");
    }

    /** One attempt of a call, waiting at most {@code timeoutMs}. */
    private <T> T once(String what, boolean write, long timeoutMs, Supplier<CompletableFuture<T>> call)
            throws DcsException {
        CompletableFuture<T> f;
        try {
            f = call.get();
        } catch (RuntimeException e) {
            throw failure(what, e, write);
        }
        try {
            return f.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw unanswered(what, timeoutMs + " ms", e);
        } catch (ExecutionException e) {
            DcsException failed = failure(what, e.getCause() == null ? e : e.getCause(), write);
            if (transientFailure(failed)) backoff.reset(); // the next call, whatever it is, finds a server
            throw failed;
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new DcsException("cannot " + what + ": interrupted", e);
        } catch (java.util.concurrent.CancellationException e) {
            throw new DcsException("cannot " + what + ": the call was cancelled (client closed)", e);
        }
    }

    private DcsException failure(String what, Throwable t, boolean write) {
        return new DcsException("cannot " + what + ": etcd " + reason(t, write), t);
    }

    /**
     * What went wrong, in words that say what to check; never the credentials themselves. {@code
     * write}: the call would have changed the cluster, so a refusal is a read-only user's.
     */
    private String reason(Throwable t, boolean write) {
        String all = messages(t);
        if (all.contains("authentication failed")) {
            return "refused the credentials of dcs.auth: wrong user name or password";
        }
        if (all.contains("permission denied")) {
            String who = user == null ? "this client" : "the user of dcs.auth ('" + user + "')";
            return write
                    ? "permission denied: " + who + " may not change " + root + "/; a read-only user (one whose"
                            + " role, such as pgha-reader, grants read on the prefix) can only read: changing the"
                            + " cluster needs a user whose role grants readwrite on that prefix, such as the agents'"
                    : "permission denied: " + who + " may not read " + root + "/ (grant its role read on that"
                            + " prefix; pgha's agents need readwrite)";
        }
        if (all.contains("user name is empty") || all.contains("user name not found")) {
            return "requires authentication"
                    + (authenticated ? ", and refused the user of dcs.auth" : ": give dcs.auth");
        }
        if (all.contains("authentication is not enabled")) {
            return "does not have authentication enabled, but dcs.auth is given: enable it or leave dcs.auth out";
        }
        if (all.contains("no leader")) {
            return "at " + endpoints + " has no leader (a majority of its members is not reachable)";
        }
        Status status = Status.fromThrowable(t);
        if (status.getCode() == Status.Code.UNAVAILABLE || all.contains("UNAVAILABLE")) {
            return "at " + endpoints + " is unreachable (" + firstLine(all) + ")";
        }
        if (status.getCode() == Status.Code.UNAUTHENTICATED) {
            return "refused the credentials of dcs.auth (" + firstLine(all) + ")";
        }
        return firstLine(all);
    }

    /** The messages of {@code t} and its causes, for matching etcd's error texts. */
    private static String messages(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null && s.length() < 2000; c = c.getCause()) {
            if (s.length() > 0) s.append(" / ");
            s.append(c.getMessage() != null ? c.getMessage() : c.getClass().getSimpleName());
        }
        return s.toString();
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    /** Whether the server turned down this client's credentials (not merely could not be reached). */
    private static boolean refusedCredentials(Throwable t) {
        String all = messages(t).toLowerCase(Locale.ROOT);
        return all.contains("authentication failed")
                || all.contains("user name is empty")
                || all.contains("authentication is not enabled");
    }

    private KeyValue get(String what, String name) throws DcsException {
        List<KeyValue> kvs =
                repeated(what, true, false, deadline(), () -> kv.get(key(name))).getKvs();
        return kvs.isEmpty() ? null : kvs.get(0);
    }

    private TxnResponse txn(String what, Cmp[] ifs, Op... then) throws DcsException {
        return call(what, () -> kv.txn().If(ifs).Then(then).commit());
    }

    private static Cmp absent(ByteSequence key) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0));
    }

    private static Cmp unchanged(ByteSequence key, KeyValue seen) {
        return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(seen.getModRevision()));
    }

    private static PutOption withLease(long lease) {
        return PutOption.builder().withLeaseId(lease).build();
    }

    private void put(String what, String name, byte[] value) throws DcsException {
        call(what, () -> kv.put(key(name), bytes(value)));
    }

    private boolean create(String what, String name, byte[] value) throws DcsException {
        usable();
        ByteSequence k = key(name);
        return txn(what, new Cmp[] {absent(k)}, Op.put(k, bytes(value), PutOption.DEFAULT))
                .isSucceeded();
    }

    private void delete(String what, String name) throws DcsException {
        usable();
        call(what, () -> kv.delete(key(name)));
    }

    // ---------------------------------------------------------------- the cluster

    /**
     * Reads every entry of the cluster in one range request (one consistent revision); an entry that
     * does not parse costs that entry only ({@link ClusterDecoder}).
     */
    @Override
    public ClusterState read() throws DcsException {
        usable();
        String prefix = root + "/";
        GetResponse r = callRead(
                "read the cluster",
                () -> kv.get(bytes(prefix), GetOption.builder().isPrefix(true).build()));
        Map<String, byte[]> entries = new HashMap<>();
        Map<String, byte[]> members = new HashMap<>();
        for (KeyValue e : r.getKvs()) {
            String name = e.getKey().toString(StandardCharsets.UTF_8).substring(prefix.length());
            if (name.startsWith("members/")) {
                members.put(name.substring("members/".length()), e.getValue().getBytes());
            } else {
                entries.put(name, e.getValue().getBytes());
            }
        }
        return decoder.decode(new ClusterDecoder.Raw(
                entries.get("initialize"),
                entries.get("leader"),
                members,
                entries.get("config"),
                entries.get("failover"),
                entries.get("optime"),
                entries.get("history"),
                entries.get("sync"),
                entries.get("slots")));
    }

    @Override
    public boolean claimInitialize(String owner) throws DcsException {
        return create("create initialize", "initialize", owner.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void completeInitialize(String value) throws DcsException {
        usable();
        put("write initialize", "initialize", value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void abandonInitialize() throws DcsException {
        delete("delete initialize", "initialize");
    }

    @Override
    public void publishMember(Member member) throws DcsException {
        String what = "publish member " + member.name();
        byte[] value = Json.bytes(member);
        withLease(
                what,
                s -> call(what, () -> kv.put(key("members/" + member.name()), bytes(value), withLease(s.lease()))));
    }

    @Override
    public void publishRouter(RouterStatus status) throws DcsException {
        String what = "publish router " + status.name();
        byte[] value = Json.bytes(status);
        withLease(
                what,
                s -> call(what, () -> kv.put(key("routers/" + status.name()), bytes(value), withLease(s.lease()))));
    }

    @Override
    public List<RouterStatus> routers() throws DcsException {
        usable();
        GetResponse r = callRead(
                "read routers",
                () -> kv.get(
                        bytes(path("routers/")),
                        GetOption.builder().isPrefix(true).build()));
        List<RouterStatus> out = new ArrayList<>();
        try {
            for (KeyValue e : r.getKvs()) out.add(Json.parse(e.getValue().getBytes(), RouterStatus.class));
        } catch (IOException e) {
            throw new DcsException("cannot read routers: " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(RouterStatus::name));
        return out;
    }

    @Override
    public void publishLeaderOptime(Lsn lsn) throws DcsException {
        usable();
        put("write optime", "optime", lsn.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- the leader key

    @Override
    public boolean acquireLeader(String me) throws DcsException {
        String what = "acquire the leader key";
        synchronized (leaderLock) {
            return withLease(what, s -> {
                ByteSequence k = key("leader");
                TxnResponse r = txn(what, new Cmp[] {absent(k)}, Op.put(k, bytes(me), withLease(s.lease())));
                if (!r.isSucceeded()) return false;
                long revision = r.getHeader().getRevision();
                leader = new LeaderKey(s.lease(), revision, revision);
                return true;
            });
        }
    }

    /** The leader key and the synchronous record in one etcd transaction. */
    @Override
    public boolean acquireLeader(String me, SyncState sync) throws DcsException {
        String what = "acquire the leader key";
        byte[] record = Json.bytes(sync);
        synchronized (leaderLock) {
            return withLease(what, s -> {
                ByteSequence k = key("leader");
                TxnResponse r = txn(
                        what,
                        new Cmp[] {absent(k)},
                        Op.put(k, bytes(me), withLease(s.lease())),
                        Op.put(key("sync"), bytes(record), PutOption.DEFAULT));
                if (!r.isSucceeded()) return false;
                long revision = r.getHeader().getRevision();
                leader = new LeaderKey(s.lease(), revision, revision);
                return true;
            });
        }
    }

    /**
     * A keepalive of the leader key's lease sent now (a quorum saw the lease alive after this call
     * began), then a linearizable check that the key is the one this client put, unchanged.
     */
    @Override
    public boolean renewLeader(String me) throws DcsException {
        String what = "renew the leader key";
        usable();
        synchronized (leaderLock) {
            LeaderKey held = leader;
            if (held == null) return false;
            Session s = session;
            if (s == null || s.lease() != held.lease()) {
                leader = null;
                return false;
            }
            long deadline = deadline();
            try {
                repeated(what, false, true, deadline, () -> leases.keepAliveOnce(held.lease()));
                compareAndSetState(Connection.SUSPENDED, Connection.CONNECTED); // a server saw the lease alive
            } catch (DcsException e) {
                if (!leaseGone(e)) throw e;
                leader = null;
                sessionLost(s);
                grantLater();
                return false;
            }
            // The get makes the transaction linearizable: etcd serves a transaction without a
            // (non-serializable) range from the local member, which may be a leader that lost its quorum.
            ByteSequence k = key("leader");
            Cmp[] ours = {
                new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(held.createRevision())),
                new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(held.modRevision())),
                new Cmp(k, Cmp.Op.EQUAL, CmpTarget.value(bytes(me)))
            };
            // compares and reads only: sent again as often as the deadline allows
            TxnResponse r = repeated(
                    what,
                    false,
                    true,
                    deadline,
                    () -> kv.txn().If(ours).Then(Op.get(k, GetOption.DEFAULT)).commit());
            if (!r.isSucceeded()) leader = null;
            return r.isSucceeded();
        }
    }

    /**
     * After a new lease replaced a lost one: takes a vacant leader key, or moves one that still names
     * {@code me} under an older lease to the current lease (one put guarded by the revisions read,
     * which keeps the key's create revision). False when another member holds it.
     */
    @Override
    public boolean reclaimLeader(String me) throws DcsException {
        String what = "reclaim the leader key";
        synchronized (leaderLock) {
            Session s = session(what);
            ByteSequence k = key("leader");
            KeyValue now = get(what, "leader");
            if (now == null) {
                TxnResponse r = txn(what, new Cmp[] {absent(k)}, Op.put(k, bytes(me), withLease(s.lease())));
                if (!r.isSucceeded()) return false;
                long revision = r.getHeader().getRevision();
                leader = new LeaderKey(s.lease(), revision, revision);
                return true;
            }
            if (!me.equals(now.getValue().toString(StandardCharsets.UTF_8))) return false;
            if (now.getLease() == s.lease()) {
                leader = new LeaderKey(s.lease(), now.getCreateRevision(), now.getModRevision());
                return true;
            }
            TxnResponse r = txn(
                    what,
                    new Cmp[] {
                        new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(now.getCreateRevision())), unchanged(k, now)
                    },
                    Op.put(k, bytes(me), withLease(s.lease())));
            if (!r.isSucceeded()) return false;
            leader = new LeaderKey(
                    s.lease(), now.getCreateRevision(), r.getHeader().getRevision());
            return true;
        }
    }

    /** Deletes the leader key when it is the one this client put, or is held by this client's lease. */
    @Override
    public void releaseLeader(String me) throws DcsException {
        String what = "release the leader key";
        synchronized (leaderLock) {
            LeaderKey held = leader;
            leader = null;
            KeyValue now = get(what, "leader");
            if (now == null) return;
            Session s = session;
            boolean ours = (held != null && now.getCreateRevision() == held.createRevision())
                    || (s != null && now.getLease() == s.lease());
            if (!ours) return;
            ByteSequence k = key("leader");
            txn(
                    what,
                    new Cmp[] {
                        new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(now.getCreateRevision())), unchanged(k, now)
                    },
                    Op.delete(k, DeleteOption.DEFAULT));
        }
    }

    /**
     * One read of the failover request and one transaction: the request replaced (or deleted) at the
     * revision read, and the leader key deleted if it is still the one this client put. Anything else
     * takes the two separate steps, which do nothing where the transaction already did it.
     */
    @Override
    public void handOver(String me, UnaryOperator<FailoverRequest> change) throws DcsException {
        usable();
        if (!handedOverAtOnce(change)) Dcs.super.handOver(me, change);
    }

    /** The transaction of {@link #handOver}; false when it was not tried or did not succeed. */
    private boolean handedOverAtOnce(UnaryOperator<FailoverRequest> change) throws DcsException {
        String what = "hand over the leader key";
        synchronized (leaderLock) {
            LeaderKey held = leader;
            if (held == null) return false;
            KeyValue current = get(what, "failover");
            if (current == null) return false;
            FailoverRequest after;
            try {
                after = change.apply(Json.parse(current.getValue().getBytes(), FailoverRequest.class));
            } catch (IOException e) {
                return false; // unreadable: replaced by the separate steps
            }
            ByteSequence f = key("failover");
            ByteSequence l = key("leader");
            Op write = after == null
                    ? Op.delete(f, DeleteOption.DEFAULT)
                    : Op.put(f, bytes(Json.bytes(after)), PutOption.DEFAULT);
            Cmp ours = new Cmp(l, Cmp.Op.EQUAL, CmpTarget.createRevision(held.createRevision()));
            if (!txn(what, new Cmp[] {unchanged(f, current), ours}, write, Op.delete(l, DeleteOption.DEFAULT))
                    .isSucceeded()) return false;
            leader = null;
            return true;
        }
    }

    @Override
    public boolean writeSync(String me, SyncState state) throws DcsException {
        return writeAsLeader(me, "sync", Json.bytes(state), "the synchronous record");
    }

    @Override
    public boolean publishSlots(String me, Map<String, Lsn> positions) throws DcsException {
        return writeAsLeader(me, "slots", Json.bytes(new SlotPositions(me, positions)), "the slot positions");
    }

    /** Writes {@code name} in one transaction with a check that the leader key is still the one this client put. */
    private boolean writeAsLeader(String me, String name, byte[] value, String what) throws DcsException {
        usable();
        LeaderKey held;
        synchronized (leaderLock) {
            held = leader;
        }
        if (held == null) return false;
        ByteSequence k = key("leader");
        return txn(
                        "write " + what,
                        new Cmp[] {
                            new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(held.createRevision())),
                            new Cmp(k, Cmp.Op.EQUAL, CmpTarget.value(bytes(me)))
                        },
                        Op.put(key(name), bytes(value), PutOption.DEFAULT))
                .isSucceeded();
    }

    // ---------------------------------------------------------------- compare-and-set entries

    /** Decodes an entry's bytes. */
    private interface Decoder<T> {
        T decode(byte[] data) throws IOException;
    }

    /**
     * Read-modify-write guarded by the key's mod revision (or its absence); retried when another
     * writer won, after a pause of a few random milliseconds so that racing writers fall out of
     * step. A change returning null deletes the entry.
     */
    private <T> T compareAndSet(String name, Decoder<T> decoder, T absent, UnaryOperator<T> change)
            throws DcsException {
        usable();
        String what = "update " + name;
        ByteSequence k = key(name);
        for (int attempt = 0; attempt < 50; attempt++) {
            if (attempt > 0) backOff();
            KeyValue current = get(what, name);
            T before;
            try {
                before = current == null
                        ? absent
                        : decoder.decode(current.getValue().getBytes());
            } catch (IOException e) {
                throw new DcsException("unreadable " + name + " in the DCS: " + e.getMessage(), e);
            }
            T after = change.apply(before);
            Cmp guard = current == null ? absent(k) : unchanged(k, current);
            if (after == null) {
                if (current == null
                        || txn(what, new Cmp[] {guard}, Op.delete(k, DeleteOption.DEFAULT))
                                .isSucceeded()) return null;
                continue;
            }
            if (txn(what, new Cmp[] {guard}, Op.put(k, bytes(Json.bytes(after)), PutOption.DEFAULT))
                    .isSucceeded()) return after;
        }
        throw new DcsException("cannot update " + name + ": too many concurrent changes");
    }

    private static void backOff() throws DcsException {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextInt(1, 6));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DcsException("interrupted while updating the DCS", e);
        }
    }

    /** A config entry that does not validate is replaced, as {@link ZooKeeperDcs#updateConfig} does. */
    @Override
    public DynamicConfig updateConfig(UnaryOperator<DynamicConfig> change) throws DcsException {
        return compareAndSet(
                "config",
                d -> {
                    try {
                        return ClusterDecoder.config(d);
                    } catch (ClusterDecoder.Invalid e) {
                        LOG.warn("replacing the config entry that does not validate ({})", e.getMessage());
                        return decoder.config();
                    }
                },
                DynamicConfig.DEFAULT,
                change);
    }

    /** An existing entry that does not parse is no pending request: the new request replaces it. */
    @Override
    public boolean requestFailover(FailoverRequest request) throws DcsException {
        usable();
        String what = "request a failover";
        ByteSequence k = key("failover");
        byte[] value = Json.bytes(request);
        TxnResponse r = call(
                what,
                () -> kv.txn()
                        .If(absent(k))
                        .Then(Op.put(k, bytes(value), PutOption.DEFAULT))
                        .Else(Op.get(k, GetOption.DEFAULT))
                        .commit());
        if (r.isSucceeded()) return true;
        List<KeyValue> found = r.getGetResponses().isEmpty()
                ? List.of()
                : r.getGetResponses().get(0).getKvs();
        if (found.isEmpty()) return false; // deleted meanwhile: another request or a clear got there first
        KeyValue current = found.get(0);
        try {
            ClusterDecoder.failover(current.getValue().getBytes());
            return false;
        } catch (ClusterDecoder.Invalid e) {
            boolean replaced = txn(what, new Cmp[] {unchanged(k, current)}, Op.put(k, bytes(value), PutOption.DEFAULT))
                    .isSucceeded();
            if (replaced) LOG.warn("replaced a failover entry that does not parse ({})", e.getMessage());
            return replaced;
        }
    }

    @Override
    public void updateFailover(UnaryOperator<FailoverRequest> change) throws DcsException {
        compareAndSet(
                "failover",
                d -> Json.parse(d, FailoverRequest.class),
                null,
                fr -> fr == null ? null : change.apply(fr));
    }

    @Override
    public void clearFailover() throws DcsException {
        delete("delete failover", "failover");
    }

    @Override
    public void appendHistory(HistoryEntry entry) throws DcsException {
        compareAndSet("history", d -> Json.MAPPER.readValue(d, HISTORY), List.<HistoryEntry>of(), list -> {
            if (list.stream().anyMatch(h -> h.timeline() == entry.timeline())) return list;
            List<HistoryEntry> longer = new ArrayList<>(list);
            longer.add(entry);
            return longer;
        });
    }

    // ---------------------------------------------------------------- close

    /**
     * Revokes the lease, so that this client's leader key, member and router entries vanish at once,
     * and closes the client. Every wait is bounded: a server that does not answer costs at most one
     * call's time limit.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        timer.shutdownNow();
        Watch.Watcher w = watcher;
        if (w != null) w.close();
        Session s = session;
        if (s != null) revokeQuietly(s.lease());
        session = null;
        client.close();
    }
}
