package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The promotion's log line says how long after the leader key went PostgreSQL took writes, when it can tell. */
class PromotionLogTest {
    private static final long MS = 1_000_000L;

    @Test
    void theTimeSinceTheLeaderKeyWentWhenItIsRecent() {
        long now = 5_000_000 * MS;
        assertThat(Executor.sinceLeaderGone(now - 247 * MS, now)).isEqualTo(", 247 ms after the leader key went");
        assertThat(Executor.sinceLeaderGone(now, now)).isEqualTo(", 0 ms after the leader key went");
    }

    @Test
    void nothingWhenTheMomentIsUnknownStaleOrLater() {
        long now = 5_000_000 * MS;
        assertThat(Executor.sinceLeaderGone(0, now)).as("never seen").isEmpty();
        assertThat(Executor.sinceLeaderGone(now - 61_000 * MS, now))
                .as("a minute ago: another failover")
                .isEmpty();
        assertThat(Executor.sinceLeaderGone(now + MS, now))
                .as("after the writes began")
                .isEmpty();
    }
}
