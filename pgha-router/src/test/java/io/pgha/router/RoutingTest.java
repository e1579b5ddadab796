package io.pgha.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The routing rules as tables of cluster views: no I/O, no clock. */
class RoutingTest {
    private static final long NOW = 1_000_000;
    private static final Routing.Policy FALLBACK = new Routing.Policy(1000, true);
    private static final Routing.Policy NO_FALLBACK = new Routing.Policy(1000, false);

    private static Member member(String name, Role role, MemberState state, long replay, Tags tags) {
        return new Member(
                name,
                "http://x",
                "127.0.0.1",
                5000 + name.charAt(name.length() - 1),
                role,
                state,
                1,
                new Lsn(10_000),
                new Lsn(replay),
                null,
                true,
                tags,
                "",
                0);
    }

    private static Member primary(String name) {
        return member(name, Role.PRIMARY, MemberState.RUNNING, 10_000, Tags.NONE);
    }

    private static Member standby(String name, long replay) {
        return member(name, Role.STANDBY, MemberState.RUNNING, replay, Tags.NONE);
    }

    private static ClusterState cluster(String leader, FailoverRequest fr, Member... members) {
        Map<String, Member> m = new HashMap<>();
        for (Member x : members) m.put(x.name(), x);
        return new ClusterState("1", leader, m, DynamicConfig.DEFAULT, fr, new Lsn(10_000), List.of());
    }

    private static Route rw(ClusterState c) {
        return Routing.choose(c, NOW, Target.READ_WRITE, Map.of(), FALLBACK, 0);
    }

    private static String backend(Route r) {
        return r instanceof Route.Backend b ? b.member() : "wait";
    }

    @Test
    void readWriteGoesToTheLeaseHolderOnceItRunsAsPrimary() {
        Route r = rw(cluster("n1", null, primary("n1"), standby("n2", 10_000)));
        assertThat(r).isEqualTo(new Route.Backend("n1", "127.0.0.1", 5049, true, "primary n1 holds the leader lease"));
    }

    @Test
    void readWriteWaitsWithoutALeaseHolderOrWhileTheNewPrimaryIsStillAStandby() {
        assertThat(rw(cluster(null, null, primary("n1"))).reason()).isEqualTo("no member holds the leader lease");
        // n2 took the lease and is promoting: its record still says standby
        assertThat(rw(cluster("n2", null, primary("n1"), standby("n2", 10_000))))
                .isEqualTo(new Route.Wait("the new primary n2 is not running as primary yet"));
        assertThat(rw(cluster("n3", null, primary("n1")))).isInstanceOf(Route.Wait.class);
        Member stopped = member("n1", Role.PRIMARY, MemberState.STOPPED, 0, Tags.NONE);
        assertThat(rw(cluster("n1", null, stopped))).isInstanceOf(Route.Wait.class);
    }

    @Test
    void aSwitchoverAwayFromTheLeaderHoldsNewSessionsOnceTheOldPrimaryDrains() {
        FailoverRequest now = new FailoverRequest("n1", "n2", 0, NOW - 10, null, true);
        FailoverRequest checkpointing = new FailoverRequest("n1", "n2", 0, NOW - 10, null, false);
        FailoverRequest later = new FailoverRequest("n1", "n2", NOW + 60_000, NOW - 10, null, true);
        FailoverRequest otherLeader = new FailoverRequest("n3", "n2", 0, NOW - 10, null, true);
        assertThat(backend(rw(cluster("n1", checkpointing, primary("n1"), standby("n2", 10_000)))))
                .as("the old primary still writes during its checkpoint")
                .isEqualTo("n1");
        assertThat(rw(cluster("n1", now, primary("n1"), standby("n2", 10_000))))
                .isEqualTo(new Route.Wait("switchover away from n1 in progress"));
        assertThat(backend(rw(cluster("n1", later, primary("n1"), standby("n2", 10_000)))))
                .isEqualTo("n1");
        assertThat(backend(rw(cluster("n1", otherLeader, primary("n1"), standby("n2", 10_000)))))
                .isEqualTo("n1");
        // once n2 holds the lease and runs as primary, the stale request no longer holds anyone back
        assertThat(backend(rw(cluster("n2", now, standby("n1", 10_000), primary("n2")))))
                .isEqualTo("n2");
    }

    @Test
    void sessionsStayOnlyWhileTheirPrimaryHoldsTheLease() {
        assertThat(Routing.stillPrimary(cluster("n1", null), "n1")).isTrue();
        assertThat(Routing.stillPrimary(cluster(null, null), "n1")).isFalse();
        assertThat(Routing.stillPrimary(cluster("n2", null), "n1")).isFalse();
        // a switchover drains (at transaction boundaries) rather than kills
        assertThat(Routing.stillPrimary(cluster("n1", new FailoverRequest("n1", "n2", 0, 0, null, true)), "n1"))
                .isTrue();
        assertThat(Routing.switchingOver(cluster("n1", new FailoverRequest("n1", "n2", 0, 0, null, true)), "n1", NOW))
                .isTrue();
        assertThat(Routing.switchingOver(
                        cluster("n1", new FailoverRequest("n1", "n2", 0, 0, Lsn.parse("0/10"))), "n1", NOW))
                .as("stopped counts as draining")
                .isTrue();
        assertThat(Routing.switchingOver(cluster("n1", new FailoverRequest("n1", "n2", 0, 0, null)), "n1", NOW))
                .isFalse();
        // a manual failover to another member deposes the primary: its sessions end at once
        assertThat(Routing.stillPrimary(cluster("n1", new FailoverRequest(null, "n2", 0, 0, null)), "n1"))
                .isFalse();
    }

    @Test
    void readOnlyPicksTheStandbyWithFewestSessionsAndRotatesBetweenEquals() {
        ClusterState c = cluster("n1", null, primary("n1"), standby("n2", 10_000), standby("n3", 9_500));
        assertThat(backend(Routing.choose(c, NOW, Target.READ_ONLY, Map.of("n2", 3, "n3", 1), FALLBACK, 0)))
                .isEqualTo("n3");
        assertThat(backend(Routing.choose(c, NOW, Target.READ_ONLY, Map.of("n2", 0, "n3", 1), FALLBACK, 0)))
                .isEqualTo("n2");
        List<String> spread = IntStream.range(0, 4)
                .mapToObj(turn -> backend(Routing.choose(c, NOW, Target.READ_ONLY, Map.of(), FALLBACK, turn)))
                .toList();
        assertThat(spread).containsExactly("n2", "n3", "n2", "n3");
        Route.Backend b = (Route.Backend) Routing.choose(c, NOW, Target.READ_ONLY, Map.of(), FALLBACK, 0);
        assertThat(b.primary()).isFalse();
    }

    @Test
    void readOnlySkipsNoloadbalanceLaggingAndUnhealthyStandbys() {
        Member tagged = member("n2", Role.STANDBY, MemberState.RUNNING, 10_000, new Tags(false, true, 0));
        Member lagging = standby("n3", 8_999); // 1001 bytes behind, limit 1000
        Member starting = member("n4", Role.STANDBY, MemberState.STARTING, 10_000, Tags.NONE);
        Member fine = standby("n5", 9_000); // exactly at the limit
        ClusterState c = cluster("n1", null, primary("n1"), tagged, lagging, starting, fine);
        for (int turn = 0; turn < 5; turn++) {
            assertThat(backend(Routing.choose(c, NOW, Target.READ_ONLY, Map.of(), NO_FALLBACK, turn)))
                    .isEqualTo("n5");
        }
    }

    @Test
    void readOnlyFallsBackToThePrimaryOrWaitsAsConfigured() {
        ClusterState c = cluster("n1", null, primary("n1"), standby("n2", 0));
        Route fb = Routing.choose(c, NOW, Target.READ_ONLY, Map.of(), FALLBACK, 0);
        assertThat(fb).isInstanceOfSatisfying(Route.Backend.class, b -> {
            assertThat(b.member()).isEqualTo("n1");
            assertThat(b.primary())
                    .as("a fallback session ends with the primary's lease too")
                    .isTrue();
        });
        assertThat(Routing.choose(c, NOW, Target.READ_ONLY, Map.of(), NO_FALLBACK, 0))
                .isEqualTo(new Route.Wait("no standby is running within the lag limit"));
        assertThat(Routing.choose(cluster(null, null, standby("n2", 0)), NOW, Target.READ_ONLY, Map.of(), FALLBACK, 0))
                .isInstanceOf(Route.Wait.class);
    }

    @Test
    void standbysStayReadableWhileNobodyHoldsTheLease() {
        ClusterState c = cluster(null, null, standby("n2", 10_000), standby("n3", 10_000));
        assertThat(backend(Routing.choose(c, NOW, Target.READ_ONLY, Map.of("n2", 1), NO_FALLBACK, 0)))
                .isEqualTo("n3");
    }
}
