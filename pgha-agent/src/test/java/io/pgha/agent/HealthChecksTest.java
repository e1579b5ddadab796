package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.SyncMode;
import io.pgha.http.Request;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every health path's status code for every kind of member, as Patroni answers them. */
class HealthChecksTest {

    static int status(AgentView v, String uri) {
        QueryStringDecoder q = new QueryStringDecoder(uri);
        return HealthChecks.status(Request.of("GET", q.path(), q.parameters()), v);
    }

    /** Paths in a fixed order; each row of {@link #table()} gives the expected codes in this order. */
    static final String[] PATHS = {
        "/",
        "/primary",
        "/read-write",
        "/leader",
        "/standby-leader",
        "/replica",
        "/read-only",
        "/synchronous",
        "/asynchronous",
        "/health",
        "/liveness",
        "/readiness"
    };

    static Stream<Arguments> table() {
        return Stream.of(
                row(
                        "primary with lease",
                        () -> FakeView.of().primary().lease(),
                        200,
                        200,
                        200,
                        200,
                        503,
                        503,
                        200,
                        503,
                        503,
                        200,
                        200,
                        200),
                row(
                        "primary without lease",
                        () -> FakeView.of().primary(),
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        200,
                        200,
                        503),
                row(
                        "synchronous standby",
                        () -> FakeView.of().standby(100, true).sync(SyncMode.ON, "n0", 1, "n1"),
                        503,
                        503,
                        503,
                        503,
                        503,
                        200,
                        200,
                        200,
                        503,
                        200,
                        200,
                        200),
                row(
                        "quorum standby",
                        () -> FakeView.of().standby(100, true).sync(SyncMode.QUORUM, "n0", 1, "n1", "n2"),
                        503,
                        503,
                        503,
                        503,
                        503,
                        200,
                        200,
                        200,
                        503,
                        200,
                        200,
                        200),
                row(
                        "standby still joining the sync set",
                        () -> FakeView.of().standby(100, true).sync(SyncMode.ON, "n0", 0, "n1"),
                        503,
                        503,
                        503,
                        503,
                        503,
                        200,
                        200,
                        503,
                        200,
                        200,
                        200,
                        200),
                row(
                        "standby named by a former leader's sync record",
                        () -> FakeView.of().standby(100, true).sync(SyncMode.ON, "n9", 1, "n1"),
                        503,
                        503,
                        503,
                        503,
                        503,
                        200,
                        200,
                        503,
                        200,
                        200,
                        200,
                        200),
                row(
                        "asynchronous standby, not streaming",
                        () -> FakeView.of().standby(100, false),
                        503,
                        503,
                        503,
                        503,
                        503,
                        200,
                        200,
                        503,
                        200,
                        200,
                        200,
                        503),
                row(
                        "standby tagged noloadbalance",
                        () -> FakeView.of()
                                .with(Map.of("tags.noloadbalance", true))
                                .standby(100, true),
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        200,
                        200,
                        200,
                        200),
                row(
                        "standby while an action runs",
                        () -> FakeView.of().standby(100, true).state(MemberState.REWINDING),
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        200,
                        200,
                        503),
                row("stopped", FakeView::of, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 200, 503),
                row(
                        "stopped, agent loop stuck",
                        () -> FakeView.of().dead(),
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503,
                        503));
    }

    private static Arguments row(String name, Supplier<FakeView> view, int... codes) {
        return Arguments.of(name, view, codes);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void answersEachPathAsPatroniDoes(String name, Supplier<FakeView> view, int[] codes) {
        FakeView v = view.get();
        for (int i = 0; i < PATHS.length; i++) {
            assertThat(status(v, PATHS[i])).as(name + ": " + PATHS[i]).isEqualTo(codes[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("aliases")
    void aliasesAnswerLikeTheirPath(String alias, String path) {
        for (FakeView v : new FakeView[] {
            FakeView.of().primary().lease(),
            FakeView.of().standby(100, true).sync(SyncMode.ON, "n0", 1, "n1"),
            FakeView.of().standby(100, true)
        }) {
            assertThat(status(v, alias)).as(alias).isEqualTo(status(v, path));
        }
    }

    @Test
    void theStandbyLeaderOfAStandbyClusterAnswersStandbyLeaderOnly() {
        FakeView leader = FakeView.of().standby(100, true).lease().standbyCluster();
        assertThat(status(leader, "/standby-leader")).isEqualTo(200);
        assertThat(status(leader, "/primary")).isEqualTo(503);
        assertThat(status(leader, "/leader")).isEqualTo(200);
        assertThat(status(FakeView.of().standby(100, true).standbyCluster(), "/standby-leader"))
                .as("a standby without the lease")
                .isEqualTo(503);
        assertThat(status(FakeView.of().standby(100, true).lease(), "/standby-leader"))
                .as("a lease holder of a primary cluster that is (still) a standby")
                .isEqualTo(503);
    }

    static Stream<Arguments> aliases() {
        return Stream.of(
                Arguments.of("/master", "/primary"),
                Arguments.of("/sync", "/synchronous"),
                Arguments.of("/async", "/asynchronous"),
                Arguments.of("/standby_leader", "/standby-leader"));
    }

    static Stream<Arguments> filters() {
        return Stream.of(
                // leader published 100 MB; this standby replayed 90 MB
                Arguments.of("/replica?lag=16MB", 200),
                Arguments.of("/replica?lag=10485760", 200),
                Arguments.of("/replica?lag=1MB", 503),
                Arguments.of("/replica?lag=lots", 503),
                Arguments.of("/asynchronous?lag=16MB", 200),
                Arguments.of("/asynchronous?lag=1kB", 503),
                Arguments.of("/read-only?lag=1MB", 503),
                Arguments.of("/replica?tag_nofailover=true", 200),
                Arguments.of("/replica?tag_nofailover=True", 200),
                Arguments.of("/replica?tag_nofailover=false", 503),
                Arguments.of("/replica?tag_failover_priority=5", 200),
                Arguments.of("/replica?tag_priority=4", 503),
                Arguments.of("/replica?tag_nosync=false&tag_sync_priority=0", 200),
                Arguments.of("/replica?tag_datacenter=east", 503),
                Arguments.of("/replica?lag=16MB&tag_nofailover=true", 200),
                Arguments.of("/replica?other=1", 200));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("filters")
    void lagAndTagFiltersNarrowTheAnswer(String uri, int expected) {
        FakeView v = FakeView.of()
                .with(Map.of("tags.nofailover", true, "tags.priority", 5))
                .standby(90, true);
        assertThat(status(v, uri)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notHealth")
    void otherPathsAreNotHealthChecks(String path) {
        assertThat(status(FakeView.of().primary().lease(), path)).isZero();
    }

    static Stream<String> notHealth() {
        return Stream.of("/status", "/patroni", "/cluster", "/metrics", "/nope");
    }
}
