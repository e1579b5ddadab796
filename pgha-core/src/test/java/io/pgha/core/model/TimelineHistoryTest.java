package io.pgha.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TimelineHistoryTest {
    @Test
    void theLastLineSaysWhereTheTimelineBegins() {
        String file = "1\t0/50263D8\tno recovery target specified\n\n2\t0/8000000\tno recovery target specified\n";
        assertThat(TimelineHistory.lastSwitchpoint(file)).isEqualTo(Lsn.parse("0/8000000"));
    }

    @Test
    void rejectsEmptyOrMalformedFiles() {
        assertThatThrownBy(() -> TimelineHistory.lastSwitchpoint("# comment\n\n"))
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> TimelineHistory.lastSwitchpoint("1\n")).hasMessageContaining("malformed");
    }

    @Test
    void theSwitchPointFromEachAncestor() {
        String file =
                "# a comment\n1\t0/50263D8\tno recovery target specified\n\n2\t0/8000000\tno recovery target specified\n";
        assertThat(TimelineHistory.switchpointFrom(file, 1)).isEqualTo(Lsn.parse("0/50263D8"));
        assertThat(TimelineHistory.switchpointFrom(file, 2)).isEqualTo(Lsn.parse("0/8000000"));
        assertThat(TimelineHistory.switchpointFrom(file, 3)).isNull();
    }
}
