package io.pgha.router.pool;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.pgha.wire.CancelKey;
import io.pgha.wire.auth.AuthFailure;
import io.pgha.wire.auth.BackendAuth;
import io.pgha.wire.backend.BackendKeyData;
import io.pgha.wire.backend.ErrorResponse;
import io.pgha.wire.frontend.StartupMessage;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One server connection of a pool: logged in to a PostgreSQL backend as one user and database,
 * then lent to one client at a time. Its fields are used on its channel's event loop only, which is
 * also the loop of the client it is lent to (a pool hands a connection to clients of its own loop).
 */
@SuppressWarnings("FutureReturnValueIgnored")
final class ServerConn {
    final Channel channel;
    final String member;
    final InetSocketAddress backend;
    final PoolKey key;
    final long created = System.nanoTime();
    long lastUsed = System.nanoTime();
    /** RECONNECT asked for this connection to be closed when it comes back. */
    boolean retired;

    /** GUC values as the server reported them (ParameterStatus) or as the pool set them. */
    final Map<String, String> values = new HashMap<>();

    /** The settings the server reports (ParameterStatus), in the order it first did. */
    final Set<String> reported = new java.util.LinkedHashSet<>();

    /** What {@link #values} was right after the login: what DISCARD ALL returns to. */
    final Map<String, String> loginValues = new LinkedHashMap<>();

    /** Session-level SET/RESET texts of clients that ran on this server, by setting name. */
    final Map<String, String> applied = new HashMap<>();

    /** Prepared statements (server-side names) the server has, confirmed by ParseComplete. */
    final Set<String> prepared = new HashSet<>();

    CancelKey cancelKey;
    char status = 'I';
    boolean broken;
    /** How the connection is secured: "" (plain), the TLS protocol, and "+binding" when SCRAM was bound to it. */
    String tls = "";

    /** Where frames go once logged in: the client it is lent to; null while idle in the pool. */
    Consumer<Frame> sink;

    /** Called when a batch of reads from the server ends (the client flushes then). */
    Runnable readDone;

    private ServerConn(Channel channel, String member, InetSocketAddress backend, PoolKey key) {
        this.channel = channel;
        this.member = member;
        this.backend = backend;
        this.key = key;
    }

    EventLoop loop() {
        return channel.eventLoop();
    }

    boolean usable() {
        return channel.isActive() && !broken && status == 'I';
    }

    void send(Frame f) {
        channel.write(f, channel.voidPromise());
    }

    void flush() {
        channel.flush();
    }

    void close() {
        broken = true;
        if (channel.isActive()) {
            channel.write(Frame.of('X', new byte[0]));
            channel.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }
    }

    /**
     * Connects on {@code loop} and logs in; completes once the server is ready for queries, or
     * exceptionally with {@link LoginFailed} carrying what to tell the client.
     */
    static CompletableFuture<ServerConn> open(
            EventLoop loop,
            Class<? extends Channel> channelType,
            String member,
            InetSocketAddress backend,
            PoolKey key,
            Map<String, String> startupValues,
            BackendAuth auth,
            BackendTls tls) {
        CompletableFuture<ServerConn> ready = new CompletableFuture<>();
        ServerConn[] self = new ServerConn[1];
        Runnable[] startup = new Runnable[1];
        new Bootstrap()
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls.wanted())
                            ch.pipeline().addLast("tls-answer", tlsAnswer(member, backend, tls, ready, startup, auth));
                        ch.pipeline().addLast(new FrameDecoder(false, Integer.MAX_VALUE));
                        ch.pipeline().addLast("out", new Coalescer());
                        ch.pipeline().addLast(new SimpleChannelInboundHandler<Frame>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Frame f) {
                                ServerConn c = self[0];
                                if (!ready.isDone()) login(c, f, auth, ready);
                                else c.received(f);
                            }

                            @Override
                            public void channelReadComplete(ChannelHandlerContext ctx) {
                                ServerConn c = self[0];
                                if (c != null && c.readDone != null) c.readDone.run();
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                ServerConn c = self[0];
                                if (c == null) return;
                                c.broken = true;
                                if (!ready.isDone())
                                    ready.completeExceptionally(
                                            new LoginFailed(null, "the server closed the connection during login"));
                                else if (c.sink != null) c.sink.accept(null); // tells the client
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                })
                .connect(backend)
                .addListener((io.netty.channel.ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        ready.completeExceptionally(new LoginFailed(
                                null,
                                "cannot connect to " + member + " at " + backend.getHostString() + ":"
                                        + backend.getPort() + ": " + f.cause().getMessage()));
                        return;
                    }
                    ServerConn c = new ServerConn(f.channel(), member, backend, key);
                    c.values.putAll(startupValues); // in effect after login, reported or not (reports override)
                    self[0] = c;
                    startup[0] = () -> {
                        Map<String, String> params = new LinkedHashMap<>();
                        params.put("user", key.user());
                        params.put("database", key.database());
                        params.putAll(startupValues);
                        io.netty.buffer.ByteBuf b = f.channel().alloc().buffer();
                        new StartupMessage(StartupMessage.PROTOCOL_3_0, params).encode(b);
                        f.channel().writeAndFlush(b);
                    };
                    if (!tls.wanted()) {
                        startup[0].run();
                        return;
                    }
                    io.netty.buffer.ByteBuf req = f.channel().alloc().buffer(8);
                    req.writeInt(8).writeInt(io.pgha.wire.frontend.StartupPacket.SSL_CODE); // SSLRequest
                    f.channel().writeAndFlush(req);
                });
        return ready;
    }

    /**
     * Reads the server's one-byte answer to the SSLRequest: S starts TLS (and the login once the
     * handshake is done), N goes on in plain text where server_tls_sslmode is prefer and fails
     * otherwise.
     */
    private static io.netty.channel.ChannelInboundHandlerAdapter tlsAnswer(
            String member,
            InetSocketAddress backend,
            BackendTls tls,
            CompletableFuture<ServerConn> ready,
            Runnable[] startup,
            BackendAuth auth) {
        return new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                io.netty.buffer.ByteBuf b = (io.netty.buffer.ByteBuf) msg;
                try {
                    byte answer = b.readByte();
                    if (b.isReadable()) {
                        fail(ctx, "sent data after its answer to the SSLRequest");
                        return;
                    }
                    ctx.pipeline().remove(this);
                    if (answer == 'S') {
                        io.netty.handler.ssl.SslHandler h =
                                tls.context().newHandler(ctx.alloc(), backend.getHostString(), backend.getPort());
                        if (tls.verifyHost()) {
                            javax.net.ssl.SSLParameters p = h.engine().getSSLParameters();
                            p.setEndpointIdentificationAlgorithm("HTTPS");
                            h.engine().setSSLParameters(p);
                        }
                        ctx.pipeline().addFirst("tls", h);
                        h.handshakeFuture().addListener(done -> {
                            if (done.isSuccess()) {
                                // SCRAM binds its proof to this server's certificate when offered
                                try {
                                    auth.bindChannel(io.pgha.wire.auth.ChannelBinding.of(
                                            h.engine().getSession().getPeerCertificates()));
                                } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                                    auth.bindChannel(null);
                                }
                                startup[0].run();
                            } else
                                fail(
                                        ctx,
                                        "TLS handshake failed (server_tls_sslmode " + tls.mode() + "): "
                                                + done.cause().getMessage());
                        });
                    } else if (answer == 'N' && tls.plainAllowed()) {
                        startup[0].run();
                    } else {
                        fail(
                                ctx,
                                answer == 'N'
                                        ? "does not offer TLS, and server_tls_sslmode is " + tls.mode()
                                        : "answered the SSLRequest with '" + (char) answer + "'");
                    }
                } finally {
                    b.release();
                }
            }

            private void fail(ChannelHandlerContext ctx, String why) {
                ready.completeExceptionally(new LoginFailed(
                        null, member + " at " + backend.getHostString() + ":" + backend.getPort() + " " + why));
                ctx.close();
            }
        };
    }

    private static void login(ServerConn c, Frame f, BackendAuth auth, CompletableFuture<ServerConn> ready) {
        switch (f.kind()) {
            case 'R' -> {
                try {
                    byte[] answer = auth.answer(f.body());
                    if (answer != null) c.channel.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(answer));
                } catch (AuthFailure e) {
                    c.close();
                    ready.completeExceptionally(new LoginFailed(
                            null, "cannot log in to " + c.member + " as " + c.key.user() + ": " + e.detail()));
                }
            }
            case 'S' -> c.parameter(f.body());
            case 'K' -> {
                BackendKeyData k = BackendKeyData.decode(f.body());
                if (k != null) c.cancelKey = k.key();
            }
            case 'E' -> {
                c.close();
                ready.completeExceptionally(new LoginFailed(ErrorResponse.decode(f.body()), null));
            }
            case 'Z' -> {
                c.status = f.body().length > 0 ? (char) f.body()[0] : 'I';
                c.loginValues.putAll(c.values);
                var h = c.channel.pipeline().get(io.netty.handler.ssl.SslHandler.class);
                if (h != null) c.tls = h.engine().getSession().getProtocol() + (auth.channelBound() ? "+binding" : "");
                ready.complete(c);
            }
            default -> {
                // NoticeResponse, NegotiateProtocolVersion: nothing to do during login
            }
        }
    }

    void parameter(byte[] body) {
        String name = Frame.cstring(body, 0);
        int at = Frame.skipCstring(body, 0);
        if (at < 0) return;
        values.put(name, Frame.cstring(body, at));
        reported.add(name);
    }

    private void received(Frame f) {
        if (f.kind() == 'S') parameter(f.body());
        else if (f.kind() == 'Z' && f.body().length > 0) status = (char) f.body()[0];
        Consumer<Frame> s = sink;
        if (s != null) s.accept(f);
        else if (f.kind() == 'E') close(); // an idle connection got an error (a FATAL shutdown): drop it
    }

    /** A login that did not reach ReadyForQuery: the server's error, or what went wrong before it. */
    static final class LoginFailed extends Exception {
        final transient ErrorResponse error;

        LoginFailed(ErrorResponse error, String message) {
            super(error != null ? error.message() : message);
            this.error = error;
        }
    }
}
