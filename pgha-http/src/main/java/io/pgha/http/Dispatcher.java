package io.pgha.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last in every pipeline: turns a complete request into a {@link Request}, asks the {@link
 * Handler} and writes its answer. Reading stops while a request is answered, so a client's
 * pipelined requests are answered one at a time and in order.
 */
@SuppressWarnings("FutureReturnValueIgnored") // Netty's writes and closes report through listeners where it matters
final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private final String name;
    private final Handler handler;

    Dispatcher(String name, Handler handler) {
        this.name = name;
        this.handler = handler;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            int status = cause instanceof TooLongFrameException ? 431 : 400;
            write(ctx, true, false, Response.error(status, "malformed request: " + cause.getMessage()));
            return;
        }
        Request r = request(ctx, req);
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        boolean withBody = !r.method().equals("HEAD");
        ctx.channel().config().setAutoRead(false);
        answer(r)
                .whenCompleteAsync(
                        (resp, err) -> {
                            write(ctx, withBody, keepAlive, resp != null ? resp : failure(r, err));
                            if (keepAlive) ctx.channel().config().setAutoRead(true);
                        },
                        ctx.executor());
    }

    private CompletionStage<Response> answer(Request r) {
        try {
            CompletionStage<Response> s = handler.handle(r);
            return s != null ? s : CompletableFuture.completedFuture(Response.error(500, "no answer"));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Response failure(Request r, Throwable err) {
        Throwable e = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (e instanceof RejectedExecutionException)
            return Response.error(503, "busy: too many requests are being answered; try again");
        LOG.error("{}: {} {} failed: {}", name, r.method(), r.path(), e.toString());
        return Response.error(500, "internal error: " + e.getClass().getSimpleName());
    }

    /** Writes {@code resp} (without its body for HEAD); closes the connection unless {@code keepAlive}. */
    private static void write(ChannelHandlerContext ctx, boolean withBody, boolean keepAlive, Response resp) {
        byte[] body = resp.body();
        FullHttpResponse out = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(resp.status()),
                withBody ? Unpooled.wrappedBuffer(body) : Unpooled.EMPTY_BUFFER);
        resp.headers().forEach((k, v) -> out.headers().set(k, v));
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, resp.contentType());
        out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        HttpUtil.setKeepAlive(out, keepAlive);
        var f = ctx.writeAndFlush(out);
        if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
    }

    private static Request request(ChannelHandlerContext ctx, FullHttpRequest req) {
        QueryStringDecoder q = new QueryStringDecoder(req.uri());
        Map<String, String> headers = new HashMap<>();
        req.headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
        return new Request(
                req.method().name(),
                q.path(),
                q.parameters(),
                headers,
                ByteBufUtil.getBytes(req.content()),
                (InetSocketAddress) ctx.channel().remoteAddress(),
                clientCertificate(ctx));
    }

    private static boolean clientCertificate(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        if (ssl == null) return false;
        try {
            return ssl.engine().getSession().getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException e) {
            return false;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("{}: closing a connection from {}: {}", name, ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
