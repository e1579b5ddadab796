package io.pgha.agent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's local control socket ({@code control_socket}): a Unix domain socket through which a
 * CLI command run on this machine with the node's config file asks the agent for what it would
 * otherwise open a DCS session of its own for. On a cold JVM that session (TLS, the key store, the
 * handshake) is most of a {@code pgha list}; the agent's session is already up.
 *
 * <p>Only the agent's own OS user can connect: the socket lives in a directory that is that user's
 * with mode 0700 (made so when the agent creates it; an existing directory that is not is refused,
 * and no socket is served). Only reads are served; nothing that changes the cluster goes through
 * here. A CLI that finds no socket, or an agent that cannot answer, reads the DCS itself.
 *
 * <p>The exchange: the client sends NUL-separated fields and shuts its side down: {@link #MAGIC},
 * the cluster, the member's name, its data directory (which must all be this agent's: another
 * cluster's config never gets this agent's answer), the command and its arguments. The agent answers
 * {@code ok} or {@code error} on the first line and the text after it, and closes.
 */
public final class ControlSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlSocket.class);
    static final String MAGIC = "pgha-control/1";
    /** The longest request read; anything longer is refused. */
    static final int MAX_REQUEST = 16 * 1024;
    /** Connections answered at once; more get an error at once (the CLI then reads the DCS itself). */
    static final int MAX_CONCURRENT = 4;

    /** One command served: its arguments in, its text out; an exception's message is the error. */
    @FunctionalInterface
    public interface Handler {
        String answer(List<String> args) throws Exception;
    }

    /** Who the socket answers for: a request naming another cluster, member or data directory is refused. */
    public record Identity(String cluster, String name, String dataDir) {}

    /** A reply: {@code ok} and the command's text, or not and the agent's reason. */
    public record Reply(boolean ok, String text) {}

    private final Path path;
    private final Identity self;
    private final Map<String, Handler> handlers;
    private final ServerSocketChannel server;
    private final Object fileKey;
    private final Semaphore slots = new Semaphore(MAX_CONCURRENT);
    private final Thread acceptor;
    private volatile boolean closed;

    private ControlSocket(Path path, Identity self, Map<String, Handler> handlers, ServerSocketChannel server)
            throws IOException {
        this.path = path;
        this.self = self;
        this.handlers = Map.copyOf(handlers);
        this.server = server;
        this.fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                .fileKey();
        this.acceptor = new Thread(this::acceptLoop, "control-socket");
        acceptor.setDaemon(true);
    }

    /**
     * Serves {@code handlers} at {@code path}, or returns null (with a warning that names why) when
     * the socket cannot be served there: the directory is another user's or open to others, another
     * live process serves the path, the path is too long. The agent runs on without it.
     */
    public static ControlSocket start(Path path, Identity self, Map<String, Handler> handlers) {
        try {
            prepareDirectory(path.getParent());
            removeStale(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                server.bind(UnixDomainSocketAddress.of(path));
                ControlSocket s = new ControlSocket(path, self, handlers, server);
                s.acceptor.start();
                LOG.info("control socket {}: local pgha commands read the cluster through this agent", path);
                return s;
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "control socket {}: not served ({}); pgha commands on this machine read the DCS themselves",
                    path,
                    e.getMessage());
            return null;
        }
    }

    /**
     * The socket's directory: made with mode 0700 when missing (its parent must exist); an existing
     * one must be a directory (not a link) of this user with no permissions for group or others, so
     * that no other user can reach the socket from the moment it exists.
     */
    static void prepareDirectory(Path dir) throws IOException {
        if (dir == null) throw new IOException("the path has no directory");
        try {
            Files.createDirectory(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // checked below, without following a link
        }
        String why = Client.untrusted(dir);
        if (why != null) throw new IOException(why);
    }

    /**
     * A socket left at {@code path} by an agent that was killed is removed; one that another process
     * still answers on is not (two agents configured with one path: the first keeps it).
     */
    private static void removeStale(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        if (!a.isOther()) throw new IOException(path + " exists and is not a socket");
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new IOException("another process serves " + path);
        } catch (java.net.ConnectException e) {
            Files.delete(path); // nobody listens: left by an agent that was killed
        }
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed) LOG.warn("control socket {}: accept failed: {}", path, e.getMessage());
                return;
            }
            if (!slots.tryAcquire()) {
                reply(c, new Reply(false, "the agent is answering " + MAX_CONCURRENT + " requests already"));
                continue;
            }
            Thread t = new Thread(
                    () -> {
                        try {
                            reply(c, answer(c));
                        } finally {
                            slots.release();
                        }
                    },
                    "control-socket-request");
            t.setDaemon(true);
            t.start();
        }
    }

    private Reply answer(SocketChannel c) {
        List<String> fields;
        try {
            fields = readRequest(c);
        } catch (IOException e) {
            return new Reply(false, e.getMessage());
        }
        return answer(fields);
    }

    /** The reply to one decoded request (separate from the socket for the unit tests). */
    Reply answer(List<String> fields) {
        if (fields.size() < 5 || !MAGIC.equals(fields.get(0)))
            return new Reply(false, "not a request of this pgha version (expected " + MAGIC + ")");
        Identity asked = new Identity(fields.get(1), fields.get(2), fields.get(3));
        if (!asked.equals(self))
            return new Reply(
                    false,
                    "this socket serves member " + self.name() + " of cluster " + self.cluster()
                            + " (data_dir " + self.dataDir() + "), not " + asked.name() + " of " + asked.cluster()
                            + " (data_dir " + asked.dataDir() + ")");
        Handler h = handlers.get(fields.get(4));
        if (h == null) return new Reply(false, "no command '" + fields.get(4) + "' here");
        try {
            return new Reply(true, Objects.requireNonNull(h.answer(fields.subList(5, fields.size()))));
        } catch (Exception e) {
            LOG.debug("control socket: {} failed", fields.get(4), e);
            return new Reply(false, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** The request's fields: read until the client shuts its side down, at most {@link #MAX_REQUEST} bytes. */
    static List<String> readRequest(SocketChannel c) throws IOException {
        return decode(Client.readToEnd(c, MAX_REQUEST));
    }

    /** NUL-separated UTF-8 fields. */
    static List<String> decode(byte[] request) {
        return new ArrayList<>(Arrays.asList(new String(request, StandardCharsets.UTF_8).split("\0", -1)));
    }

    private static void reply(SocketChannel c, Reply r) {
        try (c) {
            ByteBuffer out =
                    ByteBuffer.wrap(((r.ok() ? "ok" : "error") + "\n" + r.text()).getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) c.write(out);
        } catch (IOException e) {
            LOG.debug("control socket: the client left before the reply: {}", e.getMessage());
        }
    }

    /**
     * The CLI's side, a class of its own so that a CLI which only asks does not set up the agent's
     * logging (about 50 ms of a cold JVM).
     */
    public static final class Client {
        private Client() {}

        /** NUL-separated UTF-8 fields; a field may not hold a NUL. */
        static byte[] encode(List<String> fields) {
            for (String f : fields) {
                if (f.indexOf('\0') >= 0) throw new IllegalArgumentException("a field holds a NUL character");
            }
            return String.join("\0", fields).getBytes(StandardCharsets.UTF_8);
        }

        /**
         * Why a socket in {@code dir} could have been made by another user than this one, or null
         * when it cannot: the directory must be this user's, not a link, with no permissions for
         * group or others. The agent refuses to serve in such a directory, and the CLI asks no socket
         * there (another user who made {@code /tmp/pgha-USER} first would answer in the agent's place).
         */
        static String untrusted(Path dir) {
            if (dir == null) return "the path has no directory";
            PosixFileAttributes a;
            try {
                a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | RuntimeException e) {
                return "cannot read " + dir + ": " + e.getMessage();
            }
            if (!a.isDirectory()) return dir + " is not a directory";
            String me = System.getProperty("user.name");
            if (!a.owner().getName().equals(me))
                return dir + " belongs to " + a.owner().getName() + ", not to " + me;
            String mode = PosixFilePermissions.toString(a.permissions());
            if (!mode.endsWith("------"))
                return dir + " has mode " + mode
                        + "; it must be rwx------ (only the agent's user may reach the socket)";
            return null;
        }

        /** What {@code c} sends until it shuts its side down; more than {@code max} bytes is an error. */
        static byte[] readToEnd(SocketChannel c, int max) throws IOException {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            while (c.read(buf) >= 0) {
                buf.flip();
                got.write(buf.array(), 0, buf.limit());
                buf.clear();
                if (got.size() > max) throw new IOException("more than " + max + " bytes");
            }
            return got.toByteArray();
        }

        /**
         * Asks the agent at {@code path}: its reply, or null when no agent answers there (no socket,
         * a directory another user could have put it in, nobody listening, no permission, no complete
         * reply within {@code timeoutMs}). The caller then
         * does the work itself.
         */
        public static Reply ask(Path path, Identity who, List<String> command, long timeoutMs) {
            if (path == null || !Files.exists(path, LinkOption.NOFOLLOW_LINKS) || untrusted(path.getParent()) != null)
                return null;
            List<String> fields = new ArrayList<>(List.of(MAGIC, who.cluster(), who.name(), who.dataDir()));
            fields.addAll(command);
            SocketChannel c;
            try {
                c = SocketChannel.open(UnixDomainSocketAddress.of(path));
            } catch (IOException | RuntimeException e) {
                return null;
            }
            // a blocking channel has no read timeout: a timer closes it, which ends a read in progress
            Thread timer = new Thread(
                    () -> {
                        try {
                            Thread.sleep(timeoutMs);
                            c.close();
                        } catch (InterruptedException | IOException e) {
                            // answered in time, or closed already
                        }
                    },
                    "control-socket-timeout");
            timer.setDaemon(true);
            timer.start();
            try (c) {
                ByteBuffer req = ByteBuffer.wrap(encode(fields));
                while (req.hasRemaining()) c.write(req);
                c.shutdownOutput();
                String text = new String(readToEnd(c, Integer.MAX_VALUE), StandardCharsets.UTF_8);
                int nl = text.indexOf('\n');
                if (nl < 0) return null;
                String status = text.substring(0, nl);
                if (!status.equals("ok") && !status.equals("error")) return null;
                return new Reply(status.equals("ok"), text.substring(nl + 1));
            } catch (IOException | RuntimeException e) {
                return null;
            } finally {
                timer.interrupt();
            }
        }
    }

    public Path path() {
        return path;
    }

    /** Stops serving and removes the socket file, unless another agent has put its own there since. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("control socket: close", e);
        }
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (Objects.equals(a.fileKey(), fileKey)) Files.delete(path);
        } catch (IOException e) {
            LOG.debug("control socket: removing {}: {}", path, e.getMessage());
        }
    }
}
