package io.pgha.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A repository in a directory (local disk or NFS). A file is written under a temporary name in its
 * final directory, fsynced, linked to its final name (which fails rather than replaces when the
 * name exists), and the directory is fsynced: after {@link #create} returns true the file survives
 * a crash, and a concurrent writer of the same name cannot overwrite it.
 */
public final class DirectoryRepository implements Repository {
  private final Path root;

  public DirectoryRepository(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  private Path resolve(String name) {
    Path p = root.resolve(name).normalize();
    if (!p.startsWith(root) || name.isEmpty()) throw new IllegalArgumentException("'" + name + "' is not a file name inside the repository");
    return p;
  }

  private void checkRoot() throws RepositoryUnavailableException {
    if (!Files.isDirectory(root)) {
      throw new RepositoryUnavailableException("repository " + root + " does not exist or is not a directory", null);
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
      throw new RepositoryUnavailableException("repository " + root + ": cannot read " + name + ": permission denied", e);
    }
  }

  @Override
  public boolean create(String name, byte[] bytes) throws IOException {
    checkRoot();
    Path target = resolve(name);
    Path dir = target.getParent();
    try {
      Files.createDirectories(dir);
      if (Files.exists(target)) return false;
      Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId());
      writeSynced(tmp, bytes);
      try {
        Files.createLink(target, tmp); // fails if the name exists: never replaces
      } catch (FileAlreadyExistsException e) {
        return false;
      } finally {
        Files.deleteIfExists(tmp);
      }
      syncDirectory(dir);
      return true;
    } catch (AccessDeniedException e) {
      throw new RepositoryUnavailableException("repository " + root + " is not writable: " + e.getMessage(), e);
    } catch (IOException e) {
      if (e instanceof RepositoryUnavailableException) throw e;
      throw new RepositoryUnavailableException("repository " + root + ": cannot store " + name + ": " + e, e);
    }
  }

  /** Writes {@code bytes} to {@code file} (created or truncated) and fsyncs it before returning. */
  static void writeSynced(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) ch.write(b);
      ch.force(true);
    }
  }

  private static void syncDirectory(Path dir) throws IOException {
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
    try (Stream<Path> s = Files.walk(base)) {
      s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
          .forEach(p -> out.add(root.relativize(p).toString()));
    }
    out.sort(null);
    return out;
  }

  @Override
  public String describe() {
    return root.toString();
  }
}
