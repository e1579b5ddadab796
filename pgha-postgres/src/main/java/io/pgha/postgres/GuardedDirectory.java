package io.pgha.postgres;

import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A directory that PostgreSQL's OS user can write into (the data directory, the directory around
 * it, pg_wal), handled so that nothing planted there makes a root-run agent touch another file.
 *
 * <p>Design. The directory is opened once, by walking its path from {@code /} one component at a
 * time with {@code O_NOFOLLOW}; every later call works relative to that open descriptor
 * ({@code openat}, {@code renameat}, {@code unlinkat}), so renaming or replacing the directory
 * afterwards redirects nothing. On the way, a symbolic link is followed only when both the link and
 * the directory holding it belong to root or to this process's user: a link that another user
 * could have made or changed is refused with an error naming it. New files are created exclusively
 * ({@code O_CREAT|O_EXCL|O_NOFOLLOW}) under a random name with mode 0600 from the first instant,
 * written, handed to the owner with {@code fchown} on the open descriptor (never through a name),
 * synced and renamed into place. Reads never follow a link and never block on a FIFO.
 *
 * <p>Not thread-safe; open, use, close.
 */
public final class GuardedDirectory implements AutoCloseable {
    /** The owner new files and directories get; {@code null} owner means "leave as created". */
    public record Owner(int uid, int gid) {}

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_LINKS = 40;

    private final Path path;
    private final Owner owner;
    private final int fd;

    private GuardedDirectory(Path path, Owner owner, int fd) {
        this.path = path;
        this.owner = owner;
        this.fd = fd;
    }

    /**
     * Opens {@code dir}, refusing symbolic links on the way that a user other than root or this
     * process's could have placed. {@code owner} (nullable) gets the files and directories created
     * through this object.
     */
    public static GuardedDirectory open(Path dir, Owner owner) throws IOException {
        Libc.C c = Libc.c();
        Deque<String> todo = components(dir.toAbsolutePath().normalize());
        int fd = rootFd(c);
        Path at = Path.of("/");
        int links = 0;
        while (!todo.isEmpty()) {
            String name = todo.poll();
            int next = c.openat(fd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
            if (next >= 0) {
                c.close(fd);
                fd = next;
                at = at.resolve(name);
                continue;
            }
            int errno = Libc.errno();
            Path here = at.resolve(name);
            if ((errno != Libc.ELOOP && errno != Libc.ENOTDIR) || !Files.isSymbolicLink(here)) {
                c.close(fd);
                throw failure("cannot open directory " + here, errno, here);
            }
            if (!trustedLink(at, here) || ++links > MAX_LINKS) {
                c.close(fd);
                throw new AccessDeniedException(
                        here.toString(),
                        null,
                        "refusing to follow this symbolic link: it, or the directory holding it, belongs to a user other than root"
                                + " (pgha never follows links that PostgreSQL's OS user could have made)");
            }
            Deque<String> rest = new ArrayDeque<>(
                    components(at.resolve(Files.readSymbolicLink(here)).normalize()));
            rest.addAll(todo);
            todo = rest;
            c.close(fd);
            fd = rootFd(c);
            at = Path.of("/");
        }
        return new GuardedDirectory(dir, owner, fd);
    }

    private static int rootFd(Libc.C c) throws IOException {
        int fd = c.open("/", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw new IOException("cannot open / (errno " + Libc.errno() + ")");
        return fd;
    }

    private static Deque<String> components(Path abs) {
        Deque<String> out = new ArrayDeque<>();
        for (Path p : abs) out.add(p.toString());
        return out;
    }

    private static boolean trustedLink(Path dir, Path link) throws IOException {
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int linkOwner = (Integer) Files.getAttribute(link, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        int dirOwner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        return (linkOwner == 0 || linkOwner == self) && (dirOwner == 0 || dirOwner == self);
    }

    /** The path this directory was opened by (for messages; operations never use it). */
    public Path path() {
        return path;
    }

    /** The directory {@code name} inside this one, never through a symbolic link. */
    public GuardedDirectory sub(String name) throws IOException {
        checkName(name);
        int next = Libc.c().openat(fd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (next < 0) throw notADirectory(name, Libc.errno());
        return new GuardedDirectory(path.resolve(name), owner, next);
    }

    /** Whether {@code name} exists here (a link counts as existing; it is not followed). */
    public boolean has(String name) {
        checkName(name);
        return Files.exists(self().resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    /** The names in this directory. */
    public List<String> list() throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(self())) {
            for (Path p : s) out.add(p.getFileName().toString());
        }
        return out;
    }

    /**
     * {@link #write} unless {@code name} already holds exactly {@code content} and belongs to the
     * owner: then nothing is written or synced (a restart after a crash rewrites pgha's files, and
     * each write costs two syncs). True when it wrote.
     */
    public boolean writeIfChanged(String name, String content) throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        Optional<byte[]> now;
        try {
            now = readBytes(name, b.length);
        } catch (IOException e) {
            now = Optional.empty(); // larger, or unreadable: written anew
        }
        if (now.isPresent() && java.util.Arrays.equals(now.get(), b) && ownedAsWanted(name)) return false;
        write(name, b);
        return true;
    }

    private boolean ownedAsWanted(String name) throws IOException {
        if (owner == null) return true;
        Object uid = Files.getAttribute(self().resolve(name), "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object gid = Files.getAttribute(self().resolve(name), "unix:gid", LinkOption.NOFOLLOW_LINKS);
        return uid.equals(owner.uid()) && gid.equals(owner.gid());
    }

    /** Replaces {@code name} atomically with {@code content}: mode 0600, the owner's, synced. */
    public void write(String name, String content) throws IOException {
        write(name, content.getBytes(StandardCharsets.UTF_8));
    }

    /** Replaces {@code name} atomically with {@code content}: mode 0600, the owner's, synced. */
    public void write(String name, byte[] content) throws IOException {
        checkName(name);
        Libc.C c = Libc.c();
        String tmp = "." + name + ".pgha-" + HexFormat.of().formatHex(randomBytes());
        int f = c.openat(fd, tmp, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0600);
        if (f < 0) throw failure("cannot create a file in", Libc.errno(), path);
        try {
            try {
                writeAll(c, f, content);
                if (owner != null && c.fchown(f, owner.uid(), owner.gid()) != 0)
                    throw failure("cannot hand over", Libc.errno(), path.resolve(name));
                if (c.fsync(f) != 0) throw failure("cannot sync", Libc.errno(), path.resolve(name));
            } finally {
                c.close(f);
            }
            if (c.renameat(fd, tmp, fd, name) != 0) throw failure("cannot replace", Libc.errno(), path.resolve(name));
        } catch (IOException | RuntimeException e) {
            c.unlinkat(fd, tmp, 0);
            throw e;
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }

    private void writeAll(Libc.C c, int f, byte[] content) throws IOException {
        int off = 0;
        while (off < content.length) {
            byte[] chunk = off == 0 ? content : java.util.Arrays.copyOfRange(content, off, content.length);
            long n = c.write(f, chunk, new NativeLong(chunk.length)).longValue();
            if (n <= 0) throw failure("cannot write", Libc.errno(), path);
            off += (int) n;
        }
    }

    /**
     * The content of the regular file {@code name}, or empty when it does not exist. A symbolic link
     * there is an error, not followed; a file larger than {@code maxBytes} is an error.
     */
    public Optional<String> read(String name, int maxBytes) throws IOException {
        return readBytes(name, maxBytes).map(b -> new String(b, StandardCharsets.UTF_8));
    }

    /** {@link #read}, as bytes. */
    public Optional<byte[]> readBytes(String name, int maxBytes) throws IOException {
        checkName(name);
        Libc.C c = Libc.c();
        int f = c.openat(fd, name, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
        if (f < 0) {
            int errno = Libc.errno();
            if (errno == Libc.ENOENT) return Optional.empty();
            throw failure("cannot read", errno, path.resolve(name));
        }
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            while (true) {
                long n = c.read(f, buf, new NativeLong(buf.length)).longValue();
                if (n < 0) throw failure("cannot read", Libc.errno(), path.resolve(name));
                if (n == 0) break;
                out.write(buf, 0, (int) n);
                if (out.size() > maxBytes)
                    throw new IOException(path.resolve(name) + " is larger than " + maxBytes + " bytes");
            }
            return Optional.of(out.toByteArray());
        } finally {
            c.close(f);
        }
    }

    /** Removes the file or link {@code name} (not what a link points to); nothing when absent. */
    public void delete(String name) throws IOException {
        checkName(name);
        if (Libc.c().unlinkat(fd, name, 0) != 0 && Libc.errno() != Libc.ENOENT) {
            throw failure("cannot remove", Libc.errno(), path.resolve(name));
        }
    }

    /** Removes {@code name} and, if it is a directory, everything below it, never through a link. */
    public void deleteTree(String name) throws IOException {
        checkName(name);
        Libc.C c = Libc.c();
        if (c.unlinkat(fd, name, 0) == 0) return;
        int errno = Libc.errno();
        if (errno == Libc.ENOENT) return;
        if (errno != Libc.EISDIR) throw failure("cannot remove", errno, path.resolve(name));
        try (GuardedDirectory sub = sub(name)) {
            for (String child : sub.list()) sub.deleteTree(child);
        }
        if (c.unlinkat(fd, name, Libc.AT_REMOVEDIR) != 0 && Libc.errno() != Libc.ENOENT) {
            throw failure("cannot remove directory", Libc.errno(), path.resolve(name));
        }
    }

    /**
     * Creates the directory {@code name} with {@code mode} (from the first instant) and hands it to
     * the owner; an existing directory is handed over too. A link or file there is an error.
     */
    public void ensureDirectory(String name, int mode) throws IOException {
        checkName(name);
        Libc.C c = Libc.c();
        if (c.mkdirat(fd, name, mode) != 0 && Libc.errno() != Libc.EEXIST)
            throw failure("cannot create directory", Libc.errno(), path.resolve(name));
        int d = c.openat(fd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (d < 0) throw notADirectory(name, Libc.errno());
        try {
            if (owner != null && c.fchown(d, owner.uid(), owner.gid()) != 0)
                throw failure("cannot hand over", Libc.errno(), path.resolve(name));
        } finally {
            c.close(d);
        }
    }

    /** Renames {@code from} to {@code to} inside this directory, replacing a file or empty directory there. */
    public void rename(String from, String to) throws IOException {
        moveTo(from, this, to);
    }

    /** Moves {@code from} here to {@code to} in {@code target} (same file system). */
    public void moveTo(String from, GuardedDirectory target, String to) throws IOException {
        checkName(from);
        checkName(to);
        if (Libc.c().renameat(fd, from, target.fd, to) != 0)
            throw failure("cannot rename " + path.resolve(from) + " to", Libc.errno(), target.path.resolve(to));
    }

    /** This directory as a path that always reaches the open descriptor (for listing). */
    private Path self() {
        return Path.of("/proc/self/fd/" + fd);
    }

    /** Opening {@code name} as a directory failed; a link there shows as ENOTDIR, named as what it is. */
    private IOException notADirectory(String name, int errno) {
        boolean link = errno == Libc.ENOTDIR && Files.isSymbolicLink(self().resolve(name));
        return failure("cannot open directory", link ? Libc.ELOOP : errno, path.resolve(name));
    }

    private static void checkName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("'" + name + "' is not a plain file name");
        }
    }

    private static IOException failure(String what, int errno, Path where) {
        String reason = switch (errno) {
            case Libc.ENOENT -> "no such file or directory";
            case Libc.EEXIST -> "it exists";
            case Libc.ENOTDIR -> "not a directory";
            case Libc.ELOOP -> "it is a symbolic link, which pgha does not follow here";
            case 13, 1 -> "permission denied";
            default -> "errno " + errno;
        };
        if (errno == Libc.ENOENT) return new NoSuchFileException(where.toString(), null, what + ": " + reason);
        if (errno == Libc.EEXIST) return new FileAlreadyExistsException(where.toString(), null, what + ": " + reason);
        return new FileSystemException(where.toString(), null, what + ": " + reason);
    }

    @Override
    public void close() {
        try {
            Libc.c().close(fd);
        } catch (IOException e) {
            // loaded when opened: cannot happen
        }
    }
}
