package io.pgha.archive;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A repository in a directory (local disk or NFS). A file is written under a temporary name in its
 * final directory, fsynced, linked to its final name (which fails rather than replaces when the
 * name exists), and the directory is fsynced: after {@link NewFile#commit} returns true the file
 * survives a crash, and a concurrent writer of the same name cannot overwrite it.
 *
 * <p>Files get mode 0600 and directories 0700 when they are created, never a wider mode first. When
 * the repository's root directory is readable by its group but not by others (an operator made it
 * 0750 so that a backup group can read the archive), files get 0640 and directories 0750.
 */
public final class DirectoryRepository implements Repository {
    private static final AtomicLong SEQ = new AtomicLong();
    private final Path root;

    public DirectoryRepository(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    private Path resolve(String name) {
        Path p = root.resolve(name).normalize();
        if (!p.startsWith(root) || name.isEmpty())
            throw new IllegalArgumentException("'" + name + "' is not a file name inside the repository");
        return p;
    }

    private void checkRoot() throws RepositoryUnavailableException {
        if (!Files.isDirectory(root)) {
            throw new RepositoryUnavailableException(
                    "repository " + root + " does not exist or is not a directory", null);
        }
    }

    @Override
    public InputStream open(String name) throws IOException {
        checkRoot();
        try {
            return Files.newInputStream(resolve(name));
        } catch (NoSuchFileException e) {
            return null;
        } catch (AccessDeniedException e) {
            throw new RepositoryUnavailableException(
                    "repository " + root + ": cannot read " + name + ": permission denied", e);
        }
    }

    @Override
    public NewFile create(String name) throws IOException {
        checkRoot();
        Path target = resolve(name);
        Path dir = target.getParent();
        try {
            boolean group = groupReadable();
            Files.createDirectories(
                    dir,
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString(group ? "rwxr-x---" : "rwx------")));
            Path tmp = dir.resolve("." + target.getFileName() + ".tmp-"
                    + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
            FileChannel ch = FileChannel.open(
                    tmp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString(group ? "rw-r-----" : "rw-------")));
            return new DirectoryFile(name, target, tmp, ch);
        } catch (IOException e) {
            throw unavailable("cannot store " + name, e);
        }
    }

    /** Whether the root directory lets its group, and only it, read: then so do the files and directories created in it. */
    private boolean groupReadable() throws IOException {
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(root);
        return p.contains(PosixFilePermission.GROUP_READ) && !p.contains(PosixFilePermission.OTHERS_READ);
    }

    private RepositoryUnavailableException unavailable(String what, IOException e) {
        if (e instanceof RepositoryUnavailableException r) return r;
        if (e instanceof AccessDeniedException)
            return new RepositoryUnavailableException("repository " + root + " is not writable: " + e.getMessage(), e);
        String reason = e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.toString();
        return new RepositoryUnavailableException("repository " + root + ": " + what + ": " + reason, e);
    }

    private final class DirectoryFile implements NewFile {
        private final String name;
        private final Path target;
        private final Path tmp;
        private final FileChannel ch;
        private final OutputStream out;
        private boolean done;

        DirectoryFile(String name, Path target, Path tmp, FileChannel ch) {
            this.name = name;
            this.target = target;
            this.tmp = tmp;
            this.ch = ch;
            this.out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 17) {
                @Override
                public void close() throws IOException {
                    flush(); // the channel is closed by the file, not by callers of out()
                }
            };
        }

        @Override
        public OutputStream out() {
            return out;
        }

        @Override
        public java.nio.channels.WritableByteChannel channel() throws IOException {
            out.flush();
            return new java.nio.channels.WritableByteChannel() {
                @Override
                public int write(ByteBuffer src) throws IOException {
                    try {
                        return ch.write(src);
                    } catch (IOException e) {
                        throw unavailable("cannot store " + name, e);
                    }
                }

                @Override
                public boolean isOpen() {
                    return ch.isOpen();
                }

                @Override
                public void close() {
                    // the file closes the channel
                }
            };
        }

        @Override
        public long size() throws IOException {
            out.flush();
            return ch.size();
        }

        @Override
        public void writeAt(long position, byte[] bytes) throws IOException {
            try {
                out.flush();
                ByteBuffer b = ByteBuffer.wrap(bytes);
                long p = position;
                while (b.hasRemaining()) p += ch.write(b, p);
            } catch (IOException e) {
                throw unavailable("cannot store " + name, e);
            }
        }

        @Override
        public boolean commit() throws IOException {
            return commit(true);
        }

        @Override
        public boolean commitDeferred() throws IOException {
            return commit(false);
        }

        private boolean commit(boolean syncDirectory) throws IOException {
            try {
                out.flush();
                ch.force(true);
                ch.close();
                try {
                    Files.createLink(target, tmp); // fails if the name exists: never replaces
                } catch (FileAlreadyExistsException e) {
                    return false;
                }
                if (syncDirectory) syncDirectory(target.getParent());
                return true;
            } catch (IOException e) {
                throw unavailable("cannot store " + name, e);
            } finally {
                done = true;
                Files.deleteIfExists(tmp);
            }
        }

        @Override
        public void close() throws IOException {
            if (done) return;
            done = true;
            try {
                ch.close();
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    @Override
    public boolean delete(String name) throws IOException {
        checkRoot();
        Path p = resolve(name);
        try {
            boolean existed = Files.deleteIfExists(p);
            // a removed backup leaves no empty directories behind (WAL directories stay: pushes use them)
            Path backups = root.resolve("backup");
            for (Path d = p.getParent(); d != null && d.startsWith(backups) && !d.equals(backups); d = d.getParent()) {
                try {
                    Files.delete(d);
                } catch (java.nio.file.DirectoryNotEmptyException | NoSuchFileException e) {
                    break;
                }
            }
            return existed;
        } catch (IOException e) {
            throw unavailable("cannot delete " + name, e);
        }
    }

    @Override
    public void syncDirectories(java.util.Collection<String> files) throws IOException {
        checkRoot();
        java.util.Set<Path> dirs = new java.util.TreeSet<>(java.util.Comparator.reverseOrder()); // deepest first
        for (String f : files) {
            for (Path d = resolve(f).getParent(); d != null && d.startsWith(root); d = d.getParent()) {
                if (!dirs.add(d)) break; // its ancestors are in already
            }
        }
        try {
            for (Path d : dirs) syncDirectory(d);
        } catch (IOException e) {
            throw unavailable("cannot sync the directories of what was stored", e);
        }
    }

    static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        checkRoot();
        Path base = resolve(prefix);
        if (!Files.isDirectory(base)) return List.of();
        List<String> out = new ArrayList<>();
        try {
            Files.walkFileTree(base, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes a) {
                    if (a.isRegularFile() && !p.getFileName().toString().startsWith("."))
                        out.add(root.relativize(p).toString());
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
                    // gone between reading the directory and looking at the entry: a push's temporary
                    // file renamed into place, or a file deleted by expire, while this listing ran
                    if (e instanceof NoSuchFileException && !p.equals(base))
                        return java.nio.file.FileVisitResult.CONTINUE;
                    throw e;
                }
            });
        } catch (IOException e) {
            throw unavailable("cannot list " + prefix, e);
        }
        out.sort(null);
        return out;
    }

    @Override
    public String describe() {
        return root.toString();
    }
}
