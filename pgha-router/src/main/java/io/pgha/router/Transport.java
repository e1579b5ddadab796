package io.pgha.router;

import io.netty.channel.Channel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The socket transport of the router's event loops ({@code router.transport}): Linux io_uring, Linux
 * epoll, or the JDK's NIO selector. {@code auto}, the default, takes io_uring where Netty's native
 * library loads and the kernel allows it (a container's seccomp profile may not), else epoll, else
 * NIO. A transport named in the config that this machine cannot run is an error that says why, not a
 * silent fallback.
 *
 * <p>Why io_uring first: Netty's io_uring loop submits the reads and writes of all its sockets and
 * reaps their completions in one system call per turn, where epoll costs a call per read and per
 * write. On a 2-core machine a pooled select-only transaction cost the router 17-28 us of CPU
 * against 33-35 us with epoll (BENCHMARKS.md, "The pooler on io_uring").
 */
public enum Transport {
    IO_URING(
            "io_uring",
            IoUring::isAvailable,
            IoUring::unavailabilityCause,
            IoUringIoHandler::newFactory,
            IoUringSocketChannel.class,
            IoUringServerSocketChannel.class),
    EPOLL(
            "epoll",
            Epoll::isAvailable,
            Epoll::unavailabilityCause,
            EpollIoHandler::newFactory,
            EpollSocketChannel.class,
            EpollServerSocketChannel.class),
    NIO("nio", () -> true, () -> null, NioIoHandler::newFactory, NioSocketChannel.class, NioServerSocketChannel.class);

    private final String label;
    private final Supplier<Boolean> available;
    private final Supplier<Throwable> cause;
    private final Supplier<IoHandlerFactory> handlers;
    private final Class<? extends Channel> socket;
    private final Class<? extends ServerChannel> server;

    Transport(
            String label,
            Supplier<Boolean> available,
            Supplier<Throwable> cause,
            Supplier<IoHandlerFactory> handlers,
            Class<? extends Channel> socket,
            Class<? extends ServerChannel> server) {
        this.label = label;
        this.available = available;
        this.cause = cause;
        this.handlers = handlers;
        this.socket = socket;
        this.server = server;
    }

    /** {@code auto}, or a transport by name; one this machine cannot run, or an unknown name, is refused. */
    public static Transport named(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        if (n.equals("auto")) {
            for (Transport t : values()) if (t.available()) return t;
        }
        for (Transport t : values()) {
            if (t.label.equals(n)) {
                if (!t.available()) {
                    Throwable why = t.cause.get();
                    throw new IllegalArgumentException("router.transport: " + t.label
                            + " is not available on this machine"
                            + (why == null ? "" : " (" + why.getMessage() + ")")
                            + "; use auto to take the best one that is");
                }
                return t;
            }
        }
        throw new IllegalArgumentException(
                "router.transport: '" + name + "' is not a transport; use auto, io_uring, epoll or nio");
    }

    /** Whether this machine runs the transport (its native library loads and the kernel allows it). */
    public boolean available() {
        return available.get();
    }

    public IoHandlerFactory ioHandlerFactory() {
        return handlers.get();
    }

    public Class<? extends Channel> socketChannel() {
        return socket;
    }

    public Class<? extends ServerChannel> serverChannel() {
        return server;
    }

    @Override
    public String toString() {
        return label;
    }
}
