package io.pgha.core.resource;

import static io.pgha.core.resource.ResourceStatus.State.BLOCKED;
import static io.pgha.core.resource.ResourceStatus.State.FAILED;
import static io.pgha.core.resource.ResourceStatus.State.STARTED;
import static io.pgha.core.resource.ResourceStatus.State.STOPPED;
import static io.pgha.core.resource.ResourceStatus.State.STOPPING;
import static io.pgha.core.resource.View.spec;
import static io.pgha.core.resource.View.vip;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.Tags;
import io.pgha.core.resource.ResourcePlanner.Op;
import io.pgha.core.resource.ResourcePlanner.Plan;
import io.pgha.core.resource.ResourcePlanner.Step;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The resource planner's table: one view, one member, the steps it takes and what it waits for. */
class ResourcePlannerTest {

    static String steps(Plan p) {
        return String.join(
                ", ",
                p.steps().stream()
                        .map(s -> s.op().name().toLowerCase(java.util.Locale.ROOT) + " " + s.resource())
                        .toList());
    }

    static Stream<Arguments> table() {
        Map<String, Object> vipOnly = Map.of("vip", vip());
        return Stream.of(
                Arguments.of(
                        "the lease holder starts its VIP once promoted",
                        View.of().resources(vipOnly).primary("n1").standby("n2").lease(),
                        "n1",
                        "start vip",
                        null),
                Arguments.of(
                        "not before the promotion (after-promote)",
                        View.of().resources(vipOnly).primary("n1").standby("n2").leaseNotPromoted(),
                        "n1",
                        "",
                        "waits for the promotion of n1"),
                Arguments.of(
                        "a standby never starts the primary's VIP",
                        View.of().resources(vipOnly).primary("n1").standby("n2"),
                        "n2",
                        "",
                        null),
                Arguments.of(
                        "the leader key names n1 but its lease is not valid: it stops its VIP",
                        View.of().resources(vipOnly).primary("n1", STARTED).mine("vip", STARTED),
                        "n1",
                        "stop vip",
                        null),
                Arguments.of(
                        "a standby holding the VIP (an old primary) stops it",
                        View.of()
                                .resources(vipOnly)
                                .primary("n2")
                                .standby("n1", STARTED)
                                .mine("vip", STARTED),
                        "n1",
                        "stop vip",
                        null),
                Arguments.of(
                        "never two holders: the new primary waits while the old one still holds the VIP",
                        View.of()
                                .resources(vipOnly)
                                .primary("n1")
                                .standby("n2", STARTED)
                                .lease(),
                        "n1",
                        "",
                        "waits until n2 has stopped it (started there)"),
                Arguments.of(
                        "nor while the old one is stopping it",
                        View.of()
                                .resources(vipOnly)
                                .primary("n1")
                                .standby("n2", STOPPING)
                                .lease(),
                        "n1",
                        "",
                        "waits until n2 has stopped it (stopping there)"),
                Arguments.of(
                        "nor while a failed stop may have left it there",
                        View.of()
                                .resources(vipOnly)
                                .primary("n1")
                                .standby("n2", BLOCKED)
                                .lease(),
                        "n1",
                        "",
                        "waits until n2 has stopped it (blocked there)"),
                Arguments.of(
                        "a stopped copy elsewhere does not hold it back",
                        View.of()
                                .resources(vipOnly)
                                .primary("n1")
                                .standby("n2", STOPPED)
                                .lease(),
                        "n1",
                        "start vip",
                        null),
                Arguments.of(
                        "a failed VIP is restarted in place below the threshold",
                        View.of()
                                .resources(vipOnly)
                                .primary("n1")
                                .lease()
                                .mine("vip", new ResourceStatus(FAILED, 1, null, 0, null)),
                        "n1",
                        "stop vip, start vip",
                        null),
                Arguments.of(
                        "at the threshold it is stopped and not started again",
                        View.of()
                                .resources(vipOnly)
                                .primary("n1")
                                .lease()
                                .mine("vip", new ResourceStatus(FAILED, 3, null, 0, null)),
                        "n1",
                        "stop vip",
                        null),
                Arguments.of(
                        "a blocked resource waits for cleanup",
                        View.of().resources(vipOnly).primary("n1").lease().mine("vip", BLOCKED),
                        "n1",
                        "",
                        "a stop failed: it may still run here; clear it with pgha resource cleanup vip"),
                Arguments.of(
                        "a disabled resource stops",
                        View.of()
                                .resources(
                                        Map.of("vip", spec("kind", "ip", "address", "10.0.0.100/24", "disabled", true)))
                                .primary("n1")
                                .lease()
                                .mine("vip", STARTED),
                        "n1",
                        "stop vip",
                        null),
                Arguments.of(
                        "a member in maintenance does nothing, even with a VIP it should not hold",
                        View.of()
                                .resources(vipOnly)
                                .setting("maintenance", List.of("n1"))
                                .primary("n2")
                                .standby("n1", STARTED)
                                .mine("vip", STARTED),
                        "n1",
                        "",
                        "not managed: n1 is in maintenance"),
                Arguments.of(
                        "before-promote resources start with the lease alone",
                        View.of()
                                .resources(Map.of(
                                        "fs",
                                        spec(
                                                "kind",
                                                "ocf",
                                                "agent",
                                                "ocf:heartbeat:Filesystem",
                                                "order",
                                                "before-promote")))
                                .primary("n1")
                                .leaseNotPromoted(),
                        "n1",
                        "start fs",
                        null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String title, View view, String me, String expectedSteps, String waiting) {
        Plan p = view.planFor(me);
        assertThat(steps(p)).as(title).isEqualTo(expectedSteps);
        if (waiting != null) assertThat(p.waiting().values()).as(title).contains(waiting);
    }

    @Test
    void orderingStartsDependenciesFirstAndStopsThemLast() {
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("app", spec("kind", "script", "path", "/usr/local/bin/app", "after", List.of("fs", "vip")));
        res.put("vip", vip());
        res.put("fs", spec("kind", "ocf", "agent", "ocf:heartbeat:Filesystem", "order", "before-promote"));
        Plan up = View.of().resources(res).primary("n1").lease().planFor("n1");
        assertThat(steps(up)).isEqualTo("start fs, start vip, start app");

        View down = View.of()
                .resources(res)
                .primary("n2")
                .standby("n1")
                .mine("app", STARTED)
                .mine("vip", STARTED)
                .mine("fs", STARTED);
        assertThat(steps(down.planFor("n1"))).isEqualTo("stop app, stop vip, stop fs");
    }

    @Test
    void aDependentWaitsForWhatItComesAfter() {
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("vip", vip());
        res.put("app", spec("kind", "script", "path", "/usr/local/bin/app", "after", List.of("vip")));
        // the VIP waits for n2 to let it go, so app waits too
        Plan p = View.of()
                .resources(res)
                .primary("n1")
                .standby("n2", STARTED)
                .lease()
                .planFor("n1");
        assertThat(steps(p)).isEmpty();
        assertThat(p.waiting()).containsEntry("app", "waits for vip, which it comes after");
    }

    @Test
    void stoppingADependencyStopsItsDependentsFirstEvenWhereTheyMayStay() {
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("fs", spec("kind", "ocf", "agent", "ocf:heartbeat:Filesystem", "with", "every", "disabled", true));
        res.put("mon", spec("kind", "script", "path", "/bin/mon", "with", "every", "after", List.of("fs")));
        Plan p = View.of()
                .resources(res)
                .primary("n1")
                .lease()
                .mine("fs", STARTED)
                .mine("mon", STARTED)
                .planFor("n1");
        assertThat(steps(p)).isEqualTo("stop mon, stop fs");
    }

    @Test
    void aFloatingReadAddressPrefersTheBestScoredStandbyAndSpreads() {
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("read", spec("kind", "ip", "address", "10.0.0.101/24", "with", "standby"));
        res.put("read2", spec("kind", "ip", "address", "10.0.0.102/24", "with", "standby"));
        res.put(
                "pinned",
                spec(
                        "kind",
                        "ip",
                        "address",
                        "10.0.0.103/24",
                        "with",
                        "standby",
                        "location",
                        List.of(Map.of("node", "n3", "score", 100))));
        View v = View.of().resources(res).primary("n1").standby("n2").standby("n3");
        var targets = ResourcePlanner.place(v.cluster(), "n2", Map.of());
        assertThat(targets.get("read").nodes()).containsExactly("n2");
        assertThat(targets.get("read2").nodes()).containsExactly("n3"); // spread: n2 has one already
        assertThat(targets.get("pinned").nodes()).containsExactly("n3");
        assertThat(targets.get("pinned").why()).isEqualTo("on the standby n3 (score 100)");
    }

    @Test
    void aReadAddressFallsBackToThePrimaryWithoutStandbys() {
        View v = View.of()
                .resources(Map.of("read", spec("kind", "ip", "address", "10.0.0.101/24", "with", "standby")))
                .primary("n1");
        var t = ResourcePlanner.place(v.cluster(), "n1", Map.of()).get("read");
        assertThat(t.nodes()).containsExactly("n1");
        assertThat(t.why()).isEqualTo("no standby can run it: on the primary n1");
    }

    @Test
    void stickinessKeepsAResourceWhereItRunsUntilABetterScoreOutweighsIt() {
        Map<String, Object> sticky = spec(
                "kind",
                "ip",
                "address",
                "10.0.0.101/24",
                "with",
                "any",
                "stickiness",
                100,
                "location",
                List.of(Map.of("node", "n1", "score", 50)));
        View v = View.of()
                .resources(Map.of("svc", sticky))
                .primary("n1")
                .standby("n2")
                .published("n2", "svc", new ResourceStatus(STARTED, 0, null, 0, null));
        assertThat(ResourcePlanner.place(v.cluster(), "n1", Map.of()).get("svc").nodes())
                .containsExactly("n2");

        Map<String, Object> notSticky = new LinkedHashMap<>(sticky);
        notSticky.put("stickiness", 0);
        View w = View.of()
                .resources(Map.of("svc", notSticky))
                .primary("n1")
                .standby("n2")
                .published("n2", "svc", new ResourceStatus(STARTED, 0, null, 0, null));
        assertThat(ResourcePlanner.place(w.cluster(), "n1", Map.of()).get("svc").nodes())
                .containsExactly("n1");
        // ... and n1 waits until n2 has let it go
        Plan p = w.planFor("n1");
        assertThat(p.steps()).isEmpty();
        assertThat(p.waiting()).containsEntry("svc", "waits until n2 has stopped it (started there)");
        assertThat(steps(w.planFor("n2"))).isEmpty(); // n2's own view: it plans from "mine"
    }

    @Test
    void aBanByTagKeepsAResourceOffAMember() {
        Map<String, Object> clone = spec(
                "kind",
                "script",
                "path",
                "/bin/agent",
                "with",
                "every",
                "location",
                List.of(Map.of("tag", "nofailover", "score", "-INFINITY")));
        View v = View.of().resources(Map.of("agent", clone)).primary("n1").standby("n2", new Tags(true, false, 0));
        assertThat(ResourcePlanner.place(v.cluster(), "n1", Map.of())
                        .get("agent")
                        .nodes())
                .containsExactly("n1");
    }

    @Test
    void aCriticalResourceThatCannotRunMakesThePrimaryGiveUpItsRole() {
        Map<String, Object> crit = new LinkedHashMap<>(vip());
        crit.put("critical", true);
        Plan p = View.of()
                .resources(Map.of("vip", crit))
                .primary("n1")
                .standby("n2")
                .lease()
                .mine("vip", new ResourceStatus(FAILED, 3, null, 0, null))
                .planFor("n1");
        assertThat(p.giveUpPrimary())
                .isEqualTo("critical resource vip cannot run here: failed 3 times on n1 (migration_threshold 3)");
        Plan ok = View.of().resources(Map.of("vip", crit)).primary("n1").lease().planFor("n1");
        assertThat(ok.giveUpPrimary()).isNull();
    }

    @Test
    void failbackNamesAPreferredStreamingStandbyOnlyBeyondTheStickiness() {
        Map<String, Object> placement =
                Map.of("location", List.of(Map.of("node", "n2", "score", 100)), "stickiness", 50);
        Plan p = View.of()
                .setting("primary_placement", placement)
                .primary("n1")
                .standby("n2")
                .lease()
                .planFor("n1");
        assertThat(p.failbackTo()).isEqualTo("n2");
        Map<String, Object> sticky = Map.of("location", List.of(Map.of("node", "n2", "score", 100)), "stickiness", 100);
        assertThat(View.of()
                        .setting("primary_placement", sticky)
                        .primary("n1")
                        .standby("n2")
                        .lease()
                        .planFor("n1")
                        .failbackTo())
                .isNull();
        assertThat(View.of().primary("n1").standby("n2").lease().planFor("n1").failbackTo())
                .isNull();
    }

    @Test
    void beforePostgresqlResourcesHoldPostgresUntilTheyRun() {
        Map<String, Object> fs =
                spec("kind", "ocf", "agent", "ocf:heartbeat:Filesystem", "with", "every", "order", "before-postgresql");
        Plan p = View.of()
                .resources(Map.of("fs", fs))
                .primary("n2")
                .standby("n1")
                .planFor("n1");
        assertThat(p.steps()).containsExactly(new Step(Op.START, "fs", "on every member"));
        assertThat(p.blockingPostgres()).containsExactly("fs");
        Plan running = View.of()
                .resources(Map.of("fs", fs))
                .primary("n2")
                .standby("n1")
                .mine("fs", STARTED)
                .planFor("n1");
        assertThat(running.blockingPostgres()).isEmpty();
    }

    @Test
    void aPromotableCloneIsPromotedOnlyOnThePrimaryAndOnlyOnce() {
        Map<String, Object> drbd =
                Map.of("drbd", spec("kind", "ocf", "agent", "ocf:linbit:drbd", "with", "every", "promotable", true));
        // started on a standby: stays unpromoted
        assertThat(steps(View.of().resources(drbd).primary("n1").standby("n2").planFor("n2")))
                .isEqualTo("start drbd");
        // the lease holder starts it, then promotes it
        assertThat(steps(View.of().resources(drbd).primary("n1").lease().planFor("n1")))
                .isEqualTo("start drbd, promote drbd");
        // not while another member's record says it is promoted there
        Plan waits = View.of()
                .resources(drbd)
                .primary("n1")
                .standby("n2")
                .published("n2", "drbd", new ResourceStatus(STARTED, 0, null, 0, null, true))
                .lease()
                .mine("drbd", STARTED)
                .planFor("n1");
        assertThat(steps(waits)).isEmpty();
        assertThat(waits.waiting()).containsEntry("drbd", "waits until n2 has demoted it");
        // a member that lost the primary role demotes it first
        Plan demote = View.of()
                .resources(drbd)
                .primary("n2")
                .standby("n1")
                .mine("drbd", new ResourceStatus(STARTED, 0, null, 0, null, true))
                .planFor("n1");
        assertThat(steps(demote)).isEqualTo("demote drbd");
        // and before it stops
        Map<String, Object> off = Map.of(
                "drbd",
                spec("kind", "ocf", "agent", "ocf:linbit:drbd", "with", "every", "promotable", true, "disabled", true));
        assertThat(steps(View.of()
                        .resources(off)
                        .primary("n1")
                        .lease()
                        .mine("drbd", new ResourceStatus(STARTED, 0, null, 0, null, true))
                        .planFor("n1")))
                .isEqualTo("demote drbd, stop drbd");
    }

    @Test
    void noLeaderMeansNoPrimaryResourceAnywhere() {
        var t = ResourcePlanner.place(
                View.of()
                        .resources(Map.of("vip", vip()))
                        .standby("n2")
                        .noLeader()
                        .cluster(),
                "n2",
                Map.of());
        assertThat(t.get("vip").nodes()).isEmpty();
        assertThat(t.get("vip").why()).isEqualTo("no member holds the leader lease");
    }
}
