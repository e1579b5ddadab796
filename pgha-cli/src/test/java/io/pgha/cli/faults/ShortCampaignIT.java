package io.pgha.cli.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.SyncMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The short fault campaign that runs in CI: every kind of fault once (switchovers twice) on a
 * 3-node cluster in synchronous mode, with the watchdog stand-ins armed. No acknowledged write may
 * be lost, no second primary may acknowledge anything, and the cluster must converge.
 */
class ShortCampaignIT {
    @Test
    void synchronousModeSurvivesEveryFaultWithoutLosingAnAcknowledgedWrite() throws Exception {
        List<Fault> plan = List.of(
                Fault.KILL_PRIMARY_NODE,
                Fault.SWITCHOVER,
                Fault.FREEZE_PRIMARY_NODE,
                Fault.KILL_POSTMASTER,
                Fault.CUT_PRIMARY_FROM_DCS,
                Fault.KILL_SYNC_STANDBY,
                Fault.LOSE_ZOOKEEPER_SERVER,
                Fault.KILL_PRIMARY_WITH_DCS_LEADER,
                Fault.FREEZE_PRIMARY_WITH_DCS_LEADER,
                Fault.SWITCHOVER);
        String only = System.getProperty("pgha.faults.plan"); // e.g. CUT_PRIMARY_FROM_DCS,SWITCHOVER to debug one fault
        if (only != null)
            plan = java.util.Arrays.stream(only.split(","))
                    .map(String::trim)
                    .map(Fault::valueOf)
                    .toList();
        System.setProperty(
                "pgha.faults.logs",
                Path.of("target", "fault-campaign", "logs").toAbsolutePath().toString());
        try (FaultLab lab = new FaultLab("short", SyncMode.ON, false)) {
            Campaign.Result r = Campaign.run(lab, plan, new Random(1));
            Path report = Path.of("target", "fault-campaign");
            Campaign.write(report, "Short fault campaign (CI)", lab, r);
            System.out.println("report: " + report.toAbsolutePath().resolve("report.md"));
            assertThat(r.lostRows()).as("acknowledged rows lost").isZero();
            assertThat(r.lostTransfers()).as("acknowledged transfers lost").isZero();
            assertThat(r.doublePrimaryAcks())
                    .as("acknowledgements from a second primary")
                    .isZero();
            assertThat(r.finalVerdicts()).allMatch(Checks.Verdict::ok, "final checks pass");
            for (Campaign.Outcome o : r.outcomes())
                assertThat(o.effect().recovered()).as("%s", o).isTrue();
            for (Campaign.Outcome o : r.outcomes()) {
                if (o.fault() == Fault.FREEZE_PRIMARY_NODE || o.fault() == Fault.FREEZE_PRIMARY_WITH_DCS_LEADER) {
                    assertThat(o.effect().notes())
                            .as("the frozen primary's watchdog reset it")
                            .contains("watchdog reset the node");
                }
            }
        }
    }
}
