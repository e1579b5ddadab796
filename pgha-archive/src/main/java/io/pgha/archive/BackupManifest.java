package io.pgha.archive;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * What a backup holds: written last into {@code backup/LABEL/manifest.json}, so a backup without
 * one is incomplete and never used. Every file has its size and the SHA-256 of its stored form
 * ({@link #FORMAT}); {@code backupLabel} is
 * the backup_label PostgreSQL returned at the end of the backup. {@code stopXmax} is the first
 * transaction id not yet started when the backup ended: a recovery to an xid below it cannot start
 * from this backup.
 */
public record BackupManifest(
        int format,
        String label,
        String type,
        String startTime,
        String stopTime,
        String startLsn,
        String stopLsn,
        long stopXmax,
        int timeline,
        String startWal,
        String stopWal,
        String systemIdentifier,
        int pgVersion,
        long walSegmentSize,
        String compression,
        String source,
        boolean fromStandby,
        long bytes,
        long storedBytes,
        double seconds,
        String backupLabel,
        String tablespaceMap,
        List<Entry> files) {

    /**
     * 2: the files are in stored format 2 and {@code sha256} is of each stored payload (see {@link
     * StoredFile}); 1: of the original bytes.
     */
    public static final int FORMAT = 2;

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.INDENT_OUTPUT, true);

    /** A file or directory of the data directory, relative to it; {@code storedSize} is its size in the repository. */
    public record Entry(String path, boolean directory, long size, String sha256, int mode, long storedSize) {}

    public static String key(String label) {
        return "backup/" + label + "/manifest.json";
    }

    public static String fileKey(String label, String path) {
        return "backup/" + label + "/data/" + path;
    }

    public byte[] toJson() throws IOException {
        return JSON.writeValueAsBytes(this);
    }

    public static BackupManifest read(Repository repo, String label) throws IOException {
        try (InputStream in = repo.open(key(label))) {
            if (in == null) return null;
            byte[] json = StoredFile.read(in, key(label));
            BackupManifest m;
            try {
                m = JSON.readValue(json, BackupManifest.class);
            } catch (IOException e) {
                throw new CorruptFileException(key(label), "is not a valid manifest: " + e.getMessage());
            }
            if (m.format() > FORMAT)
                throw new CorruptFileException(
                        key(label),
                        "was written by a newer pgha (manifest format " + m.format() + ", this one reads up to "
                                + FORMAT + ")");
            return m;
        }
    }

    public long fileCount() {
        return files.stream().filter(e -> !e.directory()).count();
    }
}
