package io.pgha.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** The backups in a repository: listing, verifying and expiring them (with the WAL they need). */
public final class BackupStore {
    private final Repository repo;

    public BackupStore(Repository repo) {
        this.repo = repo;
    }

    /** Labels of every backup directory, complete (with manifest) or not, oldest first. */
    List<String> labels() throws IOException {
        TreeSet<String> out = new TreeSet<>();
        for (String k : repo.list("backup")) {
            String[] parts = k.split("/");
            if (parts.length >= 3) out.add(parts[1]);
        }
        return new ArrayList<>(out);
    }

    /** Complete backups (those with a manifest), oldest first. */
    public List<BackupManifest> list() throws IOException {
        List<BackupManifest> out = new ArrayList<>();
        for (String l : labels()) {
            BackupManifest m = BackupManifest.read(repo, l);
            if (m != null) out.add(m);
        }
        return out;
    }

    /** Labels of backup directories without a manifest (interrupted or failed backups). */
    public List<String> incomplete() throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : labels()) {
            try (InputStream in = repo.open(BackupManifest.key(l))) {
                if (in == null) out.add(l);
            }
        }
        return out;
    }

    public BackupManifest get(String label) throws IOException {
        BackupManifest m = BackupManifest.read(repo, label);
        if (m == null)
            throw new IllegalArgumentException(
                    "no backup " + label + " in " + repo.describe() + " (pgha backup list shows them)");
        return m;
    }

    /** The newest backup, or null. */
    public BackupManifest latest() throws IOException {
        List<BackupManifest> all = list();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** A problem found by {@link #verify}. */
    public record Problem(String file, String what) {
        @Override
        public String toString() {
            return file + ": " + what;
        }
    }

    /**
     * Reads every file of the backup and checks it against its stored checksum and the manifest,
     * then every WAL segment from the backup's start to its stop (what recovery needs to reach a
     * consistent state). Empty when all is well.
     */
    public List<Problem> verify(BackupManifest m, Progress progress) throws IOException {
        List<Problem> problems = new ArrayList<>();
        progress.start(m.bytes(), m.fileCount());
        OutputStream discard = OutputStream.nullOutputStream();
        for (BackupManifest.Entry e : m.files()) {
            if (e.directory()) continue;
            String key = BackupManifest.fileKey(m.label(), e.path());
            try (InputStream in = repo.open(key)) {
                if (in == null) {
                    problems.add(new Problem(key, "missing"));
                    continue;
                }
                StoredFile.Header h = StoredFile.copy(new java.io.BufferedInputStream(in, 1 << 16), key, discard);
                if (h.length() != e.size() || !h.checksum().equals(e.sha256()))
                    problems.add(new Problem(key, "differs from the manifest"));
                progress.add(h.length());
                progress.fileDone();
            } catch (CorruptFileException c) {
                problems.add(new Problem(key, c.reason()));
            }
        }
        long perLog = WalNames.perLog(m.walSegmentSize());
        long first = WalNames.segNo(m.startWal(), perLog);
        long last = WalNames.segNo(m.stopWal(), perLog);
        for (long n = first; n <= last; n++) {
            String seg = WalNames.name(m.timeline(), n, perLog);
            String key = "wal/" + seg;
            try (InputStream in = repo.open(key)) {
                if (in == null) {
                    problems.add(new Problem(key, "missing: WAL this backup needs to reach consistency"));
                    continue;
                }
                StoredFile.copy(new java.io.BufferedInputStream(in, 1 << 16), key, discard);
            } catch (CorruptFileException c) {
                problems.add(new Problem(key, c.reason()));
            }
        }
        progress.close();
        return problems;
    }

    /** What {@link #expire} removed (or would remove, dry run). */
    public record Expired(List<String> backups, List<String> incomplete, List<String> walFiles, String oldestKept) {}

    /**
     * Keeps the newest {@code keep} complete backups and removes older ones, then the WAL older than
     * the oldest kept backup's start (segments, partial and .backup files; history files stay).
     * Incomplete backups older than the newest complete one go too. Nothing is removed when there
     * are not more than {@code keep} complete backups, so WAL is never dropped without a backup that
     * makes it unnecessary.
     */
    public Expired expire(int keep, boolean dryRun) throws IOException {
        if (keep < 1) throw new IllegalArgumentException("retention must keep at least 1 full backup");
        List<BackupManifest> all = list();
        if (all.size() <= keep)
            return new Expired(
                    List.of(),
                    List.of(),
                    List.of(),
                    all.isEmpty() ? null : all.get(0).label());
        List<BackupManifest> drop = all.subList(0, all.size() - keep);
        BackupManifest oldest = all.get(all.size() - keep);
        List<String> dropped = new ArrayList<>();
        for (BackupManifest m : drop) {
            dropped.add(m.label());
            if (!dryRun) removeBackup(m.label());
        }
        List<String> stale = new ArrayList<>();
        String newest = all.get(all.size() - 1).label();
        for (String l : incomplete()) {
            if (l.compareTo(newest) < 0) {
                stale.add(l);
                if (!dryRun) removeBackup(l);
            }
        }
        long perLog = WalNames.perLog(oldest.walSegmentSize());
        long keepFrom = WalNames.segNo(oldest.startWal(), perLog);
        List<String> wal = new ArrayList<>();
        for (String k : repo.list("wal")) {
            String f = k.substring(k.lastIndexOf('/') + 1);
            if (!f.matches("[0-9A-F]{24}(\\.partial|\\.[0-9A-F]{8}\\.backup)?")) continue; // history files stay
            if (WalNames.segNo(f, perLog) < keepFrom) {
                wal.add(f);
                if (!dryRun) repo.delete(k);
            }
        }
        return new Expired(dropped, stale, wal, oldest.label());
    }

    private void removeBackup(String label) throws IOException {
        repo.delete(BackupManifest.key(label)); // first: a half-removed backup is never listed as complete
        for (String k : repo.list("backup/" + label)) repo.delete(k);
    }
}
