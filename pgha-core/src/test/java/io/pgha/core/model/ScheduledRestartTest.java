package io.pgha.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduledRestartTest {
    private static final long AT = Instant.parse("2026-11-30T04:00:00Z").toEpochMilli();

    @Test
    void isDueFromItsTimeOn() {
        var r = new ScheduledRestart(AT, false, null);
        assertThat(r.due(AT - 1)).isFalse();
        assertThat(r.due(AT)).isTrue();
        assertThat(r.due(AT + 60_000)).isTrue();
    }

    @Test
    void itsConditionsAreCheckedWhenItIsDue() {
        assertThat(new ScheduledRestart(AT, false, null).skipReason(true, false))
                .isNull();
        assertThat(new ScheduledRestart(AT, true, null).skipReason(false, false))
                .isEqualTo("no setting waits for a restart");
        assertThat(new ScheduledRestart(AT, true, null).skipReason(false, true)).isNull();
        assertThat(new ScheduledRestart(AT, false, "primary").skipReason(false, true))
                .isEqualTo("the member is no longer a primary");
        assertThat(new ScheduledRestart(AT, false, "replica").skipReason(false, false))
                .isNull();
        assertThat(new ScheduledRestart(AT, false, "replica").skipReason(true, false))
                .isEqualTo("the member is no longer a replica");
    }

    @Test
    void describesItselfForPeople() {
        assertThat(new ScheduledRestart(AT, false, null).describe()).isEqualTo("2026-11-30T04:00:00Z");
        assertThat(new ScheduledRestart(AT, true, "replica").describe())
                .isEqualTo("2026-11-30T04:00:00Z (if pending, replica only)");
    }

    @Test
    void refusesAnUnknownRole() {
        assertThatThrownBy(() -> new ScheduledRestart(AT, false, "leader"))
                .hasMessage("role: 'leader' is not primary or replica");
    }
}
