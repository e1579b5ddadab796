package io.pgha.cli.faults;

import io.pgha.core.model.SyncMode;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Random;

/**
 * The long fault campaign: {@code bench/campaign.sh N [MODE] [SEED] [nowatchdog]} runs N random faults against a
 * 3-node cluster in synchronous_mode MODE (on, quorum or off) and writes
 * {@code bench/results/campaign-MODE-TIME/report.md} with {@code timeline.svg}. Exit status 1 when
 * an acknowledged write was lost or a second primary acknowledged one in a synchronous mode (in
 * mode off losses are reported, not failed).
 */
public final class CampaignMain {
    private CampaignMain() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        SyncMode mode = args.length > 1 ? SyncMode.parse(args[1]) : SyncMode.ON;
        if (mode == null) throw new IllegalArgumentException("MODE: '" + args[1] + "' is not one of on, quorum, off");
        long seed = args.length > 2 ? Long.parseLong(args[2]) : System.currentTimeMillis();
        boolean watchdog = args.length <= 3 || !args[3].equals("nowatchdog");
        Random rnd = new Random(seed);
        List<Fault> plan = Campaign.randomPlan(n, rnd);
        String stamp = LocalDateTime.now(java.time.ZoneId.systemDefault())
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path out =
                Path.of("bench", "results", "campaign-" + mode.label() + (watchdog ? "" : "-nowatchdog") + "-" + stamp);
        System.setProperty(
                "pgha.faults.logs", out.resolve("logs").toAbsolutePath().toString());
        boolean safe;
        try (FaultLab lab = new FaultLab("campaign", mode, false, watchdog)) {
            Campaign.Result r = Campaign.run(lab, plan, rnd);
            Campaign.write(
                    out,
                    "Fault campaign: " + n + " faults, synchronous_mode " + mode.label()
                            + (watchdog ? "" : ", no watchdog") + ", seed " + seed,
                    lab,
                    r);
            safe = r.safe();
            System.out.printf(
                    "%n%d faults, %d acknowledged writes, %d rows and %d transfers lost, %d acknowledgements from a second primary%n",
                    n, r.acked(), r.lostRows(), r.lostTransfers(), r.doublePrimaryAcks());
        }
        System.out.println("report: " + out.toAbsolutePath().resolve("report.md"));
        System.exit(safe || mode == SyncMode.OFF ? 0 : 1);
    }
}
