package io.pgha.router.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.pgha.core.config.PoolConfig;
import io.pgha.router.Route;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pooled client on an embedded channel: what it leaves behind on its event loop. */
class PooledClientTest {
    @TempDir
    Path dir;

    /** An embedded channel with a TCP peer address, as the pooled listener's clients have. */
    private static EmbeddedChannel client(PoolListener listener) {
        return new EmbeddedChannel(new FrameDecoder(true, 1 << 20), new Coalescer(), new PooledClient(listener)) {
            @Override
            protected SocketAddress remoteAddress0() {
                return new InetSocketAddress("127.0.0.1", 40000);
            }
        };
    }

    private PoolListener listener(String authType) throws Exception {
        Path users = dir.resolve("users.txt");
        if (!Files.exists(users)) {
            Files.createFile(
                    users,
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Files.writeString(users, "\"alice\" \"alice-pw\"\n");
        }
        PoolConfig cfg = new PoolConfig(
                6432, PoolConfig.Mode.TRANSACTION, authType, users.toString(), 2, 50, 600_000, 3_600_000, 60_000);
        return new PoolListener(
                "t",
                cfg,
                "127.0.0.1",
                1 << 20,
                () -> new Route.Wait("none"),
                List::of,
                m -> false,
                null,
                reason -> {},
                io.pgha.router.Transport.NIO);
    }

    /** Runs the check on a client of a listener with the given auth type; both are closed after it. */
    private void withClient(String authType, java.util.function.Consumer<EmbeddedChannel> check) throws Exception {
        PoolListener listener = listener(authType);
        try {
            EmbeddedChannel ch = client(listener);
            check.accept(ch);
            ch.finishAndReleaseAll();
        } finally {
            listener.close();
        }
    }

    /**
     * The client_login_timeout timer goes with the client. Before, it stayed scheduled for the whole
     * timeout and held the client (channel, pipeline, buffers) until then, also after the client
     * had gone: a connect-per-transaction load kept tens of thousands of closed clients and drove the
     * router into one full garbage collection after the other. (The channel's own close would cancel
     * every timer of an embedded channel, so the test fires channelInactive itself.)
     */
    @Test
    void aClientThatGoesWhileLoggingInLeavesNoTimerBehind() throws Exception {
        withClient("scram-sha-256", ch -> {
            assertThat(ch.runScheduledPendingTasks())
                    .as("the login timer runs while the client logs in")
                    .isPositive();
            ch.pipeline().fireChannelInactive();
            assertThat(ch.runScheduledPendingTasks())
                    .as("nothing left scheduled")
                    .isEqualTo(-1);
        });
    }

    @Test
    void aClientThatLoggedInLeavesNoLoginTimerBehind() throws Exception {
        withClient("trust", ch -> {
            io.netty.buffer.ByteBuf startup = io.netty.buffer.Unpooled.buffer();
            byte[] params = "user\0alice\0database\0postgres\0\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            startup.writeInt(8 + params.length).writeInt(196608).writeBytes(params);
            ch.writeInbound(startup);
            assertThat(ch.runScheduledPendingTasks())
                    .as("nothing left scheduled")
                    .isEqualTo(-1);
        });
    }
}
