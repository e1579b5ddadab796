package io.pgha.cli.faults;

import io.pgha.testkit.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs faults one after another against a {@link FaultLab}, checks the invariants after each and at
 * the end, and writes a report (Markdown) with a timeline picture (SVG) of write availability.
 */
final class Campaign {
    /** One fault as it happened. */
    record Outcome(
            int number,
            Fault fault,
            long injectedAt,
            Fault.Effect effect,
            long unavailableMs,
            long recoveryMs,
            List<Checks.Verdict> verdicts) {
        boolean ok() {
            return effect.recovered() && verdicts.stream().allMatch(Checks.Verdict::ok);
        }
    }

    /** The whole run. */
    record Result(
            List<Outcome> outcomes,
            List<Checks.Verdict> finalVerdicts,
            int lostRows,
            int lostTransfers,
            int doublePrimaryAcks,
            long acked,
            long durationMs) {
        boolean safe() {
            return lostRows == 0
                    && lostTransfers == 0
                    && doublePrimaryAcks == 0
                    && finalVerdicts.stream().allMatch(Checks.Verdict::ok);
        }
    }

    private Campaign() {}

    /** Runs {@code plan}; progress goes to stdout. */
    static Result run(FaultLab lab, List<Fault> plan, Random rnd) throws Exception {
        List<Outcome> outcomes = new ArrayList<>();
        Checks.Ledger ledger = new Checks.Ledger();
        long start = lab.now();
        for (int i = 0; i < plan.size(); i++) {
            Fault f = plan.get(i);
            Thread.sleep(1000 + rnd.nextInt(2000)); // let the load run between faults
            long injectedNanos = System.nanoTime();
            long at = lab.now();
            Fault.Effect effect;
            try {
                effect = f.inject(lab, rnd);
            } catch (Exception e) {
                effect = new Fault.Effect("-", "fault failed: " + e, false);
            }
            boolean healthy = FaultLab.waitUntil(
                    120_000,
                    () -> lab.healthy()
                            && (lab.mode == io.pgha.core.model.SyncMode.OFF
                                    || lab.state()
                                            .map(s -> s.sync().quorum() > 0)
                                            .orElse(false)));
            if (!healthy) {
                // what each agent was doing (SIGQUIT: the JVM writes its threads into the agent's log,
                // which the report keeps), before the restore restarts what is stuck
                for (int n = 1; n <= lab.cluster.nodes(); n++) lab.cluster.signalAgent(n, "QUIT");
                Thread.sleep(500);
                lab.restoreAll(120_000);
                effect = new Fault.Effect(
                        effect.target(), effect.notes() + "; not healthy within 120 s, restored", false);
            }
            long recovery = lab.now() - at;
            FaultLab.waitUntil(30_000, () -> lastAckAfter(lab.writer, injectedNanos) != null);
            long recoveredNanos = System.nanoTime();
            List<Checks.Verdict> verdicts = null;
            for (int attempt = 1; verdicts == null; attempt++) {
                try {
                    verdicts = Checks.afterFault(lab, ledger);
                } catch (Exception e) {
                    if (attempt == 3) verdicts = List.of(new Checks.Verdict("checks ran", false, e.toString()));
                    else Thread.sleep(2000);
                }
            }
            Outcome o = new Outcome(
                    i + 1, f, at, effect, unavailable(lab.writer, injectedNanos, recoveredNanos), recovery, verdicts);
            outcomes.add(o);
            System.out.printf(
                    "fault %d/%d %s on %s: %s; writes paused %d ms; healthy after %d ms; %s%n",
                    o.number(),
                    plan.size(),
                    f,
                    effect.target(),
                    effect.notes(),
                    o.unavailableMs(),
                    recovery,
                    o.ok() ? "ok" : "FAILED " + verdicts);
        }
        lab.writer.close();
        lab.bank.close();
        List<Checks.Verdict> fin = Checks.converged(lab);
        System.out.println("final checks: " + fin);
        return new Result(
                outcomes,
                fin,
                ledger.lostRows.size(),
                ledger.lostTransfers.size(),
                ledger.doublePrimaryAcks,
                lab.writer.ackedCount() + lab.bank.acked().size(),
                lab.now() - start);
    }

    /** A random plan of {@code n} faults over every kind. */
    static List<Fault> randomPlan(int n, Random rnd) {
        List<Fault> plan = new ArrayList<>();
        Fault[] all = Fault.values();
        for (int i = 0; i < n; i++) plan.add(all[rnd.nextInt(all.length)]);
        return plan;
    }

    private static Writer.Ack lastAckAfter(Writer w, long nanos) {
        Writer.Ack last = w.lastAck();
        return last != null && last.atNanos() > nanos ? last : null;
    }

    /**
     * The longest pause of the row writer caused by the fault: the largest gap between two
     * consecutive acknowledgements whose later one falls after the injection and no later than the
     * first acknowledgement after recovery.
     */
    static long unavailable(Writer w, long injectedNanos, long recoveredNanos) {
        long worst = 0;
        Writer.Ack prev = null;
        for (Writer.Ack a : w.acks()) {
            if (prev != null && a.atNanos() > injectedNanos) {
                worst = Math.max(worst, a.atNanos() - prev.atNanos());
                if (a.atNanos() > recoveredNanos) break;
            }
            prev = a;
        }
        return worst / 1_000_000L;
    }

    // ------------------------------------------------------------------ report

    static void write(Path dir, String title, FaultLab lab, Result r) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("timeline.svg"), svg(lab, r));
        StringBuilder s = new StringBuilder("# " + title + "\n\n");
        s.append("Run ")
                .append(Instant.now())
                .append(", ")
                .append(r.outcomes().size())
                .append(" faults in ")
                .append(r.durationMs() / 1000)
                .append(" s; synchronous_mode ")
                .append(lab.mode.label())
                .append(".\n\n");
        s.append("| verdict | value |\n|---|---|\n");
        s.append("| acknowledged writes (rows + transfers) | ")
                .append(r.acked())
                .append(" |\n");
        s.append("| acknowledged rows lost | ").append(r.lostRows()).append(" |\n");
        s.append("| acknowledged transfers lost | ").append(r.lostTransfers()).append(" |\n");
        s.append("| acknowledgements from a second primary | ")
                .append(r.doublePrimaryAcks())
                .append(" |\n");
        for (Checks.Verdict v : r.finalVerdicts()) {
            s.append("| ")
                    .append(v.check())
                    .append(" | ")
                    .append(v.ok() ? "ok" : "**FAILED**")
                    .append(": ")
                    .append(v.detail())
                    .append(" |\n");
        }
        s.append("\n| fault | runs | writes paused: median (ms) | max (ms) | failed checks |\n|---|---|---|---|---|\n");
        for (Fault f : Fault.values()) {
            List<Outcome> of = r.outcomes().stream().filter(o -> o.fault() == f).toList();
            if (of.isEmpty()) continue;
            List<Long> paused = of.stream().map(Outcome::unavailableMs).sorted().toList();
            s.append("| ")
                    .append(f)
                    .append(" | ")
                    .append(of.size())
                    .append(" | ")
                    .append(paused.get(paused.size() / 2))
                    .append(" | ")
                    .append(paused.get(paused.size() - 1))
                    .append(" | ")
                    .append(of.stream().filter(o -> !o.ok()).count())
                    .append(" |\n");
        }
        s.append("\n![write availability per member](timeline.svg)\n\n");
        s.append(
                "| # | fault | target | at (s) | writes paused (ms) | healthy after (ms) | what happened | checks |\n|---|---|---|---|---|---|---|---|\n");
        for (Outcome o : r.outcomes()) {
            s.append("| ")
                    .append(o.number())
                    .append(" | ")
                    .append(o.fault())
                    .append(" | ")
                    .append(o.effect().target())
                    .append(" | ")
                    .append(String.format("%.1f", o.injectedAt() / 1000.0))
                    .append(" | ")
                    .append(o.unavailableMs())
                    .append(" | ")
                    .append(o.recoveryMs())
                    .append(" | ")
                    .append(o.effect().notes())
                    .append(" | ")
                    .append(
                            o.ok()
                                    ? "ok"
                                    : "**"
                                            + o.verdicts().stream()
                                                    .filter(v -> !v.ok())
                                                    .map(v -> v.check() + ": " + v.detail())
                                                    .toList()
                                            + "**")
                    .append(" |\n");
        }
        s.append("\nFaults: ");
        for (Fault f : Fault.values()) s.append("\n- `").append(f).append("`: ").append(f.description);
        s.append("\n");
        Files.writeString(dir.resolve("report.md"), s.toString());
    }

    /** One row per member: a mark wherever that member acknowledged writes; faults as red lines. */
    static String svg(FaultLab lab, Result r) {
        List<Writer.Ack> acks = lab.writer.acks();
        long begin = acks.isEmpty() ? 0 : acks.get(0).atMillis();
        long end = acks.isEmpty() ? 1 : acks.get(acks.size() - 1).atMillis() + 1;
        int width = 1400;
        int left = 70;
        int rowH = 28;
        int top = 30;
        double scale = (width - left - 10) / (double) Math.max(1, end - begin);
        StringBuilder s = new StringBuilder();
        int height = top + FaultLab.NODES * rowH + 40;
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(width)
                .append("\" height=\"")
                .append(height)
                .append(
                        "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        String[] colours = {"#2b8a3e", "#1971c2", "#e67700", "#862e9c", "#0b7285", "#5c940d"};
        for (int n = 1; n <= FaultLab.NODES; n++) {
            int y = top + (n - 1) * rowH;
            s.append("<text x=\"5\" y=\"")
                    .append(y + 17)
                    .append("\">node")
                    .append(n)
                    .append("</text>\n");
            s.append("<rect x=\"")
                    .append(left)
                    .append("\" y=\"")
                    .append(y + 4)
                    .append("\" width=\"")
                    .append(width - left - 10)
                    .append("\" height=\"")
                    .append(rowH - 8)
                    .append("\" fill=\"#f1f3f5\"/>\n");
            int runStart = -1;
            int runEnd = -1;
            int runTl = -1;
            for (Writer.Ack a : acks) {
                if (!("node" + n).equals(a.member())) continue;
                int x = left + (int) ((a.atMillis() - begin) * scale);
                if (runStart >= 0 && x <= runEnd + 1 && a.timeline() == runTl) {
                    runEnd = x;
                    continue;
                }
                if (runStart >= 0) bar(s, runStart, runEnd, y, rowH, colours[runTl % colours.length]);
                runStart = x;
                runEnd = x;
                runTl = a.timeline();
            }
            if (runStart >= 0) bar(s, runStart, runEnd, y, rowH, colours[runTl % colours.length]);
        }
        for (Outcome o : r.outcomes()) {
            long wall = lab.t0 + o.injectedAt();
            int x = left + (int) ((wall - begin) * scale);
            s.append("<line x1=\"")
                    .append(x)
                    .append("\" y1=\"")
                    .append(top - 4)
                    .append("\" x2=\"")
                    .append(x)
                    .append("\" y2=\"")
                    .append(top + FaultLab.NODES * rowH)
                    .append("\" stroke=\"")
                    .append(o.ok() ? "#e03131" : "black")
                    .append("\" stroke-width=\"1\"><title>")
                    .append(o.number())
                    .append(' ')
                    .append(o.fault())
                    .append(' ')
                    .append(o.effect().target())
                    .append("</title></line>\n");
            s.append("<text x=\"")
                    .append(x + 2)
                    .append("\" y=\"")
                    .append(top - 8)
                    .append("\" font-size=\"9\">")
                    .append(o.number())
                    .append("</text>\n");
        }
        s.append("<text x=\"")
                .append(left)
                .append("\" y=\"")
                .append(height - 12)
                .append("\">")
                .append("acknowledged writes per member over ")
                .append((end - begin) / 1000)
                .append(" s (colour: timeline; red lines: faults)")
                .append("</text>\n</svg>\n");
        return s.toString();
    }

    private static void bar(StringBuilder s, int x0, int x1, int y, int rowH, String colour) {
        s.append("<rect x=\"")
                .append(x0)
                .append("\" y=\"")
                .append(y + 4)
                .append("\" width=\"")
                .append(Math.max(1, x1 - x0 + 1))
                .append("\" height=\"")
                .append(rowH - 8)
                .append("\" fill=\"")
                .append(colour)
                .append("\"/>\n");
    }
}
