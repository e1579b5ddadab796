package io.pgha.archive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node-local directory outside the data directory that makes archive_command and restore_command
 * cheap:
 *
 * <ul>
 *   <li>{@code pushed/NAME} marks a WAL file pushed ahead of PostgreSQL; it holds the file's stamp
 *       ({@code inode.size.mtime}, what {@code stat -c %i.%s.%Y} prints), so a shell one-liner in
 *       archive_command can confirm it without starting a JVM, and a different file of the same name
 *       is never confirmed;
 *   <li>{@code prefetched/NAME} holds WAL segments fetched (and verified) ahead of recovery.
 * </ul>
 */
public final class Spool {
    private final Path dir;

    public Spool(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    Path pushedDir() {
        return dir.resolve("pushed");
    }

    Path prefetchedDir() {
        return dir.resolve("prefetched");
    }

    /** The stamp of {@code file}: inode, size and whole seconds of its modification time. */
    public static String stamp(Path file) throws IOException {
        Object ino = Files.getAttribute(file, "unix:ino");
        return ino + "." + Files.size(file) + "."
                + Files.getLastModifiedTime(file).to(TimeUnit.SECONDS);
    }

    private static final java.nio.file.attribute.FileAttribute<?> PRIVATE_FILE =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    private static final java.nio.file.attribute.FileAttribute<?> PRIVATE_DIR =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));

    /** Creates {@code dir} and missing parents with mode 0700 from the start (the spool holds WAL). */
    public static Path createPrivateDirectory(Path dir) throws IOException {
        return Files.createDirectories(dir, PRIVATE_DIR);
    }

    /** Records that {@code file} is durable in the repository. */
    void markPushed(Path file) throws IOException {
        Path d = createPrivateDirectory(pushedDir());
        Path tmp = d.resolve("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.write(Files.createFile(tmp, PRIVATE_FILE), stamp(file).getBytes(StandardCharsets.US_ASCII));
        Files.move(
                tmp,
                d.resolve(file.getFileName().toString()),
                StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** True, and the marker removed, when {@code file} itself was pushed ahead. */
    public boolean confirmPushed(Path file) throws IOException {
        Path m = pushedDir().resolve(file.getFileName().toString());
        String recorded;
        try {
            recorded = Files.readString(m, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            return false;
        }
        if (!recorded.equals(stamp(file))) return false;
        Files.deleteIfExists(m);
        return true;
    }

    boolean isMarked(String name) {
        return Files.exists(pushedDir().resolve(name));
    }

    /** Removes markers older than {@code maxAgeMs} (of files PostgreSQL never asked for again). */
    void expireMarkers(long maxAgeMs) throws IOException {
        if (!Files.isDirectory(pushedDir())) return;
        FileTime limit = FileTime.fromMillis(System.currentTimeMillis() - maxAgeMs);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(pushedDir())) {
            for (Path p : s) {
                try {
                    if (Files.getLastModifiedTime(p).compareTo(limit) < 0) Files.deleteIfExists(p);
                } catch (NoSuchFileException e) {
                    // confirmed (and removed) by archive_command meanwhile
                }
            }
        }
    }

    /** Prefetched segments, sorted. */
    List<String> prefetched() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(prefetchedDir())) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(prefetchedDir())) {
            for (Path p : s)
                if (!p.getFileName().toString().startsWith("."))
                    out.add(p.getFileName().toString());
        }
        out.sort(null);
        return out;
    }
}
