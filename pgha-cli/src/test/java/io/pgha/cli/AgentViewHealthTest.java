package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.dcs.Json;
import org.junit.jupiter.api.Test;

/**
 * {@link LocalCluster#healthy(JsonNode, int)}: the demo's start is over when an agent's {@code list
 * --format json} shows the leader running as primary and every other member streaming from it.
 */
class AgentViewHealthTest {
    private static JsonNode view(String leader, String... members) throws Exception {
        return Json.MAPPER.readTree("{\"leader\": " + (leader == null ? "null" : "\"" + leader + "\"")
                + ", \"members\": [" + String.join(",", members) + "]}");
    }

    private static String member(String name, String role, String state, String following, boolean streaming) {
        return "{\"name\": \"" + name + "\", \"role\": \"" + role + "\", \"state\": \"" + state + "\", \"following\": "
                + (following == null ? "null" : "\"" + following + "\"") + ", \"streaming\": " + streaming + "}";
    }

    @Test
    void aRunningPrimaryWithEveryOtherMemberStreamingFromItIsHealthy() throws Exception {
        JsonNode v = view(
                "node2",
                member("node1", "standby", "running", "node2", true),
                member("node2", "primary", "running", null, false),
                member("node3", "standby", "running", "node2", true));
        assertThat(LocalCluster.healthy(v, 3)).isTrue();
        assertThat(LocalCluster.healthy(v, 4))
                .as("a fourth member is expected but absent")
                .isFalse();
    }

    @Test
    void aStandbyThatDoesNotStreamFromTheLeaderIsNotHealthyYet() throws Exception {
        String primary = member("node2", "primary", "running", null, false);
        assertThat(LocalCluster.healthy(
                        view(
                                "node2",
                                member("node1", "standby", "running", "node2", false),
                                primary,
                                member("node3", "standby", "running", "node2", true)),
                        3))
                .as("node1 connected but not streaming")
                .isFalse();
        assertThat(LocalCluster.healthy(
                        view(
                                "node2",
                                member("node1", "standby", "running", "node3", true),
                                primary,
                                member("node3", "standby", "running", "node2", true)),
                        3))
                .as("node1 streams from another standby")
                .isFalse();
        assertThat(LocalCluster.healthy(
                        view(
                                "node2",
                                member("node1", "standby", "starting", "node2", true),
                                primary,
                                member("node3", "standby", "running", "node2", true)),
                        3))
                .as("node1 still starting")
                .isFalse();
    }

    @Test
    void withoutARunningLeaderNothingIsHealthy() throws Exception {
        String s1 = member("node1", "standby", "running", "node2", true);
        String s3 = member("node3", "standby", "running", "node2", true);
        assertThat(LocalCluster.healthy(view(null, s1, member("node2", "primary", "running", null, false), s3), 3))
                .as("no leader key")
                .isFalse();
        assertThat(LocalCluster.healthy(view("node2", s1, member("node2", "primary", "stopped", null, false), s3), 3))
                .as("the leader's PostgreSQL is stopped")
                .isFalse();
        assertThat(LocalCluster.healthy(
                        view("node2", s1, member("node2", "primary (no lease)", "running", null, false), s3), 3))
                .isFalse();
        assertThat(LocalCluster.healthy(view("node2", s1, s3), 3))
                .as("the leader has no member record")
                .isFalse();
    }

    @Test
    void aStandbyClustersRunningStandbyLeaderCountsAsTheLeader() throws Exception {
        JsonNode v = view(
                "node1",
                member("node1", "standby leader", "running", null, true),
                member("node2", "standby", "running", "node1", true));
        assertThat(LocalCluster.healthy(v, 2)).isTrue();
    }
}
