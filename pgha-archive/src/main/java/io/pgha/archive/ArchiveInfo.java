package io.pgha.archive;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a repository holds, per timeline: first and last WAL segment, how many, and the gaps
 * between them (missing segments make every later one useless for recovery), plus history files.
 *
 * @param segmentSize bytes per WAL segment, read from a stored segment's header (0 when none)
 */
public record ArchiveInfo(long segmentSize, List<Timeline> timelines) {

    /** One timeline's WAL in the archive. Gaps are ranges of missing segment names, "A" or "A..B". */
    public record Timeline(
            int timeline, String first, String last, long segments, List<String> gaps, boolean history) {}

    public static ArchiveInfo of(Repository repo) throws IOException {
        List<String> names = repo.list("wal");
        Map<Integer, TreeSet<Long>> segs = new TreeMap<>();
        TreeSet<Integer> histories = new TreeSet<>();
        String sample = null;
        for (String n : names) {
            String f = n.substring(n.lastIndexOf('/') + 1);
            if (f.matches("[0-9A-F]{8}\\.history")) {
                histories.add(Integer.parseInt(f.substring(0, 8), 16));
            } else if (f.matches("[0-9A-F]{24}")) {
                if (sample == null) sample = n;
                segs.computeIfAbsent(Integer.parseInt(f.substring(0, 8), 16), k -> new TreeSet<>())
                        .add(Long.parseLong(f.substring(8), 16));
            }
        }
        long size = 0;
        if (sample != null) {
            try (InputStream in = repo.open(sample)) {
                if (in != null) size = StoredFile.readHeader(in, sample).length();
            }
        }
        long perLog = size > 0 ? WalNames.perLog(size) : 0;
        TreeSet<Integer> all = new TreeSet<>(segs.keySet());
        all.addAll(histories);
        List<Timeline> out = new ArrayList<>();
        for (int tl : all) {
            TreeSet<Long> raw = segs.getOrDefault(tl, new TreeSet<>());
            List<Long> numbers = new ArrayList<>();
            for (long r : raw) numbers.add(perLog > 0 ? (r >>> 32) * perLog + (r & 0xffffffffL) : r);
            numbers.sort(null);
            List<String> gaps = new ArrayList<>();
            for (int i = 1; i < numbers.size(); i++) {
                long from = numbers.get(i - 1) + 1;
                long to = numbers.get(i) - 1;
                if (from <= to)
                    gaps.add(
                            from == to
                                    ? WalNames.name(tl, from, perLog)
                                    : WalNames.name(tl, from, perLog) + ".." + WalNames.name(tl, to, perLog));
            }
            out.add(new Timeline(
                    tl,
                    numbers.isEmpty() ? null : WalNames.name(tl, numbers.get(0), perLog),
                    numbers.isEmpty() ? null : WalNames.name(tl, numbers.get(numbers.size() - 1), perLog),
                    numbers.size(),
                    gaps,
                    histories.contains(tl)));
        }
        return new ArchiveInfo(size, out);
    }
}
