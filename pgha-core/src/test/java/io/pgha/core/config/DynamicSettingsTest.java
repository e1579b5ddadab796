package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.SyncMode;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DynamicSettingsTest {
  @Test
  void appliesTextValuesAsPeopleWriteThem() {
    DynamicConfig c = DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of(
        "synchronous_mode", "quorum", "synchronous_mode_strict", "true", "synchronous_node_count", "2",
        "maximum_lag_on_failover", "16MB", "failsafe_mode", "on"));
    assertThat(c.synchronousMode()).isEqualTo(SyncMode.QUORUM);
    assertThat(c.synchronousModeStrict()).isTrue();
    assertThat(c.synchronousNodeCount()).isEqualTo(2);
    assertThat(c.maximumLagOnFailover()).isEqualTo(16L * 1024 * 1024);
    assertThat(c.failsafeMode()).isTrue();
    assertThat(DynamicSettings.apply(c, Map.of("synchronous_mode", "off")).synchronousNodeCount()).isEqualTo(2);
  }

  @Test
  void aNullValueResetsToTheDefault() {
    Map<String, Object> reset = new HashMap<>();
    reset.put("synchronous_mode", null);
    DynamicConfig on = DynamicConfig.DEFAULT.withSynchronous(SyncMode.ON, false, 1);
    assertThat(DynamicSettings.apply(on, reset).synchronousMode()).isEqualTo(SyncMode.OFF);
  }

  @Test
  void roundTripsThroughItsMap() {
    DynamicConfig c = DynamicConfig.DEFAULT.withSynchronous(SyncMode.ON, true, 3).withPaused(true);
    assertThat(DynamicSettings.apply(DynamicConfig.DEFAULT, DynamicSettings.toMap(c))).isEqualTo(c);
  }

  @Test
  void badInputNamesTheKey() {
    assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("synchronous_mode", "maybe")))
        .hasMessageContaining("synchronous_mode: 'maybe' is not one of off, on, quorum");
    assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("synchronous_node_count", "0")))
        .hasMessageContaining("synchronous_node_count: 0 is out of range");
    assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("synchronous_mode_strict", "perhaps")))
        .hasMessageContaining("synchronous_mode_strict: 'perhaps' is not a boolean");
    assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("maximum_lag_on_failover", "lots")))
        .hasMessageContaining("maximum_lag_on_failover");
    assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("sync_mode", "on")))
        .hasMessageContaining("unknown setting 'sync_mode'");
    assertThatThrownBy(() -> DynamicSettings.assignment("synchronous_mode")).hasMessageContaining("is not KEY=VALUE");
  }
}
