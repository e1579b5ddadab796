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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.CuratorCache;
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
 * included, with an ACL for that identity alone. A member also closes nodes of its cluster left
 * open by clients without authentication (clusters set up before {@code dcs.auth}) once per
 * client, at its first {@link #publishMember}.
 */
public final class ZooKeeperDcs implements Dcs {
    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperDcs.class);
    private static final TypeReference<List<HistoryEntry>> HISTORY = new TypeReference<>() {};

    private final CuratorFramework client;
    private final String root;
    private final CuratorCache cache;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> allListeners = new CopyOnWriteArrayList<>();
    private final Object leaderLock = new Object();
    private final ClusterDecoder decoder;
    /** The session timeout asked for. */
    private final long requestedSessionMs;
    /** Whether a session whose granted timeout differs from the one asked for is refused. */
    private final boolean exactSession;

    private final ZooKeeperAccess access;
    private final String connectString;
    /** Whether open nodes left from before authentication were looked for (members only). */
    private volatile boolean openNodesClosed;

    private long leaderSession;
    private int leaderVersion = -1;

    private ZooKeeperDcs(
            CuratorFramework client,
            String root,
            long requestedSessionMs,
            boolean exactSession,
            ZooKeeperAccess access,
            String connectString) {
        this.client = client;
        this.connectString = connectString;
        this.access = access;
        this.root = root;
        this.cache = CuratorCache.builder(client, root).build();
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
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .authorization(access.authInfo())
                .aclProvider(access.aclProvider())
                .zkClientConfig(access.clientConfig())
                .sessionTimeoutMs((int) sessionTimeoutMs)
                .connectionTimeoutMs((int) Math.max(500, sessionTimeoutMs / 3))
                .waitForShutdownTimeoutMs(2000)
                .retryPolicy(new RetryOneTime(100))
                .build();
        client.start();
        String ns = namespace.equals("/") ? "" : namespace;
        ZooKeeperDcs dcs = new ZooKeeperDcs(client, ns + "/" + cluster, sessionTimeoutMs, exact, access, connect);
        client.getConnectionStateListenable().addListener((c, state) -> dcs.connectionChanged(state));
        dcs.cache.listenable().addListener((type, oldData, data) -> {
            for (Runnable r : dcs.allListeners) r.run();
            if (dcs.relevant(type, data != null ? data.getPath() : oldData != null ? oldData.getPath() : ""))
                dcs.fire();
        });
        dcs.cache.start();
        return dcs;
    }

    @Override
    public boolean awaitConnected(long timeoutMs) throws InterruptedException {
        return client.blockUntilConnected((int) timeoutMs, TimeUnit.MILLISECONDS);
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
            return client.getZookeeperClient().getZooKeeper().getSessionTimeout();
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * Whether a change should wake agents. Members rewrite their own record and the primary its
     * position all the time; waking every agent for those would make each cycle trigger the next.
     * Members joining or leaving, and every other key, do wake them.
     */
    boolean relevant(org.apache.curator.framework.recipes.cache.CuratorCacheListener.Type type, String changedPath) {
        boolean dataOnly = type == org.apache.curator.framework.recipes.cache.CuratorCacheListener.Type.NODE_CHANGED;
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

    private void fire() {
        for (Runnable r : listeners) r.run();
    }

    @Override
    public void onAnyChange(Runnable listener) {
        allListeners.add(listener);
    }

    @Override
    public void publishRouter(RouterStatus status) throws DcsException {
        try {
            Stat stat = client.checkExists().forPath(path("routers/" + status.name()));
            long session = client.getZookeeperClient().getZooKeeper().getSessionId();
            if (stat != null && stat.getEphemeralOwner() != session) delete("routers/" + status.name());
        } catch (Exception e) {
            throw unreachable("publish router " + status.name(), e);
        }
        put("routers/" + status.name(), Json.bytes(status), CreateMode.EPHEMERAL);
    }

    @Override
    public List<RouterStatus> routers() throws DcsException {
        try {
            List<RouterStatus> out = new java.util.ArrayList<>();
            for (String n : children(path("routers"))) {
                byte[] d = data(path("routers/" + n));
                if (d != null) out.add(Json.parse(d, RouterStatus.class));
            }
            out.sort(java.util.Comparator.comparing(RouterStatus::name));
            return out;
        } catch (Exception e) {
            throw unreachable("read routers", e);
        }
    }

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
            Map<String, byte[]> members = new HashMap<>();
            for (String n : children(path("members"))) {
                byte[] d = data(path("members/" + n));
                if (d != null) members.put(n, d);
            }
            raw = new ClusterDecoder.Raw(
                    data(path("initialize")),
                    data(path("leader")),
                    members,
                    data(path("config")),
                    data(path("failover")),
                    data(path("optime")),
                    data(path("history")),
                    data(path("sync")),
                    data(path("slots")));
        } catch (Exception e) {
            throw unreachable("read the cluster", e);
        }
        return decoder.decode(raw);
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

    private DcsException unreachable(String what, Exception e) {
        if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        String hint = e instanceof KeeperException.SessionExpiredException
                        && access.authInfo().isEmpty()
                ? " (a server that requires authentication ends the session of a client without dcs.auth)"
                : "";
        return new DcsException("cannot " + what + ": ZooKeeper " + describe(e) + hint, e);
    }

    private static String describe(Exception e) {
        if (e instanceof KeeperException.SessionClosedRequireAuthException) {
            return "refused this client, which did not authenticate: the server requires it (give dcs.auth)";
        }
        if (e instanceof KeeperException.NoAuthException) {
            return "refused access (noauth): the node's ACL does not admit this client's credential (check dcs.auth)";
        }
        return e instanceof KeeperException k
                ? k.code().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                : e.toString();
    }

    private boolean create(String name, byte[] value, CreateMode mode) throws DcsException {
        try {
            client.create().creatingParentsIfNeeded().withMode(mode).forPath(path(name), value);
            return true;
        } catch (KeeperException.NodeExistsException e) {
            return false;
        } catch (Exception e) {
            throw unreachable("create " + name, e);
        }
    }

    private void put(String name, byte[] value, CreateMode mode) throws DcsException {
        try {
            try {
                client.setData().forPath(path(name), value);
            } catch (KeeperException.NoNodeException e) {
                client.create().creatingParentsIfNeeded().withMode(mode).forPath(path(name), value);
            }
        } catch (KeeperException.NodeExistsException e) {
            put(name, value, mode);
        } catch (Exception e) {
            throw unreachable("write " + name, e);
        }
    }

    private void delete(String name) throws DcsException {
        try {
            client.delete().forPath(path(name));
        } catch (KeeperException.NoNodeException e) {
            // already gone
        } catch (Exception e) {
            throw unreachable("delete " + name, e);
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
        if (!openNodesClosed && access.authenticated()) closeOpenNodes();
        // A member node left by an earlier session of ours would vanish with it: re-create it in ours.
        try {
            Stat stat = client.checkExists().forPath(path("members/" + member.name()));
            long session = client.getZookeeperClient().getZooKeeper().getSessionId();
            if (stat != null && stat.getEphemeralOwner() != session) {
                delete("members/" + member.name());
            }
        } catch (Exception e) {
            throw unreachable("publish member " + member.name(), e);
        }
        put("members/" + member.name(), Json.bytes(member), CreateMode.EPHEMERAL);
    }

    /**
     * Gives this client's ACL to the nodes of the cluster (and its parents up to the namespace) that
     * anybody may change, such as those written before {@code dcs.auth} was configured. Setting an
     * ACL needs ADMIN permission, which such open nodes grant to everyone; nodes with any other ACL
     * are left as the operator made them.
     */
    private void closeOpenNodes() throws DcsException {
        try {
            List<String> paths = new ArrayList<>();
            for (String p = root; p.lastIndexOf('/') >= 0 && p.length() > 1; p = p.substring(0, p.lastIndexOf('/')))
                paths.add(p);
            for (String child : children(root)) {
                paths.add(path(child));
                for (String grandchild : children(path(child))) paths.add(path(child + "/" + grandchild));
            }
            int closed = 0;
            for (String p : paths) {
                try {
                    if (client.getACL().forPath(p).contains(new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.ANYONE_ID_UNSAFE))) {
                        client.setACL().withACL(access.acl()).forPath(p);
                        closed++;
                    }
                } catch (KeeperException.NoNodeException e) {
                    // gone meanwhile
                }
            }
            if (closed > 0)
                LOG.warn("gave {} ZooKeeper node(s) of {} that anybody could change the ACL of dcs.auth", closed, root);
            openNodesClosed = true;
        } catch (Exception e) {
            throw unreachable("secure the nodes of " + root, e);
        }
    }

    @Override
    public boolean acquireLeader(String me) throws DcsException {
        usableSession();
        synchronized (leaderLock) {
            try {
                long session = client.getZookeeperClient().getZooKeeper().getSessionId();
                client.create()
                        .creatingParentsIfNeeded()
                        .withMode(CreateMode.EPHEMERAL)
                        .forPath(path("leader"), me.getBytes(StandardCharsets.UTF_8));
                leaderSession = session;
                leaderVersion = 0;
                return true;
            } catch (KeeperException.NodeExistsException e) {
                return false;
            } catch (Exception e) {
                throw unreachable("acquire the leader key", e);
            }
        }
    }

    @Override
    public boolean renewLeader(String me) throws DcsException {
        usableSession();
        synchronized (leaderLock) {
            if (leaderVersion < 0) return false;
            try {
                if (client.getZookeeperClient().getZooKeeper().getSessionId() != leaderSession) {
                    leaderVersion = -1;
                    return false;
                }
                Stat stat;
                try {
                    stat = client.setData()
                            .withVersion(leaderVersion)
                            .forPath(path("leader"), me.getBytes(StandardCharsets.UTF_8));
                } catch (KeeperException.BadVersionException e) {
                    // An earlier renewal may have been applied although its answer was lost: still ours if
                    // this session owns the node.
                    Stat now = client.checkExists().forPath(path("leader"));
                    if (now == null || now.getEphemeralOwner() != leaderSession) throw e;
                    stat = client.setData()
                            .withVersion(now.getVersion())
                            .forPath(path("leader"), me.getBytes(StandardCharsets.UTF_8));
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
                throw unreachable("renew the leader key", e);
            }
        }
    }

    @Override
    public boolean reclaimLeader(String me) throws DcsException {
        usableSession();
        synchronized (leaderLock) {
            try {
                long session = client.getZookeeperClient().getZooKeeper().getSessionId();
                Stat stat = new Stat();
                byte[] value = null;
                try {
                    value = client.getData().storingStatIn(stat).forPath(path("leader"));
                } catch (KeeperException.NoNodeException e) {
                    stat = null;
                }
                if (stat != null) {
                    if (stat.getEphemeralOwner() == session) {
                        leaderSession = session;
                        leaderVersion = stat.getVersion();
                        return me.equals(new String(value, StandardCharsets.UTF_8));
                    }
                    if (!me.equals(new String(value, StandardCharsets.UTF_8))) return false;
                    client.delete().withVersion(stat.getVersion()).forPath(path("leader"));
                }
                client.create()
                        .creatingParentsIfNeeded()
                        .withMode(CreateMode.EPHEMERAL)
                        .forPath(path("leader"), me.getBytes(StandardCharsets.UTF_8));
                leaderSession = session;
                leaderVersion = 0;
                return true;
            } catch (KeeperException.NodeExistsException
                    | KeeperException.BadVersionException
                    | KeeperException.NoNodeException e) {
                return false;
            } catch (Exception e) {
                throw unreachable("reclaim the leader key", e);
            }
        }
    }

    @Override
    public void releaseLeader(String me) throws DcsException {
        synchronized (leaderLock) {
            try {
                // Deleted only when this session owns it (whatever its version after lost answers).
                Stat stat = client.checkExists().forPath(path("leader"));
                long session = client.getZookeeperClient().getZooKeeper().getSessionId();
                if (stat != null && stat.getEphemeralOwner() == session) {
                    client.delete().withVersion(stat.getVersion()).forPath(path("leader"));
                }
            } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
                // not ours any more
            } catch (Exception e) {
                throw unreachable("release the leader key", e);
            } finally {
                leaderVersion = -1;
            }
        }
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
                if (client.getZookeeperClient().getZooKeeper().getSessionId() != leaderSession) return false;
                boolean exists = client.checkExists().forPath(path(name)) != null;
                var ops = client.transactionOp();
                client.transaction()
                        .forOperations(
                                ops.check().withVersion(leaderVersion).forPath(path("leader")),
                                exists
                                        ? ops.setData().forPath(path(name), value)
                                        : ops.create().forPath(path(name), value));
                return true;
            } catch (KeeperException.NoNodeException | KeeperException.BadVersionException e) {
                return false;
            } catch (KeeperException.NodeExistsException e) {
                return writeAsLeader(name, value, what);
            } catch (Exception e) {
                throw unreachable("write " + what, e);
            }
        }
    }

    @Override
    public void publishLeaderOptime(Lsn lsn) throws DcsException {
        put("optime", lsn.toString().getBytes(StandardCharsets.UTF_8), CreateMode.PERSISTENT);
    }

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
                throw unreachable("update " + name, e);
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
            throw unreachable("request a failover", e);
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
            int negotiated = client.getZookeeperClient().getZooKeeper().getSessionTimeout();
            return negotiated > 0 ? negotiated : client.getZookeeperClient().getConnectionTimeoutMs() * 3L;
        } catch (Exception e) {
            return client.getZookeeperClient().getConnectionTimeoutMs() * 3L;
        }
    }

    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    @Override
    public void close() {
        cache.close();
        client.close();
    }
}
