package io.pgha.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.Lsn;
import org.junit.jupiter.api.Test;

class TimelineHistoryTest {
  @Test
  void theLastLineSaysWhereTheTimelineBegins() {
    String file = "1\t0/50263D8\tno recovery target specified\n\n2\t0/8000000\tno recovery target specified\n";
    assertThat(TimelineHistory.lastSwitchpoint(file)).isEqualTo(Lsn.parse("0/8000000"));
  }

  @Test
  void rejectsEmptyOrMalformedFiles() {
    assertThatThrownBy(() -> TimelineHistory.lastSwitchpoint("# comment\n\n")).hasMessageContaining("empty");
    assertThatThrownBy(() -> TimelineHistory.lastSwitchpoint("1\n")).hasMessageContaining("malformed");
  }
}
