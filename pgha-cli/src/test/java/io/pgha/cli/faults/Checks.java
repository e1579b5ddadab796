package io.pgha.cli.faults;

import io.pgha.core.model.HistoryEntry;
import io.pgha.testkit.Writer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The checks that decide whether a fault broke an invariant, read from the real cluster. */
final class Checks {
    private Checks() {}

    record Verdict(String check, boolean ok, String detail) {}

    /** State carried between faults: what was already reported, so that each fault counts its own. */
    static final class Ledger {
        final Set<Long> lostRows = new HashSet<>();
        final Set<Long> lostTransfers = new HashSet<>();
        int doublePrimaryAcks;
    }

    /**
     * After a fault, on the current primary: every acknowledged row and transfer is there; and no
     * acknowledgement came from an older timeline after a newer one, or from two members on one
     * timeline (two writable primaries).
     */
    static List<Verdict> afterFault(FaultLab lab, Ledger ledger) throws Exception {
        List<Verdict> out = new ArrayList<>();
        int p = lab.primary().orElseThrow(() -> new IllegalStateException("no primary to check against"));
        // Acknowledgements are taken before the primary is read: later ones may not be in the read.
        Set<Long> missing = new TreeSet<>(lab.writer.acked());
        Set<Long> missingT = new TreeSet<>(lab.bank.acked());
        Set<Long> rows = lab.ids(p, "SELECT id FROM acks");
        Set<Long> transfers = lab.ids(p, "SELECT id FROM transfers");
        missing.removeAll(rows);
        missing.removeAll(ledger.lostRows);
        ledger.lostRows.addAll(missing);
        out.add(new Verdict(
                "acknowledged rows on the primary",
                missing.isEmpty(),
                missing.isEmpty()
                        ? "all " + lab.writer.ackedCount()
                        : missing.size() + " missing: " + sample(missing)));
        missingT.removeAll(transfers);
        missingT.removeAll(ledger.lostTransfers);
        ledger.lostTransfers.addAll(missingT);
        out.add(new Verdict(
                "acknowledged transfers on the primary",
                missingT.isEmpty(),
                missingT.isEmpty()
                        ? "all " + lab.bank.acked().size()
                        : missingT.size() + " missing: " + sample(missingT)));
        List<String> doubles = doublePrimaries(
                lab.writer.acks(), lab.state().map(c -> c.history()).orElse(List.of()));
        int fresh = doubles.size() - ledger.doublePrimaryAcks;
        ledger.doublePrimaryAcks = doubles.size();
        out.add(new Verdict(
                "one writer",
                fresh == 0,
                fresh == 0
                        ? "no acknowledgement from a deposed primary"
                        : fresh + " acknowledgements from a second primary, e.g. " + doubles.get(doubles.size() - 1)));
        return out;
    }

    /**
     * Acknowledgements that prove two writable primaries: one on a timeline received after the next
     * timeline's primary had promoted (as the DCS history records it), one from an older timeline
     * after one from a newer timeline was received, or two members acknowledging on one timeline.
     */
    static List<String> doublePrimaries(List<Writer.Ack> acks, List<HistoryEntry> history) {
        List<String> out = new ArrayList<>();
        Map<Integer, String> owner = new HashMap<>();
        Map<Integer, Long> endedAt = new HashMap<>();
        for (HistoryEntry h : history) endedAt.put(h.timeline(), h.at());
        int newest = 0;
        for (Writer.Ack a : acks) {
            if (a.member() == null) continue;
            String prev = owner.putIfAbsent(a.timeline(), a.member());
            Long ended = endedAt.get(a.timeline());
            if (prev != null && !prev.equals(a.member())) {
                out.add("row " + a.id() + " by " + a.member() + " on timeline " + a.timeline() + ", which " + prev
                        + " also wrote");
            } else if (ended != null && a.atMillis() > ended) {
                // The promoter records the switch once it accepts writes: both were writable.
                out.add("row " + a.id() + " by " + a.member() + " on timeline " + a.timeline() + " acknowledged "
                        + (a.atMillis() - ended) + " ms after timeline " + (a.timeline() + 1) + " began");
            } else if (a.timeline() < newest) {
                out.add("row " + a.id() + " by " + a.member() + " on timeline " + a.timeline() + " after timeline "
                        + newest);
            }
            newest = Math.max(newest, a.timeline());
        }
        return out;
    }

    /**
     * At the end, with the workloads stopped and every member back: all on one timeline, each
     * replayed to the primary's position, the same table contents everywhere, the money unchanged.
     */
    static List<Verdict> converged(FaultLab lab) throws Exception {
        List<Verdict> out = new ArrayList<>();
        boolean healthy = lab.restoreAll(180_000);
        out.add(new Verdict("all members back and streaming", healthy, healthy ? "3 of 3" : "not healthy after 180 s"));
        if (!healthy) return out;
        int p = lab.primary().orElseThrow();
        String lsn = lab.one(p, "SELECT pg_current_wal_lsn()::text");
        boolean caughtUp = FaultLab.waitUntil(60_000, () -> {
            for (int i = 1; i <= FaultLab.NODES; i++) {
                if (i == p) continue;
                try {
                    if (!"t".equals(lab.one(i, "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn")))
                        return false;
                } catch (Exception e) {
                    return false;
                }
            }
            return true;
        });
        out.add(new Verdict("standbys replayed everything", caughtUp, "up to " + lsn));
        Map<String, Integer> tls = lab.timelines();
        boolean oneTl = new HashSet<>(tls.values()).size() == 1;
        out.add(new Verdict("one timeline", oneTl, tls.toString()));
        Map<String, String> sums = new java.util.TreeMap<>();
        Map<String, String> totals = new java.util.TreeMap<>();
        for (int i = 1; i <= FaultLab.NODES; i++) {
            sums.put(
                    "node" + i,
                    lab.one(i, "SELECT md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) FROM acks") + "/"
                            + lab.one(
                                    i,
                                    "SELECT md5(coalesce(string_agg(id || ':' || amount, ',' ORDER BY id), '')) FROM transfers"));
            totals.put("node" + i, lab.one(i, "SELECT sum(balance) FROM accounts"));
        }
        out.add(new Verdict("same data on every member", new HashSet<>(sums.values()).size() == 1, sums.toString()));
        String expected = String.valueOf(lab.bank.expectedTotal());
        boolean money = totals.values().stream().allMatch(expected::equals);
        out.add(new Verdict("money total unchanged", money, "expected " + expected + ", found " + totals));
        return out;
    }

    private static String sample(Set<Long> ids) {
        List<Long> l = new ArrayList<>(ids);
        return l.subList(0, Math.min(10, l.size())) + (l.size() > 10 ? " ..." : "");
    }
}
