package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

/** How {@code pgha restart --scheduled TIME} reads its time. */
class RestartScheduleTest {
    private static final Instant NOW = Instant.parse("2026-11-30T01:00:00Z");
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void readsIsoTimesWithAnOffsetAndLocalTimesInTheMachinesZone() {
        assertThat(RestartCommand.when("2026-11-30T04:00:00Z", BERLIN, NOW))
                .isEqualTo(Instant.parse("2026-11-30T04:00:00Z"));
        assertThat(RestartCommand.when("2026-11-30T05:00+01:00", BERLIN, NOW))
                .isEqualTo(Instant.parse("2026-11-30T04:00:00Z"));
        assertThat(RestartCommand.when("2026-11-30 05:00", BERLIN, NOW))
                .as("local time, in Berlin UTC+1 in November")
                .isEqualTo(Instant.parse("2026-11-30T04:00:00Z"));
        assertThat(RestartCommand.when("2026-11-30T05:00:30", BERLIN, NOW))
                .isEqualTo(Instant.parse("2026-11-30T04:00:30Z"));
    }

    @Test
    void refusesWhatIsNotATimeAndWhatHasPassed() {
        assertThatThrownBy(() -> RestartCommand.when("tonight", BERLIN, NOW))
                .hasMessageContaining("--scheduled: 'tonight' is not a time such as");
        assertThatThrownBy(() -> RestartCommand.when("2026-11-29T23:00:00Z", BERLIN, NOW))
                .hasMessage("--scheduled: 2026-11-29T23:00:00Z has passed");
    }
}
