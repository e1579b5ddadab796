package io.pgha.archive;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL's archive_command and restore_command contract over a {@link Repository}:
 *
 * <ul>
 *   <li>push succeeds only once the file is durable in the repository; pushing a name that is
 *       already archived with the same bytes succeeds (PostgreSQL retries after a crash); with
 *       different bytes it fails loudly and never overwrites;
 *   <li>get of a name that is not archived answers {@link GetResult#MISSING} at once; an unusable
 *       repository is a {@link RepositoryUnavailableException}, never "missing"; a stored file whose
 *       checksum does not match is a {@link CorruptFileException} naming it, and nothing is written.
 * </ul>
 */
public final class WalArchive {
    private static final Logger LOG = LoggerFactory.getLogger(WalArchive.class);
    /** WAL segments, partial segments, history files and backup labels, as PostgreSQL names them. */
    private static final Pattern WAL_NAME =
            Pattern.compile("[0-9A-F]{24}(\\.partial|\\.[0-9A-F]{8}\\.backup)?|[0-9A-F]{8}\\.history");

    public enum PushResult {
        STORED,
        ALREADY_ARCHIVED
    }

    public enum GetResult {
        RESTORED,
        MISSING
    }

    private final Repository repo;
    private final Compression compression;

    public WalArchive(Repository repo, Compression compression) {
        this.repo = repo;
        this.compression = compression;
    }

    /** True for the names of WAL segments, partial segments, history files and backup labels. */
    static boolean isWalName(String name) {
        return WAL_NAME.matcher(name).matches();
    }

    static String key(String walName) {
        if (!WAL_NAME.matcher(walName).matches()) {
            throw new IllegalArgumentException(
                    "'" + walName + "' is not the name of a WAL segment, partial segment, history or backup file");
        }
        return "wal/" + walName;
    }

    private static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");

    /**
     * Refuses a segment of timeline T that reaches past the point where a later timeline, whose
     * history file is in the archive, branched off T: only a deposed primary that still runs writes
     * such a segment, and its WAL after the switch point is not the cluster's history.
     */
    void checkTimeline(String name, long segmentSize) throws IOException {
        if (!SEGMENT.matcher(name).matches() || segmentSize <= 0) return;
        int tl = WalNames.timeline(name);
        long end = (WalNames.segNo(name, WalNames.perLog(segmentSize)) + 1) * segmentSize;
        for (int next = tl + 1; next < tl + 1000; next++) {
            String key = String.format("wal/%08X.history", next);
            String text;
            try (InputStream in = repo.open(key)) {
                if (in == null) return;
                text = new String(StoredFile.read(in, key), java.nio.charset.StandardCharsets.UTF_8);
            }
            io.pgha.core.model.Lsn switchpoint = io.pgha.core.model.TimelineHistory.switchpointFrom(text, tl);
            if (switchpoint != null && Long.compareUnsigned(end, switchpoint.value()) > 0) {
                String msg = name + " is on timeline " + tl + " past its end at " + switchpoint + " (timeline " + next
                        + " branched off there, see "
                        + String.format("%08X.history", next)
                        + "); refusing to archive it. This server is not the primary of the cluster's"
                        + " newest timeline: it may be a deposed primary that still runs.";
                LOG.error(msg);
                throw new ArchiveConflictException(msg);
            }
        }
    }

    /** Archives the file at {@code path} (the %p of archive_command) under its own name. */
    public PushResult push(Path path) throws IOException {
        String name = path.getFileName().toString();
        String key = key(name);
        checkTimeline(name, Files.size(path));
        StoredFile.Header mine;
        try (InputStream in = Files.newInputStream(path);
                Repository.NewFile f = repo.create(key)) {
            mine = StoredFile.write(in, compression, f);
            if (f.commit()) return PushResult.STORED;
        }
        StoredFile.Header existing;
        try (InputStream in = repo.open(key)) {
            if (in == null)
                throw new RepositoryUnavailableException(
                        "repository " + repo.describe() + ": " + name + " vanished while it was archived", null);
            existing = StoredFile.readHeader(in, key);
        }
        if (existing.sameContent(mine.sha256()) && existing.length() == mine.length())
            return PushResult.ALREADY_ARCHIVED;
        String msg = name + " is already archived in " + repo.describe() + " with different content (stored sha256 "
                + existing.checksum()
                + ", this file " + mine.checksum() + "); refusing to overwrite it. Two primaries may have written"
                + " the same timeline: check the cluster before doing anything else.";
        LOG.error(msg);
        throw new ArchiveConflictException(msg);
    }

    /** Restores {@code walName} to {@code dest} (the %f and %p of restore_command). */
    public GetResult get(String walName, Path dest) throws IOException {
        String key = key(walName);
        Path tmp = dest.resolveSibling("." + dest.getFileName() + ".pgha-tmp");
        try (InputStream in = repo.open(key)) {
            if (in == null) return GetResult.MISSING;
            Files.deleteIfExists(tmp); // left by a crash: created anew below, with its mode from the start
            try (FileChannel ch = FileChannel.open(
                    tmp,
                    java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 17);
                StoredFile.copy(new BufferedInputStream(in, 1 << 17), key, out);
                out.flush();
                ch.force(true);
            }
            Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return GetResult.RESTORED;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    Compression compression() {
        return compression;
    }

    public Repository repository() {
        return repo;
    }
}
