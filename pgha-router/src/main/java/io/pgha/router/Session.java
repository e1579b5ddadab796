package io.pgha.router;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.concurrent.ScheduledFuture;
import io.pgha.wire.MessageFramer;
import io.pgha.wire.ProtocolViolation;
import io.pgha.wire.SqlState;
import io.pgha.wire.backend.BackendKeyData;
import io.pgha.wire.backend.ErrorResponse;
import io.pgha.wire.backend.ReadyForQuery;
import io.pgha.wire.frontend.CancelRequest;
import io.pgha.wire.frontend.FrontendType;
import io.pgha.wire.frontend.GssEncRequest;
import io.pgha.wire.frontend.SslRequest;
import io.pgha.wire.frontend.StartupMessage;
import io.pgha.wire.frontend.StartupPacket;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, from its first byte to its close: the startup phase (SSLRequest,
 * GSSENCRequest, CancelRequest, StartupMessage), the wait for a backend, then the relay in both
 * directions.
 *
 * <p>Design. Everything of a session runs on its client channel's event loop, and the backend
 * channel is registered on the same loop, so the fields need no locks; the router reaches a
 * session only through {@link #drain()}, {@link #kill(String)} and {@link #retry()}, which hop onto
 * that loop. During the startup phase the client channel reads only when asked; once relaying,
 * both sides read as data arrives, writes are flushed once per batch of reads, and each side stops
 * reading while the other side's outbound buffer is above its high-water mark (back-pressure
 * through channel writability). The relay forwards buffers untouched; a
 * {@link MessageFramer} per direction follows message boundaries so that the router knows when a
 * session is idle between transactions (ReadyForQuery 'I' with no query outstanding), which is
 * when a switchover may close it without cutting a transaction in half.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty's writes and closes report through listeners where it matters
final class Session extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    private static final AtomicLong IDS = new AtomicLong();

    enum Phase {
        STARTUP,
        WAITING,
        CONNECTING,
        RELAY,
        CLOSED
    }

    final long id = IDS.incrementAndGet();
    final Target target;
    final long openedAt = System.currentTimeMillis();
    private final Router router;
    private Channel client;
    private ByteBuf pending;
    private boolean encryptionAnswered;
    private ScheduledFuture<?> timer;
    private long deadlineNanos;
    private long waitStartNanos;
    private String lastWaitReason;

    // Read by status snapshots from other threads: volatile, written on the event loop only.
    volatile Phase phase = Phase.STARTUP;
    volatile StartupMessage startup;
    volatile Route.Backend route;
    volatile byte txStatus = ReadyForQuery.IDLE;

    private Channel backend;
    private MessageFramer fromClient;
    private MessageFramer fromServer;
    private boolean ready;
    private int pendingCycles;
    private boolean unsynced;
    private boolean draining;
    private io.pgha.wire.CancelKey cancelKey;
    /** Whether what was forwarded to the backend so far ends at a message boundary. */
    private boolean forwardedWhole = true;

    Session(Router router, Target target) {
        this.router = router;
        this.target = target;
    }

    // ------------------------------------------------------------------ startup phase

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        router.opened(this);
        timer = ctx.executor()
                .schedule(
                        () -> {
                            if (phase == Phase.STARTUP)
                                refuse(
                                        SqlState.PROTOCOL_VIOLATION,
                                        "no startup packet within "
                                                + router.config().startupTimeoutMs() + " ms");
                        },
                        router.config().startupTimeoutMs(),
                        TimeUnit.MILLISECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        if (phase == Phase.RELAY) {
            fromClient(buf);
            return;
        }
        if (phase == Phase.CLOSED) {
            buf.release();
            return;
        }
        if (pending == null) pending = ctx.alloc().buffer(Math.max(256, buf.readableBytes()));
        pending.writeBytes(buf);
        buf.release();
        if (phase == Phase.STARTUP) startup(ctx);
    }

    private void startup(ChannelHandlerContext ctx) {
        while (phase == Phase.STARTUP) {
            StartupPacket p;
            try {
                p = StartupPacket.decode(pending);
            } catch (ProtocolViolation v) {
                violation(v);
                return;
            }
            if (p == null) {
                ctx.read();
                return;
            }
            if (p instanceof SslRequest) {
                answerEncryption(ctx, true);
            } else if (p instanceof GssEncRequest) {
                answerEncryption(ctx, false);
            } else if (p instanceof CancelRequest c) {
                router.cancel(c);
                close();
                return;
            } else if (p instanceof StartupMessage m) {
                startup = m;
                timer.cancel(false);
                deadlineNanos = System.nanoTime() + router.config().waitTimeoutMs() * 1_000_000;
                route();
                return;
            }
            if (phase == Phase.CLOSED) return;
        }
    }

    /** Answers SSLRequest ('S' and TLS from here on, or 'N') and GSSENCRequest ('N'). */
    private void answerEncryption(ChannelHandlerContext ctx, boolean ssl) {
        if (encryptionAnswered) {
            violation(ProtocolViolation.of("encryption was already negotiated on this connection"));
            return;
        }
        if (pending.isReadable()) {
            // Bytes sent before the answer could have been injected by anyone on the path (CVE-2021-23214).
            violation(ProtocolViolation.of(
                    "received unencrypted data after " + (ssl ? "SSL" : "GSSAPI encryption") + " request"));
            return;
        }
        encryptionAnswered = true;
        boolean tls = ssl && router.tls() != null;
        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {(byte) (tls ? 'S' : 'N')}));
        if (tls) ctx.pipeline().addFirst("tls", router.tls().newHandler(ctx.alloc()));
    }

    // ------------------------------------------------------------------ routing and connecting

    private void route() {
        Route r = router.route(target);
        if (r instanceof Route.Backend b) connect(b);
        else await(r.reason());
    }

    private void await(String reason) {
        lastWaitReason = reason;
        if (phase != Phase.WAITING) {
            if (waitStartNanos == 0) waitStartNanos = System.nanoTime();
            phase = Phase.WAITING;
            router.waiting(this, true);
            long left = deadlineNanos - System.nanoTime();
            timer = client.eventLoop().schedule(this::waitExpired, Math.max(0, left), TimeUnit.NANOSECONDS);
        }
    }

    private void waitExpired() {
        if (phase != Phase.WAITING) return;
        router.metrics().waitTimedOut(target);
        refuse(
                SqlState.CANNOT_CONNECT_NOW,
                "pgha router: no " + target.label() + " backend within "
                        + router.config().waitTimeoutMs() + " ms: " + lastWaitReason);
    }

    /** Routes a waiting session again (after the cluster view changed). Any thread. */
    void retry() {
        client.eventLoop().execute(() -> {
            if (phase == Phase.WAITING) route();
        });
    }

    private void connect(Route.Backend b) {
        if (phase == Phase.WAITING) {
            timer.cancel(false);
            router.waiting(this, false);
        }
        phase = Phase.CONNECTING;
        route = b;
        long left = Math.max(100, (deadlineNanos - System.nanoTime()) / 1_000_000);
        new Bootstrap()
                .group(client.eventLoop())
                .channel(router.socketChannelType())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(left, 10_000))
                .handler(new BackendHandler(this))
                .connect(b.host(), b.port())
                .addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) connected(f.channel());
                    else connectFailed(b, f.cause());
                });
    }

    @SuppressWarnings("ReferenceEquality")
    private void connectFailed(Route.Backend b, Throwable cause) {
        if (phase != Phase.CONNECTING) return;
        router.metrics().connectFailed(b.member());
        String why = "cannot connect to " + b.member() + " at " + b.host() + ":" + b.port() + ": " + cause.getMessage();
        LOG.debug("session {}: {}", id, why);
        if (System.nanoTime() - deadlineNanos >= 0) {
            refuse(SqlState.CONNECTION_FAILURE, "pgha router: " + why);
            return;
        }
        lastWaitReason = why;
        Route.Backend failed = b;
        // the same route object, not an equal one: a later routing decision replaces it
        client.eventLoop()
                .schedule(
                        () -> {
                            if (phase == Phase.CONNECTING && route == failed && backend == null && client.isActive())
                                route();
                        },
                        100,
                        TimeUnit.MILLISECONDS);
    }

    private void connected(Channel ch) {
        if (phase != Phase.CONNECTING || !client.isActive()) {
            ch.close();
            return;
        }
        backend = ch;
        phase = Phase.RELAY;
        fromClient = MessageFramer.frontend(router.config().maxMessageSize(), t -> false, this::clientMessage);
        fromServer =
                MessageFramer.backend(t -> t == ReadyForQuery.TYPE || t == BackendKeyData.TYPE, this::serverMessage);
        if (waitStartNanos != 0) router.metrics().waited(target, System.nanoTime() - waitStartNanos);
        router.attached(this);
        ByteBuf out = ch.alloc().buffer(64);
        startup.encode(out);
        if (pending != null) {
            out.writeBytes(pending);
            pending.release();
            pending = null;
        }
        backend.writeAndFlush(out, backend.voidPromise());
        // From here on both sides read as data comes; each side stops reading while the other cannot
        // take more (see channelWritabilityChanged), and writes are flushed once per batch of reads.
        backend.config().setAutoRead(true);
        client.config().setAutoRead(true);
    }

    // ------------------------------------------------------------------ relay

    private void fromClient(ByteBuf buf) {
        try {
            fromClient.scan(buf);
        } catch (ProtocolViolation v) {
            buf.release();
            violation(v);
            return;
        }
        router.metrics().fromClient(buf.readableBytes());
        forwardedWhole = fromClient.atBoundary();
        backend.write(buf, backend.voidPromise());
    }

    void fromServer(ByteBuf buf) {
        if (phase != Phase.RELAY) {
            buf.release();
            return;
        }
        try {
            fromServer.scan(buf);
        } catch (ProtocolViolation v) {
            buf.release();
            LOG.warn("session {}: {} sent bytes that break the protocol: {}", id, route.member(), v.getMessage());
            close();
            return;
        }
        router.metrics().fromServer(buf.readableBytes());
        client.write(buf, client.voidPromise());
    }

    /** The end of a batch of reads from the backend: flush to the client, then maybe close. */
    void fromServerComplete() {
        if (phase != Phase.RELAY) return;
        client.flush();
        if (draining && atBoundary()) closeDrained();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (phase == Phase.RELAY) backend.flush();
    }

    /** Back-pressure: the client reads only while the backend can take more, and the other way round. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (phase == Phase.RELAY) backend.config().setAutoRead(client.isWritable());
    }

    private void clientMessage(byte type, int length, byte[] body) {
        if (FrontendType.endsCycle(type)) pendingCycles++;
        if (type == FrontendType.SYNC) unsynced = false;
        else if (type == FrontendType.PARSE
                || type == FrontendType.BIND
                || type == FrontendType.EXECUTE
                || type == FrontendType.DESCRIBE
                || type == FrontendType.CLOSE) unsynced = true;
    }

    private void serverMessage(byte type, int length, byte[] body) {
        if (type == ReadyForQuery.TYPE) {
            txStatus = ReadyForQuery.decode(body).status();
            if (!ready) ready = true; // the first one ends the startup, not a query
            else if (pendingCycles > 0) pendingCycles--;
        } else if (type == BackendKeyData.TYPE && body != null) {
            BackendKeyData k = BackendKeyData.decode(body);
            if (k != null && cancelKey == null) {
                cancelKey = k.key();
                router.registerCancelKey(cancelKey, new InetSocketAddress(route.host(), route.port()));
            }
        }
    }

    /** Idle between transactions: nothing outstanding in either direction. */
    private boolean atBoundary() {
        return ready
                && pendingCycles == 0
                && !unsynced
                && txStatus == ReadyForQuery.IDLE
                && fromClient.atBoundary()
                && fromServer.atBoundary();
    }

    // ------------------------------------------------------------------ ending sessions

    /** A switchover has begun: close this session at its next transaction boundary. Any thread. */
    void drain() {
        client.eventLoop().execute(() -> {
            if (phase != Phase.RELAY || draining) return;
            draining = true;
            if (atBoundary()) closeDrained();
        });
    }

    private void closeDrained() {
        router.metrics().closed("switchover");
        String m = "pgha router: " + route.member()
                + " is handing over to a new primary; this session was idle and is closed."
                + " Reconnect to reach the new primary.";
        endWith(ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, m));
    }

    /** The backend lost the leader lease: close now, mid-transaction or not. Any thread. */
    void kill(String reason) {
        client.eventLoop().execute(() -> {
            if (phase != Phase.RELAY) return;
            router.metrics().closed("lease_lost");
            LOG.info("session {}: closing: {}", id, reason);
            endWith(
                    fromServer.atBoundary()
                            ? ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "pgha router: " + reason)
                            : null);
        });
    }

    private void violation(ProtocolViolation v) {
        router.metrics().closed("protocol_violation");
        LOG.info("session {} from {}: {}", id, client.remoteAddress(), v.getMessage());
        boolean canSpeak = phase != Phase.RELAY || fromServer.atBoundary();
        endWith(canSpeak ? ErrorResponse.fatal(v.sqlState(), v.getMessage()) : null);
    }

    private void refuse(String sqlState, String message) {
        router.metrics().closed(sqlState.equals(SqlState.CANNOT_CONNECT_NOW) ? "wait_timeout" : "refused");
        LOG.info("session {} from {}: {}", id, client.remoteAddress(), message);
        endWith(ErrorResponse.fatal(sqlState, message));
    }

    /** Sends {@code error} (if any) to the client, says Terminate to the backend, and closes both. */
    private void endWith(ErrorResponse error) {
        if (phase == Phase.CLOSED) return;
        Channel b = backend;
        if (b != null && b.isActive() && forwardedWhole) {
            b.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {FrontendType.TERMINATE, 0, 0, 0, 4}))
                    .addListener(ChannelFutureListener.CLOSE);
        } else if (b != null) {
            b.close();
        }
        if (error != null && client.isActive()) {
            client.writeAndFlush(error.encode(client.alloc())).addListener(ChannelFutureListener.CLOSE);
        }
        close();
    }

    /** Closes both sides (after what was written is flushed) and forgets the session. */
    void close() {
        if (phase == Phase.CLOSED) return;
        Phase was = phase;
        phase = Phase.CLOSED;
        if (timer != null) timer.cancel(false);
        if (was == Phase.WAITING) router.waiting(this, false);
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (backend != null) backend.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        if (client != null) client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        if (cancelKey != null) router.forgetCancelKey(cancelKey);
        router.closed(this, was == Phase.RELAY);
    }

    void backendWritable(boolean writable) {
        if (phase == Phase.RELAY) client.config().setAutoRead(writable);
    }

    /** Closes at once (router shutdown). Any thread. */
    void killQuietly() {
        Channel c = client;
        if (c != null) c.eventLoop().execute(this::close);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("session {}: client connection: {}", id, cause.toString());
        close();
    }

    /** The backend's end of the relay. */
    static final class BackendHandler extends ChannelInboundHandlerAdapter {
        private final Session session;

        BackendHandler(Session session) {
            this.session = session;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            session.fromServer((ByteBuf) msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            session.fromServerComplete();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            session.backendWritable(ctx.channel().isWritable());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            session.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("session {}: backend connection: {}", session.id, cause.toString());
            session.close();
        }
    }
}
