package io.pgha.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.pgha.core.config.ApiListener;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First in every pipeline: closes a connection from outside the allowlist before a byte is read
 * (no TLS handshake, no HTTP parsing), and any connection beyond the server's limit.
 */
@ChannelHandler.Sharable
@SuppressWarnings("FutureReturnValueIgnored") // Netty's writes and closes report through listeners where it matters
final class Admission extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);
    private final String name;
    private final ApiListener listener;
    private final int maxConnections;
    private final AtomicInteger open = new AtomicInteger();

    Admission(String name, ApiListener listener, int maxConnections) {
        this.name = name;
        this.listener = listener;
        this.maxConnections = maxConnections;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        if (!listener.allows(remote.getAddress())) {
            LOG.debug(
                    "{}: refused a connection from {}, which is outside the allowlist",
                    name,
                    remote.getAddress().getHostAddress());
            ctx.close();
            return;
        }
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            LOG.warn("{}: refused a connection from {}: {} connections are open already", name, remote, maxConnections);
            ctx.close();
            return;
        }
        ctx.channel().closeFuture().addListener(f -> open.decrementAndGet());
        super.channelActive(ctx);
    }

    int open() {
        return open.get();
    }
}
