package io.pgha.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.pgha.core.config.ApiListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP server of the agent's REST API and of the router's API: one Netty event loop thread,
 * non-blocking, so that clients that connect and send nothing, or half a request, hold no thread;
 * each is disconnected once {@link ApiListener#requestTimeoutMs()} has passed without a complete
 * request. In front of HTTP: the allowlist (checked when a connection opens) and TLS when the
 * listener has a certificate. Request lines over 4 kB, headers over 8 kB and bodies over the
 * given limit are refused (431, 413).
 *
 * <p>Handlers run on the event loop and must not block (see {@link Handler}). Thread-safe; {@link
 * #close()} stops the listener and every open connection.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty's writes and closes report through listeners where it matters
public final class HttpServer implements AutoCloseable {
    /** Connections beyond this are closed at once; a client cannot exhaust file descriptors. */
    static final int MAX_CONNECTIONS = 1024;

    private static final int MAX_INITIAL_LINE = 4096;
    private static final int MAX_HEADER_SIZE = 8192;

    private final EventLoopGroup loop;
    private final Channel channel;
    private final Admission admission;

    private HttpServer(EventLoopGroup loop, Channel channel, Admission admission) {
        this.loop = loop;
        this.channel = channel;
        this.admission = admission;
    }

    /**
     * Listens on {@code listen:port} (port 0: any free port) until closed.
     *
     * @param name names the thread and log lines ("rest-api", "router-api")
     * @param maxBodyBytes larger request bodies are answered 413
     * @throws IOException when the address cannot be bound
     * @throws IllegalArgumentException when the listener's TLS files cannot be used
     */
    public static HttpServer start(
            String name, String listen, int port, ApiListener listener, int maxBodyBytes, Handler handler)
            throws IOException {
        SslContext tls = Tls.server(listener);
        Admission admission = new Admission(name, listener, MAX_CONNECTIONS);
        EventLoopGroup loop =
                new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name, true), NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap()
                .group(loop)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline(
                                ch.pipeline(),
                                name,
                                admission,
                                tls,
                                listener.requestTimeoutMs(),
                                maxBodyBytes,
                                handler);
                    }
                });
        ChannelFuture bound = b.bind(new InetSocketAddress(listen, port)).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException(
                    name + ": cannot listen on " + listen + ":" + port + ": "
                            + bound.cause().getMessage(),
                    bound.cause());
        }
        return new HttpServer(loop, bound.channel(), admission);
    }

    private static void pipeline(
            ChannelPipeline p,
            String name,
            Admission admission,
            SslContext tls,
            long timeoutMs,
            int maxBody,
            Handler handler) {
        p.addLast("admission", admission);
        if (tls != null) p.addLast("tls", tls.newHandler(p.channel().alloc()));
        p.addLast(
                "http",
                new HttpServerCodec(new HttpDecoderConfig()
                        .setMaxInitialLineLength(MAX_INITIAL_LINE)
                        .setMaxHeaderSize(MAX_HEADER_SIZE)));
        p.addLast("aggregate", new HttpObjectAggregator(maxBody));
        p.addLast("deadline", new RequestDeadline(timeoutMs));
        p.addLast("dispatch", new Dispatcher(name, handler));
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public int port() {
        return address().getPort();
    }

    /** Connections open right now (for tests and metrics). */
    public int openConnections() {
        return admission.open();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
