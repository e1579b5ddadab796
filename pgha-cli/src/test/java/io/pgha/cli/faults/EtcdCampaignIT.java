package io.pgha.cli.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.SyncMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The short fault campaign on etcd instead of ZooKeeper: a 3-member etcd, synchronous mode,
 * failsafe mode on, watchdog stand-ins armed. Node loss, the primary cut off from etcd, an etcd
 * member lost, the whole etcd lost (failsafe keeps the primary writing), a switchover. No
 * acknowledged write may be lost, no second primary may acknowledge anything, and the cluster must
 * converge.
 */
class EtcdCampaignIT {
    @Test
    void synchronousModeOnEtcdSurvivesEveryFaultWithoutLosingAnAcknowledgedWrite() throws Exception {
        List<Fault> plan = List.of(
                Fault.KILL_PRIMARY_NODE,
                Fault.CUT_PRIMARY_FROM_DCS,
                Fault.LOSE_ZOOKEEPER_SERVER,
                Fault.DCS_OUTAGE,
                Fault.SWITCHOVER);
        System.setProperty(
                "pgha.faults.logs",
                Path.of("target", "fault-campaign-etcd", "logs")
                        .toAbsolutePath()
                        .toString());
        try (FaultLab lab = new FaultLab("etcd", SyncMode.ON, false, true, true, true)) {
            Campaign.Result r = Campaign.run(lab, plan, new Random(1));
            Path report = Path.of("target", "fault-campaign-etcd");
            Campaign.write(report, "Short fault campaign on etcd (CI)", lab, r);
            System.out.println("report: " + report.toAbsolutePath().resolve("report.md"));
            assertThat(r.lostRows()).as("acknowledged rows lost").isZero();
            assertThat(r.lostTransfers()).as("acknowledged transfers lost").isZero();
            assertThat(r.doublePrimaryAcks())
                    .as("acknowledgements from a second primary")
                    .isZero();
            assertThat(r.finalVerdicts()).allMatch(Checks.Verdict::ok, "final checks pass");
            for (Campaign.Outcome o : r.outcomes())
                assertThat(o.effect().recovered()).as("%s", o).isTrue();
        }
    }
}
