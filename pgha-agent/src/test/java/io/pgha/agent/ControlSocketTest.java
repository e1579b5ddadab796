package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.agent.ControlSocket.Identity;
import io.pgha.agent.ControlSocket.Reply;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's control socket with real Unix domain sockets in a temporary directory. */
class ControlSocketTest {
    private static final Identity NODE1 = new Identity("demo", "node1", "/srv/pg/node1");

    @TempDir
    Path tmp;

    private Path dir;
    private ControlSocket socket;

    @BeforeEach
    void directory() {
        dir = tmp.resolve("run");
    }

    @AfterEach
    void close() {
        if (socket != null) socket.close();
    }

    private ControlSocket serve(Map<String, ControlSocket.Handler> handlers) {
        socket = ControlSocket.start(dir.resolve("n1.sock"), NODE1, handlers);
        return socket;
    }

    private Reply ask(Identity who, String... command) {
        return ControlSocket.Client.ask(dir.resolve("n1.sock"), who, List.of(command), 5000);
    }

    @Test
    void aCommandIsAnsweredWithItsArgumentsAndTheDirectoryIsMadeForTheAgentsUserAlone() throws Exception {
        serve(Map.of("list", args -> "members " + args));

        assertThat(ask(NODE1, "list", "json", "x y")).isEqualTo(new Reply(true, "members [json, x y]"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)))
                .isEqualTo("rwx------");
    }

    @Test
    void anotherClusterMemberOrDataDirectoryGetsAnErrorNotThisAgentsAnswer() {
        serve(Map.of("list", args -> "node1's view"));

        for (Identity other : List.of(
                new Identity("prod", "node1", "/srv/pg/node1"),
                new Identity("demo", "node2", "/srv/pg/node1"),
                new Identity("demo", "node1", "/srv/pg/other"))) {
            Reply r = ask(other, "list");
            assertThat(r.ok()).as(other.toString()).isFalse();
            assertThat(r.text()).contains("serves member node1 of cluster demo");
        }
    }

    @Test
    void anUnknownCommandAFailingHandlerAndAForeignRequestAreErrors() {
        serve(Map.of("list", args -> {
            throw new IllegalStateException("the agent has no DCS session right now");
        }));

        assertThat(ask(NODE1, "switchover")).isEqualTo(new Reply(false, "no command 'switchover' here"));
        assertThat(ask(NODE1, "list")).isEqualTo(new Reply(false, "the agent has no DCS session right now"));
        assertThat(socket.answer(List.of("GET / HTTP/1.1")))
                .extracting(Reply::ok)
                .isEqualTo(false);
        assertThat(socket.answer(List.of("pgha-control/9", "demo", "node1", "/srv/pg/node1", "list"))
                        .text())
                .contains("expected pgha-control/1");
    }

    @Test
    void noSocketMeansNoAnswerAndTheCallerDoesTheWorkItself() {
        assertThat(ask(NODE1, "list")).isNull();
        assertThat(ControlSocket.Client.ask(null, NODE1, List.of("list"), 1000)).isNull();
    }

    @Test
    void aSocketLeftByAKilledAgentIsReplacedAndOneStillServedIsLeftToItsOwner() throws Exception {
        ControlSocket.prepareDirectory(dir);
        Path path = dir.resolve("n1.sock");
        ServerSocketChannel killed = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        killed.bind(UnixDomainSocketAddress.of(path));
        killed.close(); // the file stays, as after kill -9
        assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).isTrue();

        serve(Map.of("list", args -> "first"));
        assertThat(socket).isNotNull();
        assertThat(ask(NODE1, "list")).isEqualTo(new Reply(true, "first"));

        ControlSocket second = ControlSocket.start(path, NODE1, Map.of("list", args -> "second"));
        assertThat(second).isNull();
        assertThat(ask(NODE1, "list")).isEqualTo(new Reply(true, "first"));

        socket.close();
        socket = null;
        assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void aDirectoryOthersCanEnterOrALinkIsRefusedByTheAgentAndNotTrustedByTheCli() throws Exception {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(serve(Map.of("list", args -> "x"))).isNull();
        assertThat(Files.exists(dir.resolve("n1.sock"))).isFalse();

        // a socket someone else could have made there is not asked
        ServerSocketChannel planted = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        planted.bind(UnixDomainSocketAddress.of(dir.resolve("n1.sock")));
        try {
            assertThat(ask(NODE1, "list")).isNull();
        } finally {
            planted.close();
            Files.delete(dir.resolve("n1.sock"));
        }

        Path real = Files.createDirectory(
                tmp.resolve("real"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path link = tmp.resolve("link");
        Files.createSymbolicLink(link, real);
        assertThat(ControlSocket.start(link.resolve("n1.sock"), NODE1, Map.of("list", args -> "x")))
                .isNull();
        try (var left = Files.list(real)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void anAgentThatDoesNotAnswerInTimeIsGivenUp() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        serve(Map.of("list", args -> {
            release.await(10, TimeUnit.SECONDS);
            return "late";
        }));
        try {
            assertThat(ControlSocket.Client.ask(dir.resolve("n1.sock"), NODE1, List.of("list"), 300))
                    .isNull();
        } finally {
            release.countDown();
        }
    }

    @Test
    void requestsAreNulSeparatedAndAFieldWithANulIsRefused() {
        assertThat(ControlSocket.decode(ControlSocket.Client.encode(List.of("a", "b c", "", "d"))))
                .containsExactly("a", "b c", "", "d");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ControlSocket.Client.encode(List.of("a\0b")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
