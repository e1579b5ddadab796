package io.pgha.dcs;

import com.fasterxml.jackson.core.type.TypeReference;
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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.watch.PersistentWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Dcs} on Apache ZooKeeper through Curator. Layout under {@code <namespace>/<cluster>}:
 * {@code initialize}, {@code leader} (ephemeral), {@code members/<name>} (ephemeral), {@code
 * config}, {@code failover}, {@code optime}, {@code history}, {@code sync}, {@code slots}, {@code
 * routers/<name>} (ephemeral); values are JSON.
 *
 * <p>The leader lease is the ephemeral {@code leader} node. It is renewed by a versioned write from
 * the session that created it, so a successful renewal proves that a quorum saw this session alive
 * after the renewal was sent.
 *
 * <p>Changes: one persistent recursive watch on the cluster's node tells agents ({@link #onChange})
 * and observers ({@link #onAnyChange}) that something changed; they read the cluster themselves.
 * Its events carry no data and nothing is read back for them, but a member's new record (to tell a
 * change of role or state from a refresh). A renewal of the lease, several times a second, reaches
 * nobody: a new leader comes as the key's deletion and creation.
 *
 * <p>Session timeout: a member ({@link #connectMember}) uses a session only when the server granted
 * exactly {@code timing.ttl}, so that the one value the lease validity, the failsafe promise and
 * the watchdog window are computed from is also when the leader key expires; observers ({@link
 * #connect}) take any timeout.
 *
 * <p>Data that does not parse: {@link #read} decodes entry by entry ({@link ClusterDecoder}). A bad
 * member record is skipped; a config that does not parse or does not pass {@code edit-config}'s
 * validation is replaced by the last valid one this client read; a bad {@code sync} record reads as
 * {@link io.pgha.core.model.SyncState#UNREADABLE} (nobody is synchronous, so failover waits, and the
 * primary rewrites it); a bad failover request reads as absent; a bad optime or history keeps the
 * last value read. Each is named in {@link ClusterState#unreadable()} and logged once per bad
 * value. The {@code initialize} and {@code leader} entries are plain text and cannot be malformed.
 *
 * <p>Access ({@link ZooKeeperAccess}): a client made from a config with {@code dcs.auth}
 * authenticates every session with that digest identity and creates every node, parents
 * included, with an ACL for that identity (and, under the cluster's node, READ for each identity of
 * {@code dcs.readers}). A member also brings the ACLs of its cluster's existing nodes in line with
 * its own once per client, at its first {@link #publishMember}: nodes left open by clients without
 * authentication (clusters set up before {@code dcs.auth}), and nodes made when the readers were
 * others ({@link #alignAcls}). An observer (CLI, router), whose config names no readers, gives a
 * node it creates under the cluster's the ACL of the cluster's node. A change that ZooKeeper refuses
 * for want of permission (a read-only credential) fails with a message that says so.
 */
public final class ZooKeeperDcs implements Dcs {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperDcs.class);
    private static final TypeReference<List<HistoryEntry>> HISTORY = new TypeReference<>() {};

    private final CuratorFramework client;
    private final String root;
    /** One persistent recursive watch on the cluster's node: events only, no copy of the data. */
    private final PersistentWatcher watcher;
    /** The last record seen of each member, to tell a change of role or state from a refresh. */
    private final java.util.Map<String, byte[]> memberRecords = new java.util.concurrent.ConcurrentHashMap<>();

    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> allListeners = new CopyOnWriteArrayList<>();
    /** See {@link #leaderGoneNanos()}: set by the watch when the leader key is deleted. */
    private volatile long leaderGoneNanos;
    /** Whether the watch on the cluster's node was started: with the first listener ({@link #watch}). */
    private final java.util.concurrent.atomic.AtomicBoolean watching = new java.util.concurrent.atomic.AtomicBoolean();

    private final Object leaderLock = new Object();
    private final ClusterDecoder decoder;
    /** The session timeout asked for. */
    private final long requestedSessionMs;
    /** Whether a session whose granted timeout differs from the one asked for is refused. */
    private final boolean exactSession;
    /** Whether this client is a member's (an agent's), which may hold the lease and sets ACLs. */
    private final boolean member;
    /** An observer's ACL for the nodes it creates under the cluster's (see {@link #inheritClusterAcl}); null: its own. */
    private final java.util.concurrent.atomic.AtomicReference<List<ACL>> inherited;

    private final ZooKeeperAccess access;
    private final String connectString;
    /** Makes the ZooKeeper clients, each with the servers it tries after a lost connection ({@link ZkHosts}). */
    private final ZkHosts.Factory hosts;
    /** Whether the ACLs of the cluster's nodes were brought in line with this client's (members only). */
    private volatile boolean aclsAligned;

    private long leaderSession;
    private int leaderVersion = -1;
    /** The version of the {@code term} node this session took the key in (see {@link #termBump}). */
    private int leaderTerm = -1;

    // ------------------------------------------------------------------ opening

    private ZooKeeperDcs(
            CuratorFramework client,
            String root,
            long requestedSessionMs,
            boolean exactSession,
            ZooKeeperAccess access,
            String connectString,
            java.util.concurrent.atomic.AtomicReference<List<ACL>> inherited,
            ZkHosts.Factory hosts) {
        this.client = client;
        this.hosts = hosts;
        this.member = exactSession;
        this.inherited = inherited;
        this.connectString = connectString;
        this.access = access;
        this.root = root;
        this.watcher = new PersistentWatcher(client, root, true);
        this.decoder = new ClusterDecoder(root);
        this.requestedSessionMs = requestedSessionMs;
        this.exactSession = exactSession;
    }

    /**
     * Connects to {@code connect} as an observer (CLI, router): a client that holds no lease and
     * takes whatever session timeout the server grants. Operations fail after roughly {@code
     * sessionTimeoutMs / 2} when no server answers.
     */
    public static ZooKeeperDcs connect(String connect, String namespace, String cluster, long sessionTimeoutMs) {
        return connect(connect, namespace, cluster, sessionTimeoutMs, false, ZooKeeperAccess.OPEN);
    }

    /** {@link #connect(String, String, String, long)} to the DCS of {@code dcs}, with its authentication and TLS. */
    public static ZooKeeperDcs connect(DcsConfig dcs, String cluster, long sessionTimeoutMs) {
        return connect(dcs.connectString(), dcs.namespace(), cluster, sessionTimeoutMs, false, ZooKeeperAccess.of(dcs));
    }

    /** {@link #connectMember(String, String, String, long)} to the DCS of {@code dcs}, with its authentication and TLS. */
    public static ZooKeeperDcs connectMember(DcsConfig dcs, String cluster, long ttlMs) {
        return connect(dcs.connectString(), dcs.namespace(), cluster, ttlMs, true, ZooKeeperAccess.of(dcs));
    }

    /** A client of {@code connect} with the given access; tests use it to stand in for configured clients. */
    public static ZooKeeperDcs connect(
            String connect,
            String namespace,
            String cluster,
            long sessionTimeoutMs,
            boolean member,
            ZooKeeperAccess access) {
        return open(connect, namespace, cluster, sessionTimeoutMs, member, access);
    }

    /**
     * Connects to {@code connect} as a member that may hold the leader lease, asking for a session
     * of {@code ttlMs}. A ZooKeeper server clamps the timeout to its [minSessionTimeout,
     * maxSessionTimeout] (by default 2 to 20 times its tickTime); when it grants anything but
     * {@code ttlMs}, the leader key would not expire when the lease arithmetic, the failsafe promise
     * and the watchdog (all computed from {@code timing.ttl}) say, so such a session is refused:
     * every operation then throws a DcsException that names both values and what to change, and
     * {@link #checkSession} reports it at start.
     */
    public static ZooKeeperDcs connectMember(String connect, String namespace, String cluster, long ttlMs) {
        return connect(connect, namespace, cluster, ttlMs, true, ZooKeeperAccess.OPEN);
    }

    private static ZooKeeperDcs open(
            String connect,
            String namespace,
            String cluster,
            long sessionTimeoutMs,
            boolean exact,
            ZooKeeperAccess access) {
        String ns = namespace.equals("/") ? "" : namespace;
        String root = ns + "/" + cluster;
        var inherited = new java.util.concurrent.atomic.AtomicReference<List<ACL>>();
        ZkHosts.Factory hosts = new ZkHosts.Factory();
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .zookeeperFactory(hosts)
                .authorization(access.authInfo())
                .aclProvider(access.aclProvider(root, inherited::get))
                .zkClientConfig(access.clientConfig())
                .sessionTimeoutMs((int) sessionTimeoutMs)
                .connectionTimeoutMs((int) Math.max(500, sessionTimeoutMs / 3))
                .waitForShutdownTimeoutMs(2000)
                .retryPolicy(new RetryOneTime(100))
                .build();
        ZooKeeperDcs dcs = new ZooKeeperDcs(client, root, sessionTimeoutMs, exact, access, connect, inherited, hosts);
        // before start: a connection made before the listener was added would go unrecorded, and
        // connection() would say SUSPENDED until the next change (seen in ZooKeeperUnparsableDataIT)
        client.getConnectionStateListenable().addListener((c, state) -> dcs.connectionChanged(state));
        dcs.watcher.getListenable().addListener(dcs::watched);
        // the watch was (re)set: at the start, and after a reconnection that may have missed events
        dcs.watcher.getResetListenable().addListener(() -> {
            dcs.readLeaderKey();
            dcs.memberRecords.clear();
            dcs.readMembers();
            dcs.fireAll();
            dcs.fire();
        });
        client.start();
        return dcs;
    }

    /**
     * Starts the watch on the cluster's node with the first listener. A client that registers none
     * (a CLI command that reads once) sets no watch and reads no member records in the background,
     * which its one read would otherwise wait behind on the session.
     */
    private void watch() {
        if (watching.compareAndSet(false, true)) {
            if (member) unrenewedLeases = daemon("pgha-lease-watch");
            watcher.start();
        }
    }

    private static java.util.concurrent.ScheduledExecutorService daemon(String name) {
        var executor = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    // ------------------------------------------------------------------ ending a lease its holder stopped renewing

    /** What this member knows of another's leader key ({@link UnrenewedLease}); members only. */
    private final UnrenewedLease unrenewed = new UnrenewedLease();
    /** Reads the leader key and ends it when due; started with the watch, on members only (tests: null). */
    private volatile java.util.concurrent.ScheduledExecutorService unrenewedLeases;
    /** A read of the leader key is queued: events that come meanwhile need no other. */
    private final java.util.concurrent.atomic.AtomicBoolean leaderReadQueued =
            new java.util.concurrent.atomic.AtomicBoolean();
    /** The planned look at whether the known key is due; touched on the lease-watch thread only. */
    private java.util.concurrent.ScheduledFuture<?> endCheck;
    /** Whether this member may end an unrenewed lease now ({@link #endUnrenewedLeasesWhile}). */
    private volatile java.util.function.BooleanSupplier mayEndLeases = () -> true;

    @Override
    public void endUnrenewedLeasesWhile(java.util.function.BooleanSupplier allowed) {
        mayEndLeases = allowed;
    }

    /** How often a due key's end is tried again while ZooKeeper cannot be reached or it may not be ended yet. */
    static final long END_RETRY_MS = 100;

    /** Whom the leader key named when last read, for the log; touched on the lease-watch thread only. */
    private String knownHolder;

    /** The ZooKeeper handle the leader key's own watch was added on; touched on the lease-watch thread only. */
    private org.apache.zookeeper.ZooKeeper leaderWatchedOn;

    /**
     * An event of the leader key's own watch, which a member adds on ZooKeeper's handle itself:
     * Curator's events carry no zxid, and the count of renewals needs it ({@link UnrenewedLease}).
     */
    private void leaderKeyEvent(org.apache.zookeeper.WatchedEvent e) {
        switch (e.getType()) {
            case NodeDeleted -> unrenewed.gone();
            case NodeCreated -> {
                unrenewed.gone();
                readLeaderKey();
            }
            case NodeDataChanged -> {
                if (!unrenewed.renewed(e.getZxid(), System.nanoTime())) readLeaderKey();
            }
            default -> {
                // a connection event: the watch on the cluster's node is set again after a reconnection,
                // and its reset reads the key
            }
        }
    }

    /** Queues a read of the leader key and the term (on members, where the watch runs). */
    private void readLeaderKey() {
        var executor = unrenewedLeases;
        if (executor == null || !leaderReadQueued.compareAndSet(false, true)) return;
        try {
            executor.execute(this::leaderKeyRead);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing
        }
    }

    /**
     * Reads the term, then the key: a key of a later term than the one read only makes the delete
     * fail. The time noted is when the key's read answered, after the renewal that wrote what it
     * read was applied.
     */
    private void leaderKeyRead() {
        leaderReadQueued.set(false);
        try {
            var zk = handle();
            if (zk != leaderWatchedOn) {
                // a new session's handle: the watch goes with the old one (a reconnection keeps it)
                zk.addWatch(path("leader"), this::leaderKeyEvent, org.apache.zookeeper.AddWatchMode.PERSISTENT);
                leaderWatchedOn = zk;
            }
            Stat term = client.checkExists().forPath(path("term"));
            Stat key = new Stat();
            try {
                knownHolder =
                        new String(client.getData().storingStatIn(key).forPath(path("leader")), StandardCharsets.UTF_8);
            } catch (KeeperException.NoNodeException gone) {
                key = null;
            }
            long at = System.nanoTime();
            // a key without a term node was taken by an older pgha: only its session's expiry ends it
            if (key == null) unrenewed.gone();
            else
                unrenewed.learned(
                        term == null ? -1 : term.getVersion(),
                        key.getVersion(),
                        key.getEphemeralOwner(),
                        key.getMzxid(),
                        at);
        } catch (Exception e) {
            // not connected: read again when the watch is set again after the reconnection
            LOG.debug("could not read the leader key: {}", e.toString());
            return;
        }
        planEndCheck(-1);
    }

    /** Plans the next look at the known key: when it falls due, or after {@code retryMs} when given. */
    private void planEndCheck(long retryMs) {
        var executor = unrenewedLeases;
        if (executor == null) return;
        if (endCheck != null) endCheck.cancel(false);
        endCheck = null;
        long delay = retryMs >= 0
                ? retryMs * 1_000_000L
                : unrenewed.untilDueNanos(System.nanoTime(), requestedSessionMs * 1_000_000L, mySession());
        if (delay < 0) return;
        try {
            endCheck = executor.schedule(this::endIfDue, delay + 1_000_000L, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing
        }
    }

    private long mySession() {
        try {
            return handle().getSessionId();
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * Deletes the leader key if its version has not changed for a ttl since this member first read
     * it, in a transaction that checks the term and the version ({@link UnrenewedLease} says why that
     * is safe). A changed key is read again; an unreachable ZooKeeper is tried again shortly.
     */
    private void endIfDue() {
        var due = unrenewed.due(System.nanoTime(), requestedSessionMs * 1_000_000L, mySession());
        if (due == null) {
            planEndCheck(-1);
            return;
        }
        if (!mayEndLeases.getAsBoolean()) {
            // a failsafe promise: the holder may be running on the members' confirmations
            planEndCheck(END_RETRY_MS);
            return;
        }
        try {
            var ops = client.transactionOp();
            client.transaction()
                    .forOperations(
                            ops.check().withVersion(due.term()).forPath(path("term")),
                            ops.delete().withVersion(due.version()).forPath(path("leader")));
            unrenewed.gone();
            LOG.warn(
                    "ended the leader lease of {} (session 0x{}): its key was not renewed for {} ms (version {} of term {})",
                    knownHolder,
                    Long.toHexString(due.owner()),
                    requestedSessionMs,
                    due.version(),
                    due.term());
        } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
            leaderKeyRead(); // renewed, taken anew, or gone meanwhile
        } catch (Exception e) {
            LOG.debug("could not end an unrenewed lease yet: {}", e.toString());
            planEndCheck(END_RETRY_MS);
        }
    }

    /** Whether the watch on the cluster's node was started (tests). */
    boolean watching() {
        return watching.get();
    }

    /**
     * One event of the watch on the cluster's node. The event names the node, not its data: ZooKeeper
     * sends it, and nothing is read back, except a member's new record (to tell a change of role or
     * state, which wakes agents, from a refresh, which does not). The leader's key changes hands only
     * by deletion and creation; its data changes at every renewal of the lease (several times a
     * second), which concerns nobody.
     */
    private void watched(org.apache.zookeeper.WatchedEvent e) {
        String changed = e.getPath();
        if (changed == null) return; // a connection event: connectionChanged has it
        boolean dataOnly = e.getType() == org.apache.zookeeper.Watcher.Event.EventType.NodeDataChanged;
        boolean leaderKey = changed.equals(path("leader"));
        if (changed.equals(path("term"))) return; // bumped with the key's creation, which tells
        if (leaderKey) {
            var type = e.getType();
            if (type == org.apache.zookeeper.Watcher.Event.EventType.NodeDeleted) leaderGoneNanos = System.nanoTime();
            // a renewal concerns nobody (the count of renewals has a watch of its own: leaderKeyEvent)
            if (dataOnly) return;
        }
        fireAll();
        if (changed.startsWith(path("members/"))) {
            if (!dataOnly) {
                memberRecords.remove(changed);
                if (e.getType() == org.apache.zookeeper.Watcher.Event.EventType.NodeCreated) readMember(changed, false);
                fire(); // joined or left
                return;
            }
            readMember(changed, true);
            return;
        }
        if (relevant(dataOnly, changed)) fire();
    }

    // ------------------------------------------------------------------ session and connection

    @Override
    public boolean awaitConnected(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        if (!client.blockUntilConnected((int) timeoutMs, TimeUnit.MILLISECONDS)) return false;
        // The connection listener records the state on Curator's event thread a moment later: wait for
        // it too, so that connection() says CONNECTED once this returned true.
        while (!state.isConnected() && System.nanoTime() < deadline) Thread.sleep(1);
        return true;
    }

    /**
     * Waits up to {@code timeoutMs} for a session and throws the refusal of {@link #connectMember}
     * when the server granted another timeout than the one asked for. A server that does not answer
     * in time is no error here (the agent waits for its DCS as it always does).
     */
    @Override
    public void checkSession(long timeoutMs) throws DcsException, InterruptedException {
        if (awaitConnected(timeoutMs)) usableSession();
    }

    /** The refusal of a session with another timeout than asked for (members only). */
    private void usableSession() throws DcsException {
        if (!exactSession) return;
        int granted = grantedSessionMs();
        if (granted > 0 && granted != requestedSessionMs) throw new DcsException(mismatch(granted));
    }

    private String mismatch(int granted) {
        String fix = granted > requestedSessionMs
                ? "raise timing.ttl to " + granted
                        + " ms or more, or lower the server's minSessionTimeout (default 2 x tickTime) to at most "
                        + requestedSessionMs + " ms"
                : "lower timing.ttl to " + granted
                        + " ms or less, or raise the server's maxSessionTimeout (default 20 x tickTime) to at least "
                        + requestedSessionMs + " ms";
        return "ZooKeeper granted a session timeout of " + granted + " ms but timing.ttl is " + requestedSessionMs
                + " ms: the leader key would " + (granted > requestedSessionMs ? "outlive" : "expire before")
                + " the lease, failsafe and watchdog timings computed from timing.ttl; " + fix;
    }

    /** The session timeout of the current session, 0 while there is none. */
    private int grantedSessionMs() {
        try {
            return handle().getSessionTimeout();
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * Whether a change should wake agents. Members rewrite their own record and the primary its
     * position all the time; waking every agent for those would make each cycle trigger the next.
     * Members joining or leaving, and every other key, do wake them; so does a member whose role or
     * state changed ({@link MemberChange}, checked by the caller, which reads the new record). The
     * leader's renewals, which rewrite its key several times a second, the caller drops before it
     * asks: only a new leader or none (its key created or deleted) wakes agents.
     */
    boolean relevant(boolean dataOnly, String changedPath) {
        if (changedPath.startsWith(path("routers"))) return false; // routers concern no agent decision
        return !(dataOnly
                && (changedPath.startsWith(path("members/"))
                        || changedPath.equals(path("optime"))
                        || changedPath.equals(path("slots"))));
    }

    private volatile ConnectionState state = ConnectionState.SUSPENDED;

    @Override
    public Connection connection() {
        if (state == ConnectionState.LOST) return Connection.LOST;
        if (!state.isConnected() || !client.getZookeeperClient().isConnected()) return Connection.SUSPENDED;
        try {
            usableSession();
            return Connection.CONNECTED;
        } catch (DcsException e) {
            return Connection.REFUSED;
        }
    }

    @Override
    public String describe() {
        return "ZooKeeper at " + connectString;
    }

    private void connectionChanged(ConnectionState state) {
        this.state = state;
        LOG.info("ZooKeeper connection {}", state);
        if (state.isConnected()) {
            try {
                usableSession();
            } catch (DcsException e) {
                LOG.error("{}", e.getMessage());
            }
        }
        fire();
    }

    /** The client's current ZooKeeper handle (Curator replaces it when it starts a new session). */
    org.apache.zookeeper.ZooKeeper handle() throws Exception {
        return client.getZookeeperClient().getZooKeeper();
    }

    /** The servers the current ZooKeeper client tries after a lost connection (tests). */
    ZkHosts hosts() {
        return hosts.last();
    }

    /** Reads every member's record (once the watch is set), to compare their next ones with. */
    private void readMembers() {
        try {
            client.getChildren()
                    .inBackground((c, ev) -> {
                        if (ev.getResultCode() != 0) return;
                        for (String name : ev.getChildren()) readMember(path("members/" + name), false);
                    })
                    .forPath(path("members"));
        } catch (Exception e) {
            LOG.debug("cannot list the members: {}", e.getMessage());
        }
    }

    /**
     * Reads a member's record in the background. {@code changed}: the record changed, and agents are
     * woken when its role or state differs from the one kept ({@link MemberChange}; when either is
     * missing, to be safe). Otherwise it is only kept, to compare the next one with.
     */
    private void readMember(String memberPath, boolean changed) {
        try {
            client.getData()
                    .inBackground((c, ev) -> {
                        byte[] now = ev.getResultCode() == 0 ? ev.getData() : null;
                        if (!changed) {
                            if (now != null) memberRecords.putIfAbsent(memberPath, now);
                            return;
                        }
                        byte[] before =
                                now == null ? memberRecords.remove(memberPath) : memberRecords.put(memberPath, now);
                        if (MemberChange.wakesAgents(before, now)) fire();
                    })
                    .forPath(memberPath);
        } catch (Exception e) {
            LOG.debug("cannot read {}: {}", memberPath, e.getMessage());
            if (changed) fire(); // cannot tell: wake, to be safe
        }
    }

    private void fire() {
        for (Runnable r : listeners) r.run();
    }

    private void fireAll() {
        for (Runnable r : allListeners) r.run();
    }

    @Override
    public void onAnyChange(Runnable listener) {
        allListeners.add(listener);
        watch();
    }

    // ------------------------------------------------------------------ routers

    @Override
    public void publishRouter(RouterStatus status) throws DcsException {
        try {
            Stat stat = client.checkExists().forPath(path("routers/" + status.name()));
            long session = handle().getSessionId();
            if (stat != null && stat.getEphemeralOwner() != session) delete("routers/" + status.name());
        } catch (Exception e) {
            throw writeFailed("publish router " + status.name(), e);
        }
        put("routers/" + status.name(), Json.bytes(status), CreateMode.EPHEMERAL);
    }

    @Override
    public List<RouterStatus> routers() throws DcsException {
        try {
            List<RouterStatus> out = new java.util.ArrayList<>();
            List<String> names;
            try {
                names = children(path("routers"));
            } catch (KeeperException.NoAuthException e) {
                names = List.of(); // made by a router before this reader was admitted
            }
            for (String n : names) {
                byte[] d;
                try {
                    d = data(path("routers/" + n));
                } catch (KeeperException.NoAuthException e) {
                    LOG.debug("router {} is not readable with this credential", n);
                    continue;
                }
                if (d != null) out.add(Json.parse(d, RouterStatus.class));
            }
            out.sort(java.util.Comparator.comparing(RouterStatus::name));
            return out;
        } catch (Exception e) {
            throw unreachable("read routers", e);
        }
    }

    // ------------------------------------------------------------------ reading

    private String path(String name) {
        return root + "/" + name;
    }

    /**
     * Reads every entry of the cluster; an entry that does not parse costs that entry only (see
     * {@link ClusterDecoder} for what stands in for it). DcsException only when ZooKeeper cannot be
     * reached or this session is refused ({@link #connectMember}).
     */
    @Override
    public ClusterState read() throws DcsException {
        usableSession();
        ClusterDecoder.Raw raw;
        try {
            List<String> names = children(path("members"));
            List<String> paths = new java.util.ArrayList<>();
            for (String k : CLUSTER_KEYS) paths.add(path(k));
            for (String n : names) paths.add(path("members/" + n));
            List<byte[]> got = readAll(paths);
            Map<String, byte[]> members = new HashMap<>();
            for (int i = 0; i < names.size(); i++) {
                byte[] d = got.get(CLUSTER_KEYS.size() + i);
                if (d != null) members.put(names.get(i), d); // gone since the listing
            }
            raw = new ClusterDecoder.Raw(
                    got.get(0),
                    got.get(1),
                    members,
                    got.get(2),
                    got.get(3),
                    got.get(4),
                    got.get(5),
                    got.get(6),
                    got.get(7));
        } catch (Exception e) {
            throw unreachable("read the cluster", e);
        }
        return decoder.decode(raw);
    }

    /** The keys {@link #read} reads besides the members, in the order ClusterDecoder.Raw takes them. */
    private static final List<String> CLUSTER_KEYS =
            List.of("initialize", "leader", "config", "failover", "optime", "history", "sync", "slots");

    /** False once a server answered that it has no multi-read (ZooKeeper before 3.6). */
    private volatile boolean multiRead = true;

    /**
     * The data of {@code paths} (null where a node does not exist) in one round trip: ZooKeeper's
     * multi-read, which one server answers from one state. An agent reads the cluster every cycle;
     * twelve sequential reads over TLS were most of an idle node's CPU. A server without multi-read
     * (before 3.6) gets the reads one by one.
     */
    private List<byte[]> readAll(List<String> paths) throws Exception {
        if (!multiRead) {
            List<byte[]> out = new java.util.ArrayList<>(paths.size());
            for (String p : paths) out.add(data(p));
            return out;
        }
        List<org.apache.zookeeper.Op> ops = new java.util.ArrayList<>(paths.size());
        for (String p : paths) ops.add(org.apache.zookeeper.Op.getData(p));
        List<org.apache.zookeeper.OpResult> results;
        try {
            results =
                    org.apache.curator.RetryLoop.callWithRetry(client.getZookeeperClient(), () -> handle().multi(ops));
        } catch (KeeperException.UnimplementedException e) {
            LOG.info("ZooKeeper has no multi-read (a server before 3.6): reading the cluster key by key");
            multiRead = false;
            return readAll(paths);
        } catch (KeeperException e) {
            // a read multi answers every read; the client throws the first error with all the results
            if (e.getResults() == null) throw e;
            results = e.getResults();
        }
        if (results.size() != paths.size())
            throw new IllegalStateException("multi-read of " + paths.size() + " nodes answered " + results.size());
        List<byte[]> out = new java.util.ArrayList<>(paths.size());
        for (int i = 0; i < paths.size(); i++) {
            org.apache.zookeeper.OpResult r = results.get(i);
            if (r instanceof org.apache.zookeeper.OpResult.GetDataResult d) {
                out.add(d.getData());
            } else if (r instanceof org.apache.zookeeper.OpResult.ErrorResult err) {
                KeeperException.Code code = KeeperException.Code.get(err.getErr());
                if (code != KeeperException.Code.NONODE) throw KeeperException.create(code, paths.get(i));
                out.add(null);
            } else {
                throw new IllegalStateException("multi-read answered " + r + " for " + paths.get(i));
            }
        }
        return out;
    }

    private List<String> children(String p) throws Exception {
        try {
            return client.getChildren().forPath(p);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    private byte[] data(String p) throws Exception {
        try {
            return client.getData().forPath(p);
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ errors

    /** A read failed: ZooKeeper could not be reached or refused it. */
    private DcsException unreachable(String what, Exception e) {
        return failed(what, e, false);
    }

    /** A change failed: ZooKeeper could not be reached or refused it. */
    private DcsException writeFailed(String what, Exception e) {
        return failed(what, e, true);
    }

    private DcsException failed(String what, Exception e, boolean write) {
        if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        // A server that requires authentication ends the session of a client without dcs.auth; the client
        // sees that as an expired session or, when the server closed the connection first, as a lost one.
        String hint = "";
        if (access.authInfo().isEmpty()) {
            if (e instanceof KeeperException.SessionExpiredException)
                hint = " (a server that requires authentication ends the session of a client without dcs.auth)";
            else if (e instanceof KeeperException.ConnectionLossException)
                hint = " (the server is unreachable, or it requires authentication and closed the connection of"
                        + " this client, which has no dcs.auth)";
        }
        return new DcsException("cannot " + what + ": ZooKeeper " + describe(e, write) + hint, e);
    }

    private String describe(Exception e, boolean write) {
        if (e instanceof KeeperException.SessionClosedRequireAuthException) {
            return "refused this client, which did not authenticate: the server requires it (give dcs.auth)";
        }
        if (e instanceof KeeperException.NoAuthException) {
            String who = access.authenticated()
                    ? "the credential of dcs.auth (user '" + access.username() + "')"
                    : "this client, which has no dcs.auth,";
            if (write) {
                return "refused this change (noauth): " + who + " may not change the cluster's nodes; a read-only"
                        + " credential (one of the agents' dcs.readers) can only read: run this command with pgha's"
                        + " own credential (the agents' dcs.auth)";
            }
            String node = ((KeeperException) e).getPath();
            return "refused access (noauth)" + (node != null ? " to " + node : "") + ": the node's ACL does not admit "
                    + who + " (check dcs.auth; a read-only credential must be in every agent's dcs.readers, which"
                    + " the agents give access when they start)";
        }
        return e instanceof KeeperException k
                ? k.code().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                : e.toString();
    }

    // ------------------------------------------------------------------ writing: initialize, members, ACLs

    /**
     * Before an observer (a CLI command, a router) creates a node under the cluster's: takes the
     * cluster node's ACL for it when that ACL is pgha's identity with read-only identities (the
     * agents' {@code dcs.readers}), so that the readers the agents admit can read the node too; an
     * observer's own config names no readers. Members give their own ACL (and bring the others in
     * line, {@link #alignAcls}).
     */
    private void inheritClusterAcl() throws Exception {
        if (member || !access.authenticated()) return;
        List<ACL> found;
        try {
            found = client.getACL().forPath(root);
        } catch (KeeperException.NoNodeException e) {
            inherited.set(null);
            return;
        }
        boolean ours =
                access.replaceable(found) && !found.contains(new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.ANYONE_ID_UNSAFE));
        // Not List.copyOf: ZooKeeper asks the list whether it contains null, which List.of answers with an exception.
        inherited.set(ours ? Collections.unmodifiableList(new ArrayList<>(found)) : null);
    }

    private boolean create(String name, byte[] value, CreateMode mode) throws DcsException {
        try {
            inheritClusterAcl();
            client.create().creatingParentsIfNeeded().withMode(mode).forPath(path(name), value);
            return true;
        } catch (KeeperException.NodeExistsException e) {
            return false;
        } catch (Exception e) {
            throw writeFailed("create " + name, e);
        }
    }

    private void put(String name, byte[] value, CreateMode mode) throws DcsException {
        try {
            try {
                client.setData().forPath(path(name), value);
            } catch (KeeperException.NoNodeException e) {
                inheritClusterAcl();
                client.create().creatingParentsIfNeeded().withMode(mode).forPath(path(name), value);
            }
        } catch (KeeperException.NodeExistsException e) {
            put(name, value, mode);
        } catch (Exception e) {
            throw writeFailed("write " + name, e);
        }
    }

    private void delete(String name) throws DcsException {
        try {
            client.delete().forPath(path(name));
        } catch (KeeperException.NoNodeException e) {
            // already gone
        } catch (Exception e) {
            throw writeFailed("delete " + name, e);
        }
    }

    @Override
    public boolean claimInitialize(String owner) throws DcsException {
        return create("initialize", owner.getBytes(StandardCharsets.UTF_8), CreateMode.PERSISTENT);
    }

    @Override
    public void completeInitialize(String value) throws DcsException {
        put("initialize", value.getBytes(StandardCharsets.UTF_8), CreateMode.PERSISTENT);
    }

    @Override
    public void abandonInitialize() throws DcsException {
        delete("initialize");
    }

    @Override
    public void publishMember(Member member) throws DcsException {
        usableSession();
        if (!aclsAligned && access.authenticated()) alignAcls();
        // A member node left by an earlier session of ours would vanish with it: re-create it in ours.
        try {
            Stat stat = client.checkExists().forPath(path("members/" + member.name()));
            long session = handle().getSessionId();
            if (stat != null && stat.getEphemeralOwner() != session) {
                delete("members/" + member.name());
            }
        } catch (Exception e) {
            throw writeFailed("publish member " + member.name(), e);
        }
        put("members/" + member.name(), Json.bytes(member), CreateMode.EPHEMERAL);
    }

    /**
     * Brings the ACLs of the cluster's nodes (and of its parents up to the namespace) in line with
     * this client's {@code dcs.auth} and {@code dcs.readers}: nodes that anybody may change (written
     * before {@code dcs.auth} was configured), and nodes whose ACL is pgha's identity plus read-only
     * digest identities other than the configured readers (written by agents with another reader
     * list, or before a reader was added), get the ACL this client gives new nodes. Setting an ACL
     * needs ADMIN permission, which both kinds grant this identity; nodes with any other ACL are left
     * as the operator made them. Reads each node's ACL once and writes only those that differ, so it
     * is cheap to repeat.
     */
    private void alignAcls() throws DcsException {
        try {
            List<String> paths = new ArrayList<>();
            for (String p = root; p.lastIndexOf('/') >= 0 && p.length() > 1; p = p.substring(0, p.lastIndexOf('/')))
                paths.add(p);
            for (String child : children(root)) {
                paths.add(path(child));
                try {
                    for (String grandchild : children(path(child))) paths.add(path(child + "/" + grandchild));
                } catch (KeeperException.NoAuthException e) {
                    // its ACL is an operator's (reported below)
                }
            }
            int changed = 0;
            for (String p : paths) {
                try {
                    List<ACL> found = client.getACL().forPath(p);
                    List<ACL> wanted = access.aclFor(p, root);
                    if (!new java.util.HashSet<>(found).equals(new java.util.HashSet<>(wanted))
                            && access.replaceable(found)) {
                        client.setACL().withACL(wanted).forPath(p);
                        changed++;
                    }
                } catch (KeeperException.NoNodeException e) {
                    // gone meanwhile
                } catch (KeeperException.NoAuthException e) {
                    // an ACL an operator set that does not admit pgha: theirs to keep
                    LOG.warn("cannot check the ACL of {}: it does not admit the identity of dcs.auth", p);
                }
            }
            if (changed > 0)
                LOG.warn("gave {} ZooKeeper node(s) of {} the ACL of dcs.auth and dcs.readers", changed, root);
            aclsAligned = true;
        } catch (Exception e) {
            throw failed("set the ACLs of the nodes of " + root, e, true);
        }
    }

    // ------------------------------------------------------------------ the leader key and its holder's writes

    @Override
    public long leaderGoneNanos() {
        return leaderGoneNanos;
    }

    @Override
    public boolean acquireLeader(String me) throws DcsException {
        usableSession();
        synchronized (leaderLock) {
            for (int attempt = 0; ; attempt++) {
                try {
                    long session = handle().getSessionId();
                    var results = client.transaction().forOperations(leaderCreate(me), termBump(me));
                    held(session, termOf(results));
                    return true;
                } catch (KeeperException.NodeExistsException e) {
                    return false;
                } catch (KeeperException.NoNodeException e) {
                    // the cluster's node or the term node is missing (a cluster made before it existed)
                    if (attempt > 0) throw writeFailed("acquire the leader key", e);
                    ensureTerm();
                } catch (Exception e) {
                    throw writeFailed("acquire the leader key", e);
                }
            }
        }
    }

    /** This session took the leader key, in the transaction that made {@code term} the term. */
    private void held(long session, int term) {
        leaderSession = session;
        leaderVersion = 0;
        leaderTerm = term;
    }

    /** The step that creates the leader key for {@code me}, ephemeral in this session. */
    private CuratorOp leaderCreate(String me) throws Exception {
        return client.transactionOp()
                .create()
                .withMode(CreateMode.EPHEMERAL)
                .forPath(path("leader"), me.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The step of every transaction that takes the leader key: it bumps the {@code term} node's
     * version, which the holder's renewals and writes check and a member that ends an unrenewed lease
     * checks too ({@link UnrenewedLease}), so that none of them can touch a later holder's key.
     */
    private CuratorOp termBump(String me) throws Exception {
        return client.transactionOp().setData().forPath(path("term"), me.getBytes(StandardCharsets.UTF_8));
    }

    /** The step that checks that the key is still of the term this session took it in. */
    private CuratorOp termCheck() throws Exception {
        if (leaderTerm < 0) throw new IllegalStateException("no term: this session does not hold the leader key");
        return client.transactionOp().check().withVersion(leaderTerm).forPath(path("term"));
    }

    /** The term a transaction with {@link #termBump} gave. */
    private int termOf(List<org.apache.curator.framework.api.transaction.CuratorTransactionResult> results) {
        for (var r : results) {
            if (r.getType() == org.apache.curator.framework.api.transaction.OperationType.SET_DATA
                    && r.getForPath().equals(path("term")))
                return r.getResultStat().getVersion();
        }
        throw new IllegalStateException("the transaction that took the leader key answered no term");
    }

    /** Creates the term node (and the cluster's) where it is missing: clusters made before it existed. */
    private void ensureTerm() throws DcsException {
        try {
            if (client.checkExists().forPath(path("term")) != null) return;
            client.create().creatingParentsIfNeeded().forPath(path("term"), new byte[0]);
        } catch (KeeperException.NodeExistsException e) {
            // made meanwhile by another member
        } catch (Exception e) {
            throw writeFailed("create the term node", e);
        }
    }

    /** The leader key and the synchronous record in one ZooKeeper transaction. */
    @Override
    public boolean acquireLeader(String me, SyncState sync) throws DcsException {
        usableSession();
        byte[] record = Json.bytes(sync);
        synchronized (leaderLock) {
            for (int attempt = 0; ; attempt++) {
                try {
                    long session = handle().getSessionId();
                    var results =
                            client.transaction().forOperations(leaderCreate(me), writeOp("sync", record), termBump(me));
                    held(session, termOf(results));
                    return true;
                } catch (KeeperException.NodeExistsException e) {
                    // somebody holds the leader key (a second attempt fails the same way), or the record
                    // was created meanwhile (a second attempt sets it)
                    if (attempt > 0) return false;
                } catch (KeeperException.NoNodeException e) {
                    // the cluster's node, the record or the term node is missing: the term made, then once
                    // more, then the two steps, which create parents
                    if (attempt > 0) return Dcs.super.acquireLeader(me, sync);
                    ensureTerm();
                } catch (Exception e) {
                    throw writeFailed("acquire the leader key", e);
                }
            }
        }
    }

    @Override
    public boolean renewLeader(String me) throws DcsException {
        usableSession();
        synchronized (leaderLock) {
            if (leaderVersion < 0) return false;
            try {
                if (handle().getSessionId() != leaderSession) {
                    leaderVersion = -1;
                    return false;
                }
                Stat stat;
                try {
                    stat = renewAt(me, leaderVersion);
                } catch (KeeperException.BadVersionException e) {
                    // An earlier renewal may have been applied although its answer was lost: still ours if
                    // this session owns the node and the term is still the one it was taken in.
                    Stat now = client.checkExists().forPath(path("leader"));
                    Stat term = client.checkExists().forPath(path("term"));
                    if (now == null
                            || now.getEphemeralOwner() != leaderSession
                            || term == null
                            || term.getVersion() != leaderTerm) throw e;
                    stat = renewAt(me, now.getVersion());
                }
                if (stat.getEphemeralOwner() != leaderSession) {
                    leaderVersion = -1;
                    return false;
                }
                leaderVersion = stat.getVersion();
                return true;
            } catch (KeeperException.NoNodeException
                    | KeeperException.BadVersionException
                    | KeeperException.SessionExpiredException e) {
                leaderVersion = -1;
                return false;
            } catch (Exception e) {
                throw writeFailed("renew the leader key", e);
            }
        }
    }

    /**
     * One renewal: the key's version bumped from {@code version}, in a transaction that checks the
     * term, so that a renewal that comes late (answered after an outage) can never land on a later
     * holder's key, whose versions start again at 0.
     */
    private Stat renewAt(String me, int version) throws Exception {
        var results = client.transaction()
                .forOperations(
                        termCheck(),
                        client.transactionOp()
                                .setData()
                                .withVersion(version)
                                .forPath(path("leader"), me.getBytes(StandardCharsets.UTF_8)));
        for (var r : results) {
            if (r.getType() == org.apache.curator.framework.api.transaction.OperationType.SET_DATA)
                return r.getResultStat();
        }
        throw new IllegalStateException("the renewal's transaction answered no version");
    }

    @Override
    public boolean reclaimLeader(String me) throws DcsException {
        usableSession();
        synchronized (leaderLock) {
            try {
                long session = handle().getSessionId();
                Stat stat = new Stat();
                byte[] value = null;
                try {
                    value = client.getData().storingStatIn(stat).forPath(path("leader"));
                } catch (KeeperException.NoNodeException e) {
                    stat = null;
                }
                if (stat != null) {
                    if (stat.getEphemeralOwner() == session) {
                        // this session took it, so the term is the one it took it in
                        Stat term = client.checkExists().forPath(path("term"));
                        if (term == null) return false;
                        held(session, term.getVersion());
                        leaderVersion = stat.getVersion();
                        return me.equals(new String(value, StandardCharsets.UTF_8));
                    }
                    if (!me.equals(new String(value, StandardCharsets.UTF_8))) return false;
                    try {
                        client.delete().withVersion(stat.getVersion()).forPath(path("leader"));
                    } catch (KeeperException.NoNodeException gone) {
                        // the old session expired meanwhile and took the key with it: create it all the same
                    }
                }
                ensureTerm();
                var results = client.transaction().forOperations(leaderCreate(me), termBump(me));
                held(session, termOf(results));
                return true;
            } catch (KeeperException.NodeExistsException
                    | KeeperException.BadVersionException
                    | KeeperException.NoNodeException e) {
                return false;
            } catch (Exception e) {
                throw writeFailed("reclaim the leader key", e);
            }
        }
    }

    @Override
    public void releaseLeader(String me) throws DcsException {
        synchronized (leaderLock) {
            try {
                // Deleted only when this session owns it (whatever its version after lost answers).
                Stat stat = client.checkExists().forPath(path("leader"));
                long session = handle().getSessionId();
                if (stat != null && stat.getEphemeralOwner() == session) {
                    client.delete().withVersion(stat.getVersion()).forPath(path("leader"));
                }
            } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
                // not ours any more
            } catch (Exception e) {
                throw writeFailed("release the leader key", e);
            } finally {
                leaderVersion = -1;
                leaderTerm = -1;
            }
        }
    }

    /**
     * One read of the failover request and one multi: the request replaced (or deleted) at the
     * version read, and the leader key deleted at the version this session's last renewal left.
     * Anything else (no request, a concurrent change, a key this session no longer holds at that
     * version, an answer lost after the multi went through) takes the two separate steps, which
     * check ownership themselves and do nothing where the multi already did it.
     */
    @Override
    public void handOver(String me, UnaryOperator<FailoverRequest> change) throws DcsException {
        usableSession();
        synchronized (leaderLock) {
            try {
                if (leaderVersion >= 0 && handle().getSessionId() == leaderSession) {
                    Stat stat = new Stat();
                    byte[] current = client.getData().storingStatIn(stat).forPath(path("failover"));
                    FailoverRequest after = change.apply(Json.parse(current, FailoverRequest.class));
                    var ops = client.transactionOp();
                    client.transaction()
                            .forOperations(
                                    after == null
                                            ? ops.delete()
                                                    .withVersion(stat.getVersion())
                                                    .forPath(path("failover"))
                                            : ops.setData()
                                                    .withVersion(stat.getVersion())
                                                    .forPath(path("failover"), Json.bytes(after)),
                                    termCheck(),
                                    ops.delete().withVersion(leaderVersion).forPath(path("leader")));
                    leaderVersion = -1;
                    return;
                }
            } catch (KeeperException.NoNodeException | KeeperException.BadVersionException | IOException e) {
                // taken apart below
            } catch (Exception e) {
                throw writeFailed("hand over the leader key", e);
            }
        }
        Dcs.super.handOver(me, change);
    }

    @Override
    public boolean writeSync(String me, SyncState state) throws DcsException {
        return writeAsLeader("sync", Json.bytes(state), "the synchronous record");
    }

    @Override
    public boolean publishSlots(String me, Map<String, Lsn> positions) throws DcsException {
        return writeAsLeader("slots", Json.bytes(new SlotPositions(me, positions)), "the slot positions");
    }

    /** Writes {@code name} in one transaction with a check that this session still holds the leader key. */
    private boolean writeAsLeader(String name, byte[] value, String what) throws DcsException {
        usableSession();
        synchronized (leaderLock) {
            if (leaderVersion < 0) return false;
            try {
                if (handle().getSessionId() != leaderSession) return false;
                client.transaction()
                        .forOperations(
                                termCheck(),
                                client.transactionOp()
                                        .check()
                                        .withVersion(leaderVersion)
                                        .forPath(path("leader")),
                                writeOp(name, value));
                return true;
            } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
                return false;
            } catch (KeeperException.NodeExistsException e) {
                return writeAsLeader(name, value, what);
            } catch (Exception e) {
                throw writeFailed("write " + what, e);
            }
        }
    }

    /** A transaction's step that writes {@code name}: a set where the node exists, else a create. */
    private CuratorOp writeOp(String name, byte[] value) throws Exception {
        var ops = client.transactionOp();
        return client.checkExists().forPath(path(name)) != null
                ? ops.setData().forPath(path(name), value)
                : ops.create().forPath(path(name), value);
    }

    @Override
    public void publishLeaderOptime(Lsn lsn) throws DcsException {
        put("optime", lsn.toString().getBytes(StandardCharsets.UTF_8), CreateMode.PERSISTENT);
    }

    // ------------------------------------------------------------------ records changed by compare-and-set

    /** Decodes a node's bytes. */
    private interface Decoder<T> {
        T decode(byte[] data) throws IOException;
    }

    /**
     * Read-modify-write with the node version as guard; retried when another writer won, after a
     * pause of a few random milliseconds so that writers racing each other fall out of step. A change
     * returning null deletes the node.
     */
    private <T> T compareAndSet(String name, Decoder<T> decoder, T absent, UnaryOperator<T> change)
            throws DcsException {
        for (int attempt = 0; attempt < 50; attempt++) {
            if (attempt > 0) backOff();
            try {
                Stat stat = new Stat();
                byte[] current;
                try {
                    current = client.getData().storingStatIn(stat).forPath(path(name));
                } catch (KeeperException.NoNodeException e) {
                    current = null;
                }
                T before = current == null ? absent : decoder.decode(current);
                T after = change.apply(before);
                if (after == null) {
                    if (current != null)
                        client.delete().withVersion(stat.getVersion()).forPath(path(name));
                    return null;
                }
                if (current == null) {
                    inheritClusterAcl();
                    client.create().creatingParentsIfNeeded().forPath(path(name), Json.bytes(after));
                } else {
                    client.setData().withVersion(stat.getVersion()).forPath(path(name), Json.bytes(after));
                }
                return after;
            } catch (KeeperException.BadVersionException
                    | KeeperException.NodeExistsException
                    | KeeperException.NoNodeException e) {
                // someone else changed it in between: read again
            } catch (IOException e) {
                throw new DcsException("unreadable " + name + " in the DCS: " + e.getMessage(), e);
            } catch (Exception e) {
                throw writeFailed("update " + name, e);
            }
        }
        throw new DcsException("cannot update " + name + ": too many concurrent changes");
    }

    private static void backOff() throws DcsException {
        try {
            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(1, 6));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DcsException("interrupted while updating the DCS", e);
        }
    }

    /**
     * A config entry that does not validate is replaced: the change applies to what {@link #read}
     * showed instead (the last valid config, or the stand-in), which is how {@code pgha edit-config}
     * repairs a damaged entry.
     */
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
        if (create("failover", Json.bytes(request), CreateMode.PERSISTENT)) return true;
        try {
            Stat stat = new Stat();
            byte[] current = client.getData().storingStatIn(stat).forPath(path("failover"));
            try {
                ClusterDecoder.failover(current);
                return false;
            } catch (ClusterDecoder.Invalid e) {
                client.setData().withVersion(stat.getVersion()).forPath(path("failover"), Json.bytes(request));
                LOG.warn("replaced a failover entry that does not parse ({})", e.getMessage());
                return true;
            }
        } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
            return false; // changed meanwhile: another request got there first
        } catch (Exception e) {
            throw writeFailed("request a failover", e);
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
        delete("failover");
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

    @Override
    public long sessionTimeoutMs() {
        try {
            int negotiated = handle().getSessionTimeout();
            return negotiated > 0 ? negotiated : client.getZookeeperClient().getConnectionTimeoutMs() * 3L;
        } catch (Exception e) {
            return client.getZookeeperClient().getConnectionTimeoutMs() * 3L;
        }
    }

    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
        watch();
    }

    @Override
    public void close() {
        var executor = unrenewedLeases;
        if (executor != null) executor.shutdownNow();
        watcher.close();
        client.close();
    }
}
