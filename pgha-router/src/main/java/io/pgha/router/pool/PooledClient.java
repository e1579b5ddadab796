package io.pgha.router.pool;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.pgha.core.config.PoolConfig;
import io.pgha.router.Route;
import io.pgha.router.sql.Classification;
import io.pgha.wire.CancelKey;
import io.pgha.wire.ProtocolViolation;
import io.pgha.wire.SqlState;
import io.pgha.wire.auth.AuthFailure;
import io.pgha.wire.auth.BackendAuth;
import io.pgha.wire.auth.ChannelBinding;
import io.pgha.wire.backend.ErrorResponse;
import io.pgha.wire.frontend.CancelRequest;
import io.pgha.wire.frontend.GssEncRequest;
import io.pgha.wire.frontend.SslRequest;
import io.pgha.wire.frontend.StartupMessage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of the pooled listener. The router speaks the protocol to the client itself: it
 * authenticates the client ({@link ClientAuth}), and lends it a server connection from the {@link
 * ServerPool} when it sends something, until the end of its transaction (transaction mode) or its
 * session (session mode).
 *
 * <p>What a client set up must hold on whichever server it lands on:
 *
 * <ul>
 *   <li>Startup parameters and reported settings (client_encoding, DateStyle, TimeZone,
 *       application_name, extra_float_digits, ...) are kept per client and set on a server whose
 *       values differ, by a query whose replies the client never sees.
 *   <li>Protocol-level named prepared statements are carried: the router gives each distinct
 *       statement a server-side name, prepares it on a server that lacks it right before the Bind or
 *       Describe that needs it, and swallows that ParseComplete.
 *   <li>Session state the router cannot carry (SET, LISTEN, advisory locks, temp tables, WITH HOLD
 *       cursors, SQL PREPARE; found by the statement classifier) pins the client to its server
 *       until it disconnects; the server is then reset with DISCARD ALL before it is lent again.
 * </ul>
 *
 * <p>With load_balance, each batch (up to Sync or a Query) is routed by what it does: reads to a
 * standby (read-your-writes: one that has replayed the client's last commit), the rest to the
 * primary. Users missing from the auth file are looked up with auth_query before the challenge.
 * A client of the virtual database {@code pgha} talks to the admin console ({@link AdminConsole})
 * and never gets a server.
 *
 * <p>Sections: startup and authentication (TLS, cert, auth_query), lending a server, client
 * messages and the split, server messages, the admin console, cancel and close.
 *
 * Everything runs on the listener's one event loop, with the server connections: no locks.
 */
@SuppressWarnings("FutureReturnValueIgnored")
final class PooledClient extends SimpleChannelInboundHandler<Object> {
    private static final Logger LOG = LoggerFactory.getLogger(PooledClient.class);
    private static final Pattern GUC = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

    enum Phase {
        STARTUP,
        AUTH,
        LOGIN,
        READY,
        CLOSED
    }

    /** A ParseComplete or CloseComplete the server owes: forward it, or swallow it (injected). */
    private record Expect(int gen, boolean swallow, String prepares, String closes) {}

    /** A client's named statement: its server-side name and the Parse body after the name. */
    private record Stmt(String serverName, byte[] rest) {}

    private final PoolListener listener;
    private ChannelHandlerContext ctx;
    Phase phase = Phase.STARTUP;
    String user;
    String database;
    private final Map<String, String> wanted = new LinkedHashMap<>();
    private ClientAuth auth;
    private Supplier<BackendAuth> logins;
    CancelKey key;
    ServerConn server;
    private boolean acquiring;
    private final Deque<Frame> queued = new ArrayDeque<>();
    private int sentGen;
    private int ackGen;
    private int swallowZ;
    private Runnable afterSwallow;
    private final Deque<Expect> expect1 = new ArrayDeque<>();
    private final Deque<Expect> expect3 = new ArrayDeque<>();
    private final Map<String, Stmt> statements = new HashMap<>();

    /** The client's session-level SET/RESET texts by setting name, replayed on each server it lands on. */
    private final Map<String, String> settings = new LinkedHashMap<>();

    private final java.util.Set<String> preparing = new java.util.HashSet<>();
    String pinned;

    // ---- the read/write split (transaction mode with load_balance)
    /** The transaction in progress ran on the primary for a write: its commit position is fetched before release. */
    private boolean wrote;
    /** Reads go only to standbys that have replayed this far (the client's last commit, or a token). */
    private long minLsn;
    /** A read waits for a standby to replay up to minLsn until then (nanoTime). */
    private long replayDeadline;
    /** The first column of the swallowed query's row (a position), when one is being read. */
    private String captured;
    /** What the router's own query on the server (whose answer the client never sees) is for. */
    private enum Own {
        SETTINGS(true),
        COMMIT_POSITION(true),
        REPLAY_PROBE(true),
        /** The client is gone: its server is reset before it is lent again. */
        RESET(false),
        /** Statement mode rolls back a transaction the client opened; the client is owed its error. */
        ROLLBACK(false);

        /** Whether a client whose server goes away during this query lost nothing and carries on elsewhere. */
        final boolean carriesOn;

        Own(boolean carriesOn) {
            this.carriesOn = carriesOn;
        }
    }

    private Own own;
    /**
     * The position of the client's last commit could not be read (the lease moved meanwhile): its
     * next read runs on the primary, which reads the position afresh.
     */
    private boolean commitUnknown;

    PooledClient(PoolListener listener) {
        this.listener = listener;
    }

    private PoolConfig cfg() {
        return listener.config();
    }

    /** This client's pool mode: its user's, its database's or the listener's, when it logged in. */
    PoolConfig.Mode mode = PoolConfig.Mode.TRANSACTION;

    /** The settings of this client's pool (resolved afresh: a reload changes sizes and weights). */
    private PoolConfig.Effective pool() {
        return cfg().pool(database, user);
    }

    /** Whether the server goes back between transactions (transaction and statement mode). */
    private boolean pooling() {
        return mode != PoolConfig.Mode.SESSION;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        var from = address();
        String refused = listener.admit(this, from == null ? null : from.getAddress());
        if (refused != null) {
            fatal("53300", refused);
            return;
        }
        countedUnauthenticated = true;
        long timeout = cfg().limits().clientLoginTimeoutMs();
        loginTimer = ctx.executor()
                .schedule(
                        () -> {
                            if (phase == Phase.STARTUP || phase == Phase.AUTH)
                                fatal(
                                        "57014",
                                        "canceling authentication due to timeout (client_login_timeout " + timeout
                                                + " ms)");
                        },
                        timeout,
                        java.util.concurrent.TimeUnit.MILLISECONDS);
        ctx.channel().config().setAutoRead(true);
    }

    /**
     * client_login_timeout, cancelled once the client has logged in or gone: a pending timer holds
     * the whole client (channel, pipeline, buffers) until it fires, which under connection churn
     * filled the old generation with closed clients and drove the router into back-to-back full
     * collections.
     */
    private io.netty.util.concurrent.ScheduledFuture<?> loginTimer;

    private void cancelLoginTimer() {
        if (loginTimer != null) {
            loginTimer.cancel(false);
            loginTimer = null;
        }
    }

    /** When the client connected (ms since the epoch). */
    final long connectedAt = System.currentTimeMillis();
    /** Counted among the listener's clients that have not authenticated yet. */
    boolean countedUnauthenticated;
    /** Logged in to the admin console (the virtual database pgha). */
    boolean admin;

    java.net.InetSocketAddress address() {
        return ctx == null ? null : (java.net.InetSocketAddress) ctx.channel().remoteAddress();
    }

    /** For SHOW CLIENTS: login, active (holds a server), waiting (for one), idle. */
    String state() {
        if (phase == Phase.STARTUP || phase == Phase.AUTH || phase == Phase.LOGIN) return "login";
        if (admin) return "console";
        if (server != null) return "active";
        return queued.isEmpty() ? "idle" : "waiting";
    }

    /** The position this client's reads must see, as text ("" for none). */
    String readLsn() {
        return minLsn == 0 ? "" : new io.pgha.core.model.Lsn(minLsn).toString();
    }

    /** RESUME: the transaction that waited goes on. */
    void resumed() {
        if (phase == Phase.READY) dispatch();
    }

    /** KILL on the admin console. */
    void killed() {
        if (server != null) detach(false);
        fatal(SqlState.ADMIN_SHUTDOWN, "pgha pool: disconnected by KILL on the admin console");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.CLOSED) return;
        if (msg instanceof SslRequest || msg instanceof GssEncRequest) {
            encryptionRequest(msg instanceof SslRequest);
        } else if (msg instanceof CancelRequest c) {
            listener.cancel(c.key());
            close();
        } else if (msg instanceof StartupMessage m) {
            startup(m);
        } else if (msg instanceof Frame f) {
            frame(f);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        if (server != null) server.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                ? cause.getCause()
                : cause;
        if (c instanceof ProtocolViolation v) fatal(v.sqlState(), v.getMessage());
        else {
            LOG.debug("pooled client: {}", c.toString());
            close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelLoginTimer();
        phase = Phase.CLOSED;
        listener.gone(this);
        if (server != null) giveBack();
    }

    // ------------------------------------------------------------------ startup and authentication

    /** TLS on the pooled listener, when the router has a certificate and client_tls_sslmode allows it. */
    private io.netty.handler.ssl.SslHandler tls;

    private void encryptionRequest(boolean ssl) {
        var decoder = ctx.pipeline().get(FrameDecoder.class);
        if (tls != null) {
            fatal(SqlState.PROTOCOL_VIOLATION, "encryption was already negotiated on this connection");
            return;
        }
        if (decoder != null && decoder.dataAfterEncryptionRequest) {
            fatal(
                    SqlState.PROTOCOL_VIOLATION,
                    "received unencrypted data after " + (ssl ? "SSL" : "GSSAPI encryption") + " request");
            return;
        }
        io.netty.handler.ssl.SslContext context = listener.clientTls();
        boolean yes = ssl && context != null && !cfg().tls().clientSslmode().equals("disable");
        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {(byte) (yes ? 'S' : 'N')}));
        if (yes) {
            tls = context.newHandler(ctx.alloc());
            ctx.pipeline().addFirst("tls", tls);
        }
    }

    /** The user a verified client certificate names (its subject's common name); null without one. */
    private String certificateUser() {
        if (tls == null) return null;
        try {
            var peer = tls.engine().getSession().getPeerCertificates();
            if (peer.length == 0 || !(peer[0] instanceof java.security.cert.X509Certificate x)) return null;
            for (var rdn :
                    new javax.naming.ldap.LdapName(x.getSubjectX500Principal().getName()).getRdns())
                if (rdn.getType().equalsIgnoreCase("CN")) return String.valueOf(rdn.getValue());
            return null;
        } catch (javax.net.ssl.SSLPeerUnverifiedException | javax.naming.InvalidNameException e) {
            return null;
        }
    }

    private void startup(StartupMessage m) {
        if (tls == null && cfg().tls().clientSslmode().equals("require")) {
            fatal("28000", "the pgha pool requires TLS (client_tls_sslmode require): connect with sslmode=require");
            return;
        }
        if (m.replication()) {
            fatal(SqlState.FEATURE_NOT_SUPPORTED, "replication connections are not supported on the pooled port");
            return;
        }
        user = m.user();
        database = m.database();
        java.util.List<String> unknownOptions = new java.util.ArrayList<>();
        for (var e : m.parameters().entrySet()) {
            String k = e.getKey();
            if (k.equals("user") || k.equals("database")) continue;
            if (k.startsWith("_pq_.")) {
                unknownOptions.add(k);
                continue;
            }
            if (k.equals("options")) {
                fatal(
                        SqlState.FEATURE_NOT_SUPPORTED,
                        "the startup parameter options (-c settings) is not supported on the"
                                + " pooled port; set them with SET after connecting, or with ALTER ROLE ... SET");
                return;
            }
            if (!GUC.matcher(k).matches()) {
                fatal(SqlState.PROTOCOL_VIOLATION, "invalid startup parameter name");
                return;
            }
            wanted.put(k, e.getValue());
        }
        if ((m.protocol() & 0xffff) != 0 || !unknownOptions.isEmpty()) negotiate(unknownOptions);
        Secret secret = listener.secret(user);
        String refusal = passwordlessRefusal(secret);
        if (refusal != null) {
            LOG.info("pool: client {} as {}: {}", ctx.channel().remoteAddress(), user, refusal);
            listener.authFailed();
            fatal(
                    "28000",
                    cfg().authType().equals("trust")
                            ? "no such user \"" + user + "\" in the router's auth file"
                            : "certificate authentication failed for user \"" + user + "\"");
            return;
        }
        if (cfg().authType().equals("trust") || cfg().authType().equals("cert")) {
            ctx.write(Unpooled.wrappedBuffer(ClientAuth.auth(io.pgha.wire.auth.BackendAuth.OK, new byte[0])));
            logins = ClientAuth.withSecret(user, secret);
            afterAuthentication();
            return;
        }
        String authUser = cfg().admin().authUser();
        if (secret == null
                && authUser != null
                && !user.equals(authUser)
                && !PoolConfig.ADMIN_DATABASE.equals(database)) {
            lookUp(authUser);
            return;
        }
        challenge(secret);
    }

    /**
     * For the logins that ask no password: why this one is refused (for the log), or null when it may go on, or
     * when the auth type asks for a password. Trust (PgBouncer's) lets in the users of the auth file only; cert
     * the user its verified client certificate names.
     */
    private String passwordlessRefusal(Secret secret) {
        return switch (cfg().authType()) {
            case "trust" -> secret == null ? "not in the auth file (auth_type trust)" : null;
            case "cert" -> {
                String named = certificateUser();
                if (named == null) yield "no verified client certificate";
                yield named.equals(user) ? null : "the certificate names " + named;
            }
            default -> null;
        };
    }

    private void challenge(Secret secret) {
        auth = new ClientAuth(
                user,
                secret,
                ClientAuth.Method.of(cfg().authType()),
                listener.mockSecret(),
                listener.derived(user, secret));
        // over TLS SCRAM-SHA-256-PLUS is offered, bound to the router's own certificate
        if (tls != null)
            auth.bindChannel(ChannelBinding.of(tls.engine().getSession().getLocalCertificates()));
        phase = Phase.AUTH;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(auth.start()));
    }

    /**
     * auth_query: the user is not in the auth file, so the router asks the primary, logged in as
     * auth_user, for the user's secret (the query's second column, by its first), then challenges the
     * client with it. A user the query does not return gets the same refusal as a wrong password.
     */
    private void lookUp(String authUser) {
        phase = Phase.AUTH;
        listener.pool()
                .acquire(
                        new PoolKey(database, authUser),
                        ClientAuth.withSecret(authUser, listener.secret(authUser)),
                        Map.of(),
                        s -> {
                            if (phase == Phase.CLOSED) {
                                listener.pool().release(s);
                                return;
                            }
                            String[] found = new String[2];
                            String[] failed = new String[1];
                            s.sink = f -> {
                                if (f == null) {
                                    s.sink = null;
                                    listener.pool().discard(s);
                                    lookedUp(null, "the server connection closed");
                                    return;
                                }
                                switch (f.kind()) {
                                    case 'D' -> {
                                        String[] cols = columns(f.body(), 2);
                                        if (cols != null && found[0] == null) {
                                            found[0] = cols[0];
                                            found[1] = cols[1];
                                        }
                                    }
                                    case 'E' ->
                                        failed[0] =
                                                ErrorResponse.decode(f.body()).message();
                                    case 'Z' -> {
                                        s.sink = null;
                                        listener.pool().release(s);
                                        if (failed[0] != null) lookedUp(null, "auth_query failed: " + failed[0]);
                                        else if (found[1] == null || !user.equals(found[0])) lookedUp(null, null);
                                        else lookedUp(found[1], null);
                                    }
                                    default -> {}
                                }
                            };
                            byte[] q = Frame.cstringBytes(cfg().admin().authQuery());
                            s.send(Frame.of('P', concat(concat(Frame.cstringBytes(""), q), new byte[] {0, 0})));
                            byte[] value = user.getBytes(StandardCharsets.UTF_8);
                            java.nio.ByteBuffer bind = java.nio.ByteBuffer.allocate(2 + 2 + 2 + 4 + value.length + 2);
                            bind.put(new byte[] {0, 0}); // portal "", statement ""
                            bind.putShort((short) 0)
                                    .putShort((short) 1)
                                    .putInt(value.length)
                                    .put(value);
                            bind.putShort((short) 0);
                            s.send(Frame.of('B', bind.array()));
                            s.send(Frame.of('E', new byte[] {0, 0, 0, 0, 0}));
                            s.send(Frame.of('S', new byte[0]));
                            s.flush();
                        },
                        failure -> lookedUp(null, "auth_user cannot log in: " + failure.getMessage()));
    }

    private void lookedUp(String secretText, String problem) {
        if (phase == Phase.CLOSED) return;
        if (problem != null) {
            LOG.warn("pool: looking up {} with auth_query: {}", user, problem);
            fatal(SqlState.CANNOT_CONNECT_NOW, "pgha pool: cannot look up user \"" + user + "\" now");
            return;
        }
        Secret secret = null;
        if (secretText != null) {
            try {
                secret = Secret.parse(secretText);
            } catch (IllegalArgumentException e) {
                LOG.warn("pool: auth_query returned a secret for {} that is not a SCRAM verifier or md5 hash", user);
            }
        }
        challenge(secret);
    }

    /** The first {@code n} columns of a DataRow as text (null for a NULL); null when it has fewer. */
    private static String[] columns(byte[] row, int n) {
        if (row.length < 2) return null;
        int count = ((row[0] & 0xff) << 8) | (row[1] & 0xff);
        if (count < n) return null;
        String[] out = new String[n];
        int at = 2;
        for (int i = 0; i < n; i++) {
            if (at + 4 > row.length) return null;
            int len = ((row[at] & 0xff) << 24)
                    | ((row[at + 1] & 0xff) << 16)
                    | ((row[at + 2] & 0xff) << 8)
                    | (row[at + 3] & 0xff);
            at += 4;
            if (len < 0) continue;
            if (at + len > row.length) return null;
            out[i] = new String(row, at, len, StandardCharsets.UTF_8);
            at += len;
        }
        return out;
    }

    /** NegotiateProtocolVersion: the router speaks 3.0 and no protocol extensions. */
    private void negotiate(java.util.List<String> options) {
        ByteBuf b = ctx.alloc().buffer();
        b.writeByte('v').writeInt(0).writeInt(StartupMessage.PROTOCOL_3_0).writeInt(options.size());
        for (String o : options) b.writeBytes(Frame.cstringBytes(o));
        b.setInt(1, b.writerIndex() - 1);
        ctx.write(b);
    }

    private void frame(Frame f) {
        switch (phase) {
            case AUTH -> authenticate(f);
            case LOGIN -> queued.add(f);
            case READY -> {
                if (admin) console(f);
                else ready(f);
            }
            default -> fatal(SqlState.PROTOCOL_VIOLATION, "unexpected message before the startup packet");
        }
    }

    private void authenticate(Frame f) {
        if (f.kind() != 'p') {
            fatal(
                    SqlState.PROTOCOL_VIOLATION,
                    "expected a password response, got message type '" + printable(f.kind()) + "'");
            return;
        }
        try {
            byte[] reply = auth.onPassword(f.body());
            ctx.write(Unpooled.wrappedBuffer(reply));
            if (!auth.done()) return;
        } catch (AuthFailure e) {
            LOG.info("pool: client {} as {}: {}", ctx.channel().remoteAddress(), user, e.detail());
            listener.authFailed();
            fatal("28P01", "password authentication failed for user \"" + user + "\"");
            return;
        }
        logins = auth.backendLogins();
        afterAuthentication();
    }

    private void afterAuthentication() {
        cancelLoginTimer();
        listener.authenticated(this);
        if (PoolConfig.ADMIN_DATABASE.equals(database)) {
            if (!cfg().admin().mayShow(user)) {
                fatal(
                        "28000",
                        "user \"" + user + "\" may not use the admin console (router.pool.admin_users,"
                                + " stats_users)");
                return;
            }
            admin = true;
            consoleReady();
            return;
        }
        mode = pool().mode();
        phase = Phase.LOGIN;
        acquire(this::loggedIn);
    }

    /** The first server this client got: report its settings, the client's key, and ready. */
    private void loggedIn() {
        Map<String, String> report = new LinkedHashMap<>();
        for (String name : server.reported) report.put(name, server.values.get(name));
        for (var e : wanted.entrySet()) if (report.containsKey(e.getKey())) report.put(e.getKey(), e.getValue());
        for (var e : report.entrySet()) {
            byte[] name = Frame.cstringBytes(e.getKey());
            byte[] value = Frame.cstringBytes(e.getValue());
            byte[] body = new byte[name.length + value.length];
            System.arraycopy(name, 0, body, 0, name.length);
            System.arraycopy(value, 0, body, name.length, value.length);
            ctx.write(Frame.of('S', body));
        }
        key = listener.register(this);
        ByteBuf k = ctx.alloc().buffer();
        new io.pgha.wire.backend.BackendKeyData(key).encode(k);
        ctx.write(k);
        phase = Phase.READY;
        ctx.write(Frame.of('Z', new byte[] {'I'}));
        if (queued.isEmpty()) maybeRelease();
        else drainQueue();
        flushBoth();
    }

    // ------------------------------------------------------------------ lending a server

    private void acquire(Runnable then) {
        acquire(new PoolKey(database, user), false, then);
    }

    /** A server from {@code key}'s pool; a standby's that cannot give one sends the client to the primary. */
    private void acquire(PoolKey key, boolean orPrimary, Runnable then) {
        if (acquiring) return;
        acquiring = true;
        listener.pool()
                .acquire(
                        key,
                        logins,
                        wanted,
                        s -> {
                            acquiring = false;
                            if (phase == Phase.CLOSED) {
                                listener.pool().release(s);
                                return;
                            }
                            attach(s, then);
                        },
                        failure -> {
                            acquiring = false;
                            if (phase == Phase.CLOSED) return;
                            if (orPrimary) {
                                LOG.debug("pool: no server on {} for {}: {}", key.member(), user, failure.getMessage());
                                toPrimary(false);
                                return;
                            }
                            if (failure.error != null) {
                                ctx.writeAndFlush(Unpooled.wrappedBuffer(encode(failure.error)))
                                        .addListener(ChannelFutureListener.CLOSE);
                                phase = Phase.CLOSED;
                            } else fatal(SqlState.CANNOT_CONNECT_NOW, "pgha pool: " + failure.getMessage());
                        });
    }

    private static byte[] encode(ErrorResponse e) {
        ByteBuf b = Unpooled.buffer();
        e.encode(b);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private void attach(ServerConn s, Runnable then) {
        server = s;
        sentGen = 0;
        ackGen = 0;
        expect1.clear();
        expect3.clear();
        preparing.clear();
        s.sink = this::fromServer;
        s.readDone = this::flushBoth;
        StringBuilder sets = new StringBuilder();
        for (var e : settings.entrySet()) {
            if (e.getValue().equals(s.applied.get(e.getKey()))) continue;
            sets.append(e.getValue()).append(";\n");
            s.applied.put(e.getKey(), e.getValue());
        }
        for (String name : new java.util.ArrayList<>(s.applied.keySet())) {
            if (settings.containsKey(name)) continue;
            sets.append("RESET ").append(quoteName(name)).append(";\n");
            s.applied.remove(name);
        }
        for (var e : wanted.entrySet()) {
            if (Objects.equals(s.values.get(e.getKey()), e.getValue())) continue;
            sets.append("SET ")
                    .append(e.getKey())
                    .append(" TO '")
                    .append(e.getValue().replace("'", "''"))
                    .append("';");
            s.values.put(e.getKey(), e.getValue());
        }
        if (sets.length() == 0) {
            then.run();
            return;
        }
        swallowZ++;
        own = Own.SETTINGS;
        afterSwallow = then;
        s.send(Frame.query(sets.toString()));
        s.flush();
    }

    /** Transaction mode: the server goes back once every query is answered and no transaction is open. */
    private void maybeRelease() {
        if (server == null || swallowZ > 0) return;
        if (sentGen != ackGen || server.status != 'I') return;
        if (!pooling() || pinned != null) return;
        if (wrote && !server.key.standby() && needsCommitPosition()) {
            // the position of the commit: any position read after it is at or past it
            wrote = false;
            captured = null;
            swallowZ++;
            own = Own.COMMIT_POSITION;
            afterSwallow = () -> {
                if (captured != null) committed(parseLsn(captured));
                maybeRelease();
            };
            server.send(Frame.query("SELECT pg_catalog.pg_current_wal_insert_lsn()"));
            server.flush();
            return;
        }
        wrote = false;
        detach(true);
        if (!queued.isEmpty()) dispatch();
    }

    private boolean needsCommitPosition() {
        PoolConfig.Split sp = cfg().split();
        return sp.loadBalance() && (sp.readYourWrites() || sp.lsnToken());
    }

    /** A transaction of this client committed at or before {@code lsn}. */
    private void committed(long lsn) {
        if (lsn <= minLsn) return;
        minLsn = lsn;
        if (cfg().split().lsnToken()) {
            byte[] name = Frame.cstringBytes(TOKEN);
            byte[] value = Frame.cstringBytes(new io.pgha.core.model.Lsn(lsn).toString());
            ctx.write(Frame.of('S', concat(name, value)));
        }
    }

    /** The ParameterStatus that carries a client's last commit position (lsn_token). */
    static final String TOKEN = "pgha.commit_lsn";

    private static final Pattern MIN_LSN = Pattern.compile(
            "(?is)\\s*SET\\s+(?:SESSION\\s+)?pgha\\.min_lsn\\s*(?:=|TO)\\s*'([0-9a-f]{1,8}/[0-9a-f]{1,8})'\\s*;?\\s*");

    private void detach(boolean reusable) {
        ServerConn s = server;
        server = null;
        own = null;
        s.sink = null;
        s.readDone = null;
        if (reusable) listener.pool().release(s);
        else listener.pool().discard(s);
    }

    /**
     * The client is gone (or done): a clean server goes back as it is; one with session state the
     * router did not carry, or in session mode, is reset with DISCARD ALL first; one in the middle
     * of a transaction or a query is closed.
     */
    private void giveBack() {
        ServerConn s = server;
        boolean clean = swallowZ == 0 && sentGen == ackGen && s.status == 'I';
        if (!clean || !s.usable()) {
            detach(false);
            return;
        }
        if (pinned == null && pooling()) {
            detach(true);
            return;
        }
        swallowZ++;
        own = Own.RESET;
        afterSwallow = () -> {
            s.prepared.clear();
            s.applied.clear();
            s.values.clear();
            s.values.putAll(s.loginValues);
            detach(true);
        };
        s.send(Frame.query("DISCARD ALL"));
        s.flush();
    }

    // ------------------------------------------------------------------ client messages

    private void ready(Frame f) {
        if (f.kind() == 'X') {
            close();
            return;
        }
        if (server == null) {
            queued.add(f);
            dispatch();
            return;
        }
        if (!queued.isEmpty() || swallowZ > 0 || oneBatchAtATime()) {
            queued.add(f);
            return;
        }
        forward(f);
    }

    /**
     * On a standby, the router sends one batch at a time: what the client sends after it may write
     * (a write on a standby fails), so it waits for the answer and is routed on its own. So it does
     * in statement mode, where a batch that opens a transaction is rolled back before the next one
     * may run inside it.
     */
    private boolean oneBatchAtATime() {
        return server != null
                && (server.key.standby() || (mode == PoolConfig.Mode.STATEMENT && pinned == null))
                && sentGen != ackGen;
    }

    private void drainQueue() {
        while (!queued.isEmpty() && server != null && swallowZ == 0 && !oneBatchAtATime()) forward(queued.poll());
        flushBoth();
    }

    private boolean splitting() {
        return cfg().split().loadBalance() && pooling() && pinned == null;
    }

    /** Frames wait with no server: decide where they go (once a whole batch is there) and get a server there. */
    private void dispatch() {
        if (acquiring || server != null || queued.isEmpty()) return;
        if (listener.paused(database)) {
            listener.park(this); // PAUSE: the transaction waits for RESUME
            return;
        }
        if (!splitting()) {
            wrote = true;
            acquire(new PoolKey(database, user), false, this::drainQueue);
            return;
        }
        Boolean read = batchReads();
        if (read == null) return; // the rest of the batch is still to come
        if (read && commitUnknown) {
            // on the primary, which then tells where it is: the client's reads are bounded again
            commitUnknown = false;
            toPrimary(false);
            wrote = true;
            return;
        }
        if (read) {
            probed.clear();
            Route.Backend b = listener.chooseStandby(cfg().split().readYourWrites() ? minLsn : 0, pool(), probed);
            if (b != null) {
                replayDeadline = System.nanoTime() + cfg().split().readYourWritesWaitMs() * 1_000_000L;
                acquire(new PoolKey(database, user, b.member()), true, this::onStandby);
                return;
            }
        }
        toPrimary(!read);
    }

    /** Standbys asked in this round whether they have replayed far enough for the waiting read. */
    private final java.util.Set<String> probed = new java.util.HashSet<>();

    /**
     * A read waits for a standby to replay minLsn: the next standby not asked in this round, or,
     * once every one was, a new round 2 ms later; at the deadline the primary.
     */
    private void nextStandby() {
        if (phase == Phase.CLOSED || server != null) return;
        if (System.nanoTime() >= replayDeadline) {
            listener.replayWait(database, false);
            toPrimary(false);
            return;
        }
        Route.Backend b = listener.chooseStandby(minLsn, pool(), probed);
        if (b != null) {
            acquire(new PoolKey(database, user, b.member()), true, this::onStandby);
            return;
        }
        if (probed.isEmpty()) { // no standby takes reads now
            toPrimary(false);
            return;
        }
        probed.clear();
        ctx.executor().schedule(this::nextStandby, 2, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void toPrimary(boolean write) {
        wrote |= write;
        if (!write) listener.read(database, false);
        acquire(new PoolKey(database, user), false, this::drainQueue);
    }

    /**
     * Whether the queued batch only reads (every statement by PostgreSQL's parser, or a read-only
     * transaction); null while it is incomplete. A batch ends with Sync or a simple Query; one that
     * grows past 256 messages without either, or asks for a Flush, goes to the primary.
     */
    private Boolean batchReads() {
        boolean read = true;
        boolean unnamedParsed = false;
        java.util.Set<String> parsed = null; // named statements parsed in this batch (all read, or read is false)
        int n = 0;
        for (Frame f : queued) {
            n++;
            byte[] b = f.body();
            switch (f.kind()) {
                case 'Q' -> {
                    return read && reads(Frame.cstring(b, 0));
                }
                case 'P' -> {
                    int at = Frame.skipCstring(b, 0);
                    if (at < 0) return false;
                    String name = Frame.cstring(b, 0);
                    if (name.isEmpty()) unnamedParsed = true;
                    else {
                        if (parsed == null) parsed = new java.util.HashSet<>();
                        parsed.add(name);
                    }
                    read &= reads(Frame.cstring(b, at));
                }
                case 'B' -> {
                    int at = Frame.skipCstring(b, 0);
                    String name = at < 0 ? "" : Frame.cstring(b, at);
                    read &= name.isEmpty() ? unnamedParsed : statementReads(name, parsed);
                }
                case 'D' -> {
                    if (b.length > 1 && b[0] == 'S') {
                        String name = Frame.cstring(b, 1);
                        read &= name.isEmpty() ? unnamedParsed : statementReads(name, parsed);
                    }
                }
                case 'E', 'C' -> {}
                case 'S' -> {
                    return read;
                }
                default -> {
                    return false; // Flush, a function call, COPY data: the primary
                }
            }
            if (n >= 256) return false;
        }
        return null;
    }

    private boolean statementReads(String clientName, java.util.Set<String> parsedNow) {
        if (parsedNow != null && parsedNow.contains(clientName)) return true; // its Parse counted already
        Stmt st = statements.get(clientName);
        return st != null && reads(Frame.cstring(st.rest(), 0));
    }

    private boolean reads(String sql) {
        Classification c = listener.classifier().classify(sql);
        return c.readOnly() && c.pins().isEmpty();
    }

    /**
     * A standby server for a read: once it has replayed the client's last commit (read-your-writes),
     * the read goes; until then it asks again every 2 ms, up to read_your_writes_wait, and then the
     * read runs on the primary.
     */
    private void onStandby() {
        long need = cfg().split().readYourWrites() ? minLsn : 0;
        if (need == 0 || listener.replayed(server.member) >= need) {
            listener.read(database, true);
            sendRead();
            return;
        }
        captured = null;
        swallowZ++;
        own = Own.REPLAY_PROBE;
        afterSwallow = () -> {
            long at = captured == null ? 0 : parseLsn(captured);
            listener.sawReplay(server.member, at);
            if (at >= need) {
                listener.replayWait(database, true);
                listener.read(database, true);
                sendRead();
            } else {
                // not there yet: ask the other standbys before this one again (one that applies WAL
                // late, recovery_min_apply_delay, can look furthest ahead and still be behind); past
                // the deadline the read runs on the primary
                probed.add(server.member);
                detach(true);
                nextStandby();
            }
        };
        server.send(Frame.query("SELECT pg_catalog.pg_last_wal_replay_lsn()"));
        server.flush();
    }

    /**
     * A batch that only reads, sent to a standby outside a transaction, is kept until its answer
     * begins: should the server go away before any of it reached the client (a standby stopped or
     * restarted, its backend terminated), the batch runs again where reads go then. Reads have no
     * effect to repeat; nothing the client saw is repeated.
     */
    private java.util.List<Frame> retryBatch;
    /** The held FATAL of a server that went away under a batch that may run again. */
    private Frame heldFatal;

    private int retries;
    /** What the server answered to a batch that may still run again, before its rows or results. */
    private final java.util.List<Frame> heldAcks = new java.util.ArrayList<>();

    private static final String ACKNOWLEDGEMENTS = "123tTnS";

    /** The answer to a kept batch begins: it will not run again, and what waited goes to the client. */
    private void releaseHeld() {
        retryBatch = null;
        for (Frame h : heldAcks) ctx.write(h);
        heldAcks.clear();
    }

    private void sendRead() {
        retryBatch = null;
        heldFatal = null;
        heldAcks.clear();
        if (server.status == 'I' && retries < 2) {
            java.util.List<Frame> batch = new java.util.ArrayList<>();
            for (Frame f : queued) {
                batch.add(f);
                if (f.kind() == 'S' || f.kind() == 'Q') break;
            }
            retryBatch = batch;
        }
        drainQueue();
    }

    /** The server went away before answering a batch kept by {@link #sendRead}: it goes again. */
    private void retryRead() {
        java.util.List<Frame> again = retryBatch;
        retryBatch = null;
        heldFatal = null;
        heldAcks.clear();
        retries++;
        ServerConn s = server;
        detach(false);
        expect1.clear();
        expect3.clear();
        preparing.clear();
        swallowZ = 0;
        afterSwallow = null;
        sentGen = ackGen;
        for (int i = again.size() - 1; i >= 0; i--) queued.addFirst(again.get(i));
        listener.retried();
        LOG.debug("pool: {}'s read on {} runs again: the server went away before answering", user, s.member);
        dispatch();
    }

    private static long parseLsn(String text) {
        try {
            return io.pgha.core.model.Lsn.parse(text).value();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private void forward(Frame f) {
        byte[] b = f.body();
        switch (f.kind()) {
            case 'Q' -> {
                watch(Frame.cstring(b, 0));
                sentGen++;
                listener.count(database, 1);
                server.send(f);
            }
            case 'E' -> {
                listener.count(database, 1);
                server.send(f);
            }
            case 'F' -> {
                sentGen++;
                server.send(f);
            }
            case 'S' -> {
                sentGen++;
                server.send(f);
            }
            case 'P' -> parse(f);
            case 'B' -> {
                int at = Frame.skipCstring(b, 0);
                String name = at < 0 ? "" : Frame.cstring(b, at);
                Stmt s = name.isEmpty() ? null : statements.get(name);
                if (s == null) server.send(f);
                else {
                    ensure(s);
                    server.send(Frame.of('B', rename(b, at, name, s.serverName())));
                }
            }
            case 'D', 'C' -> {
                String name = b.length > 1 ? Frame.cstring(b, 1) : "";
                Stmt s = b.length > 0 && b[0] == 'S' && !name.isEmpty() ? statements.get(name) : null;
                if (s == null) server.send(f);
                else if (f.kind() == 'D') {
                    ensure(s);
                    server.send(Frame.of('D', rename(b, 1, name, s.serverName())));
                } else {
                    // the statement may serve other clients on this server: keep it, and answer
                    // CloseComplete by closing a name no one has (which PostgreSQL allows)
                    statements.remove(name);
                    expect3.add(new Expect(sentGen, false, null, null));
                    server.send(Frame.of('C', concat(new byte[] {'S'}, Frame.cstringBytes("pgha_none"))));
                }
            }
            default -> server.send(f);
        }
    }

    /** Parse: a named statement gets its server-side name (prepared again if the server has that name). */
    private void parse(Frame f) {
        byte[] b = f.body();
        String name = Frame.cstring(b, 0);
        int at = Frame.skipCstring(b, 0);
        if (at < 0) {
            server.send(f);
            return;
        }
        watch(Frame.cstring(b, at));
        if (name.isEmpty()) {
            server.send(f);
            return;
        }
        byte[] rest = java.util.Arrays.copyOfRange(b, at, b.length);
        Stmt s = new Stmt(listener.serverName(rest), rest);
        statements.put(name, s);
        if (server.prepared.contains(s.serverName()) || preparing.contains(s.serverName())) {
            expect3.add(new Expect(sentGen, true, null, s.serverName()));
            server.send(Frame.of('C', concat(new byte[] {'S'}, Frame.cstringBytes(s.serverName()))));
        }
        expect1.add(new Expect(sentGen, false, s.serverName(), null));
        preparing.add(s.serverName());
        server.send(Frame.of('P', concat(Frame.cstringBytes(s.serverName()), rest)));
    }

    /** Prepares a client's statement on the current server if it does not have it yet. */
    private void ensure(Stmt s) {
        if (server.prepared.contains(s.serverName()) || preparing.contains(s.serverName())) return;
        expect1.add(new Expect(sentGen, true, s.serverName(), null));
        preparing.add(s.serverName());
        server.send(Frame.of('P', concat(Frame.cstringBytes(s.serverName()), s.rest())));
    }

    /** Session state the router does not carry pins the client to its server (transaction mode). */
    private void watch(String sql) {
        if (sql.length() < 300 && sql.contains("min_lsn")) {
            var m = MIN_LSN.matcher(sql);
            if (m.matches()) {
                long at = parseLsn(m.group(1));
                if (at > minLsn) minLsn = at;
            }
        }
        if (pinned != null || !pooling()) return;
        Classification c = listener.classifier().classify(sql);
        if (c.setting() != null && c.pins().isEmpty()) {
            // replayable: remembered for the servers this client lands on later
            settings.remove(c.setting());
            settings.put(c.setting(), sql);
            if (server != null) server.applied.put(c.setting(), sql);
            return;
        }
        String reason = c.sessionState()
                ? "SET/RESET/DISCARD"
                : c.pins().isEmpty() ? null : c.pins().iterator().next().label();
        if (reason != null) {
            pinned = reason;
            listener.pinned(reason);
        }
    }

    // ------------------------------------------------------------------ server messages

    private void fromServer(Frame f) {
        if (f == null) { // the server connection closed under the client: its pool slot is freed
            if (retryBatch != null && phase == Phase.READY && server != null) {
                retryRead();
                return;
            }
            if (ctx != null) {
                if (retryBatch != null) releaseHeld();
                if (heldFatal != null) ctx.write(heldFatal);
            }
            ServerConn s = server;
            // Between the client's transactions (the router's own query was running: settings, the
            // commit position, a replay probe) the client lost nothing: it carries on elsewhere.
            boolean between = s != null
                    && sentGen == ackGen
                    && swallowZ > 0
                    && own != null
                    && own.carriesOn
                    && pinned == null
                    && pooling();
            Own was = own;
            if (s != null) detach(false);
            own = null;
            if (between && phase == Phase.READY) {
                carryOn(was);
                return;
            }
            if (phase != Phase.CLOSED)
                fatal(
                        SqlState.ADMIN_SHUTDOWN,
                        "pgha pool: the server connection closed (" + (s == null ? "?" : s.member) + ")");
            return;
        }
        if (swallowZ > 0) {
            if (f.kind() == 'D' && captured == null) {
                String[] row = columns(f.body(), 1);
                if (row != null) captured = row[0];
            }
            if (f.kind() == 'E')
                LOG.warn(
                        "pool: a setting query for {} failed: {}",
                        user,
                        ErrorResponse.decode(f.body()).message());
            if (f.kind() == 'Z') {
                swallowZ--;
                if (swallowZ == 0) own = null;
                if (swallowZ == 0 && afterSwallow != null) {
                    Runnable r = afterSwallow;
                    afterSwallow = null;
                    r.run();
                }
            }
            return;
        }
        if (retryBatch != null) {
            if (f.kind() == 'E' && "FATAL".equals(ErrorResponse.decode(f.body()).severity())) {
                heldFatal = f; // the connection closes next: the read may run again elsewhere
                return;
            }
            // acknowledgements (parse, bind, describe) wait: a batch run again answers them again
            if (ACKNOWLEDGEMENTS.indexOf(f.kind()) < 0) releaseHeld();
        }
        switch (f.kind()) {
            case '1' -> {
                Expect e = expect1.poll();
                if (e != null) {
                    preparing.remove(e.prepares());
                    if (server != null) server.prepared.add(e.prepares());
                    if (e.swallow()) return;
                }
            }
            case '3' -> {
                Expect e = expect3.poll();
                if (e != null) {
                    if (e.closes() != null && server != null) server.prepared.remove(e.closes());
                    if (e.swallow()) return;
                }
            }
            case 'E' -> {
                dropUnanswered(expect1);
                dropUnanswered(expect3);
            }
            case 'S' -> {
                String name = Frame.cstring(f.body(), 0);
                if (wanted.containsKey(name) || server.values.containsKey(name)) {
                    int at = Frame.skipCstring(f.body(), 0);
                    if (at > 0) wanted.put(name, Frame.cstring(f.body(), at));
                }
            }
            case 'Z' -> {
                ackGen++;
                retries = 0;
                byte status = f.body().length > 0 ? f.body()[0] : (byte) 'I';
                if (status == 'I') listener.count(database, 0);
                else if (mode == PoolConfig.Mode.STATEMENT && pinned == null) {
                    refuseTransaction();
                    return;
                }
                ctx.writeAndFlush(
                        f, ctx.voidPromise()); // the end of an answer: the server may go back before its reads complete
                maybeRelease();
                // a standby's next batch in the same (read-only) transaction waited for this answer
                if (server != null && !queued.isEmpty()) drainQueue();
                return;
            }
            default -> {}
        }
        if (retryBatch != null) heldAcks.add(f);
        else ctx.write(f, ctx.voidPromise());
    }

    /**
     * Statement mode: the batch just answered left a transaction open (BEGIN, or a driver's
     * autocommit off). The router rolls it back and disconnects the client with an error, as
     * PgBouncer does: what the client sends next was meant to run inside that transaction, and must
     * not run statement by statement instead (a script's BEGIN; UPDATE; UPDATE; COMMIT would
     * otherwise apply half). Nothing else of the client's is on the server: one batch at a time.
     */
    private void refuseTransaction() {
        queued.clear();
        swallowZ++;
        own = Own.ROLLBACK;
        afterSwallow = () -> {
            detach(true);
            fatal(
                    SqlState.FEATURE_NOT_SUPPORTED,
                    "pgha pool: transaction blocks are not allowed in statement mode (router.pool.mode statement);"
                            + " the transaction was rolled back");
        };
        server.send(Frame.query("ROLLBACK"));
        server.flush();
    }

    /** After an error the server skips to the next Sync: what was owed in that stretch never comes. */
    private void dropUnanswered(Deque<Expect> q) {
        while (!q.isEmpty() && q.peekFirst().gen() == ackGen) {
            Expect e = q.pollFirst();
            if (e.prepares() != null) preparing.remove(e.prepares());
        }
    }

    private void flushBoth() {
        if (ctx != null) ctx.flush();
        if (server != null) server.flush();
    }

    // ------------------------------------------------------------------ the admin console

    private static final String[][] CONSOLE_SETTINGS = {
        {"server_version", "15.0 (pgha router)"},
        {"server_encoding", "UTF8"},
        {"client_encoding", "UTF8"},
        {"DateStyle", "ISO, MDY"},
        {"integer_datetimes", "on"},
        {"standard_conforming_strings", "on"},
        {"TimeZone", "UTC"},
    };

    private void consoleReady() {
        for (String[] kv : CONSOLE_SETTINGS) {
            ctx.write(Frame.of('S', concat(Frame.cstringBytes(kv[0]), Frame.cstringBytes(kv[1]))));
        }
        key = listener.register(this);
        ByteBuf k = ctx.alloc().buffer();
        new io.pgha.wire.backend.BackendKeyData(key).encode(k);
        ctx.write(k);
        phase = Phase.READY;
        ctx.writeAndFlush(Frame.of('Z', new byte[] {'I'}));
    }

    /** A command is running (PAUSE and WAIT_CLOSE wait): what comes meanwhile waits. */
    private boolean consoleBusy;

    private final Deque<Frame> consoleQueue = new ArrayDeque<>();

    private void console(Frame f) {
        if (f.kind() == 'X') {
            close();
            return;
        }
        if (consoleBusy) {
            consoleQueue.add(f);
            return;
        }
        switch (f.kind()) {
            case 'Q' -> {
                String text = Frame.cstring(f.body(), 0);
                AdminCommand c;
                try {
                    c = AdminCommand.parse(text);
                } catch (AdminCommand.Refused e) {
                    consoleError("42601", e.getMessage());
                    return;
                }
                if (c == null) {
                    ctx.write(Frame.of('I', new byte[0]));
                    ctx.writeAndFlush(Frame.of('Z', new byte[] {'I'}));
                    return;
                }
                if (c.verb().changes() && !cfg().admin().mayChange(user)) {
                    consoleError(
                            "42501",
                            c.verb() + " needs an admin user (router.pool.admin_users); " + user + " may only SHOW");
                    return;
                }
                LOG.info("pool console: {} ran {}", user, text.strip());
                AdminConsole.Reply r = AdminConsole.run(listener, c);
                consoleBusy = true;
                awaitReply(r);
            }
            case 'S' ->
                consoleError(
                        SqlState.FEATURE_NOT_SUPPORTED, "the admin console answers simple queries only (psql does)");
            default -> {} // the rest of an extended-protocol batch: answered at its Sync
        }
    }

    private void awaitReply(AdminConsole.Reply r) {
        if (phase == Phase.CLOSED) return;
        if (!r.until().getAsBoolean()) {
            ctx.executor().schedule(() -> awaitReply(r), 20, java.util.concurrent.TimeUnit.MILLISECONDS);
            return;
        }
        for (Frame f : r.frames()) ctx.write(f);
        ctx.writeAndFlush(Frame.of('Z', new byte[] {'I'}));
        consoleBusy = false;
        while (!consoleBusy && !consoleQueue.isEmpty() && phase != Phase.CLOSED) console(consoleQueue.poll());
    }

    private void consoleError(String sqlState, String message) {
        ctx.write(Unpooled.wrappedBuffer(encode(new ErrorResponse("ERROR", sqlState, message, null))));
        ctx.writeAndFlush(Frame.of('Z', new byte[] {'I'}));
    }

    // ------------------------------------------------------------------ cancel and close

    /**
     * Called on every change of the cluster, for a client holding a server that is no longer where
     * its pool's connections go (the lease moved or is being handed over; a standby stopped taking
     * reads).
     *
     * <ul>
     *   <li>A client between transactions (also while the router runs its own query there) lets the
     *       server go and notices nothing: its next statement gets a server where it goes now.
     *   <li>A transaction or query in flight finishes where it is while that member still holds the
     *       lease (a switchover waits for open transactions), or on a standby; the server is closed
     *       once it comes back.
     *   <li>Otherwise the client is told its transaction (or pinned session state) is gone and is
     *       disconnected; so is a pinned or session-mode client once the member loses the lease.
     * </ul>
     */
    void routesChanged() {
        ServerConn s = server;
        if (s == null || phase != Phase.READY) return;
        if (listener.pool().current(s)) return;
        boolean mayFinish = s.key.standby() || listener.holdsLease(s.member);
        boolean keepsState = pinned != null || !pooling();
        if (keepsState) {
            if (mayFinish) return;
            detach(false);
            fatal(
                    SqlState.ADMIN_SHUTDOWN,
                    "pgha pool: " + s.member + " no longer holds the leader lease; the"
                            + (pinned != null ? " session's state (" + pinned + ")" : " session")
                            + " was lost");
            return;
        }
        boolean between = sentGen == ackGen && (swallowZ > 0 ? own != null && own.carriesOn : s.status == 'I');
        if (between) {
            Own was = own;
            detach(false);
            carryOn(was);
            return;
        }
        if (mayFinish) return;
        detach(false);
        fatal(
                SqlState.ADMIN_SHUTDOWN,
                "pgha pool: " + s.member + " no longer holds the leader lease; the open transaction was lost");
    }

    /**
     * The client lost its server between transactions (the router's own query {@code was} running
     * there, or none): it goes on elsewhere with its next statement. A commit position not read
     * sends its next read to the primary.
     */
    private void carryOn(Own was) {
        if (was == Own.COMMIT_POSITION) commitUnknown = true;
        swallowZ = 0;
        afterSwallow = null;
        if (!queued.isEmpty()) dispatch();
    }

    /** Cancels what this client runs now, if it has a server. */
    void cancel() {
        ServerConn s = server;
        if (s != null && s.cancelKey != null) listener.forwardCancel(s.backend, s.cancelKey);
    }

    private void fatal(String sqlState, String message) {
        if (ctx == null || phase == Phase.CLOSED) return;
        phase = Phase.CLOSED;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(encode(ErrorResponse.fatal(sqlState, message))))
                .addListener(ChannelFutureListener.CLOSE);
    }

    private void close() {
        phase = Phase.CLOSED;
        ctx.close();
    }

    /** The router is closing: the client is told so, its server closed. */
    void closeQuietly() {
        if (server != null) detach(false);
        fatal(SqlState.ADMIN_SHUTDOWN, "the pgha router is shutting down");
    }

    /** A setting's name as a (possibly dotted) quoted identifier. */
    static String quoteName(String name) {
        StringBuilder q = new StringBuilder();
        for (String part : name.split("\\.", -1)) {
            if (q.length() > 0) q.append('.');
            q.append('"').append(part.replace("\"", "\"\"")).append('"');
        }
        return q.toString();
    }

    private static byte[] rename(byte[] body, int at, String oldName, String newName) {
        int after = at + oldName.getBytes(StandardCharsets.UTF_8).length + 1;
        byte[] head = java.util.Arrays.copyOf(body, at);
        byte[] tail = java.util.Arrays.copyOfRange(body, after, body.length);
        return concat(concat(head, Frame.cstringBytes(newName)), tail);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }
}
