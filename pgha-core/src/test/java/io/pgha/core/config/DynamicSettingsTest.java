package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.PermanentSlot;
import io.pgha.core.model.SyncMode;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DynamicSettingsTest {
    @Test
    void appliesTextValuesAsPeopleWriteThem() {
        DynamicConfig c = DynamicSettings.apply(
                DynamicConfig.DEFAULT,
                Map.of(
                        "synchronous_mode",
                        "quorum",
                        "synchronous_mode_strict",
                        "true",
                        "synchronous_node_count",
                        "2",
                        "maximum_lag_on_failover",
                        "16MB",
                        "failsafe_mode",
                        "on"));
        assertThat(c.synchronousMode()).isEqualTo(SyncMode.QUORUM);
        assertThat(c.synchronousModeStrict()).isTrue();
        assertThat(c.synchronousNodeCount()).isEqualTo(2);
        assertThat(c.maximumLagOnFailover()).isEqualTo(16L * 1024 * 1024);
        assertThat(c.failsafeMode()).isTrue();
        assertThat(DynamicSettings.apply(c, Map.of("synchronous_mode", "off")).synchronousNodeCount())
                .isEqualTo(2);
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
        DynamicConfig c =
                DynamicConfig.DEFAULT.withSynchronous(SyncMode.ON, true, 3).withPaused(true);
        assertThat(DynamicSettings.apply(DynamicConfig.DEFAULT, DynamicSettings.toMap(c)))
                .isEqualTo(c);
    }

    @Test
    void badInputNamesTheKey() {
        assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("synchronous_mode", "maybe")))
                .hasMessageContaining("synchronous_mode: 'maybe' is not one of off, on, quorum");
        assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("synchronous_node_count", "0")))
                .hasMessageContaining("synchronous_node_count: 0 is out of range");
        assertThatThrownBy(() ->
                        DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("synchronous_mode_strict", "perhaps")))
                .hasMessageContaining("synchronous_mode_strict: 'perhaps' is not a boolean");
        assertThatThrownBy(
                        () -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("maximum_lag_on_failover", "lots")))
                .hasMessageContaining("maximum_lag_on_failover");
        assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("sync_mode", "on")))
                .hasMessageContaining("unknown setting 'sync_mode'");
        assertThatThrownBy(() -> DynamicSettings.assignment("synchronous_mode"))
                .hasMessageContaining("is not KEY=VALUE");
    }

    @Test
    void slotSettingsAreReadFromMappingsAndRoundTrip() {
        Map<String, Object> slots = new LinkedHashMap<>();
        slots.put("cdc", Map.of("type", "logical", "database", "app", "plugin", "pgoutput"));
        slots.put("archiver", Map.of("type", "physical"));
        DynamicConfig c =
                DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("member_slots_ttl", "10m", "slots", slots));
        assertThat(c.memberSlotsTtlMs()).isEqualTo(600_000);
        assertThat(c.slots())
                .isEqualTo(Map.of("cdc", PermanentSlot.logical("app", "pgoutput"), "archiver", PermanentSlot.PHYSICAL));
        Map<String, Object> shown = DynamicSettings.toMap(c);
        assertThat(shown).containsEntry("member_slots_ttl", "10m");
        assertThat(DynamicSettings.apply(DynamicConfig.DEFAULT, shown)).isEqualTo(c);
        assertThat(DynamicConfig.DEFAULT.memberSlotsTtlMs())
                .as("Patroni's default")
                .isEqualTo(30 * 60_000);
        assertThat(DynamicSettings.apply(c, Map.of("member_slots_ttl", "0")).memberSlotsTtlMs())
                .isZero();
        Map<String, Object> reset = new HashMap<>();
        reset.put("slots", null);
        assertThat(DynamicSettings.apply(c, reset).slots()).isEmpty();
        assertThat(DynamicSettings.apply(c, Map.of("slots", Map.of())).slots())
                .as("the value replaces the whole mapping")
                .isEmpty();
    }

    /** A slots value of one slot {@code name} with the given fields (key, value, key, value, ...). */
    private static Map<String, Object> slot(String name, Object... fields) {
        Map<String, Object> f = new LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) f.put((String) fields[i], fields[i + 1]);
        return Map.of(name, f);
    }

    @Test
    void badSlotsNameTheKey() {
        Map<Object, String> cases = new LinkedHashMap<>();
        cases.put(slot("Bad-Name", "type", "physical"), "slots.Bad-Name: 'Bad-Name' is not a slot name");
        cases.put(slot("x".repeat(64), "type", "physical"), "is not a slot name");
        cases.put(slot("pgha_mine", "type", "physical"), "slots.pgha_mine: names starting with 'pgha_' are reserved");
        cases.put(
                slot("x", "type", "logical", "plugin", "pgoutput"), "slots.x.database: is required for a logical slot");
        cases.put(slot("x", "type", "logical", "database", "app"), "slots.x.plugin: is required for a logical slot");
        cases.put(
                slot("x", "type", "physical", "database", "app"),
                "slots.x.database: only a logical slot has a database");
        cases.put(slot("x", "type", "physical", "plugin", "p"), "slots.x.plugin: only a logical slot has a plugin");
        cases.put(slot("x", "type", "circular"), "slots.x.type: 'circular' is not one of physical, logical");
        cases.put(slot("x"), "slots.x.type: is required");
        cases.put(slot("x", "type", "physical", "size", 1), "slots.x.size: unknown key");
        cases.put(Map.of("x", "physical"), "slots.x: expected a mapping with type");
        cases.put(slot("x", "type", "logical", "database", "a;b", "plugin", "p"), "slots.x.database: 'a;b' must be");
        cases.put(slot("x", "type", "logical", "database", "app", "plugin", "p'q"), "slots.x.plugin: 'p'q' must be");
        cases.forEach((value, message) -> assertThatThrownBy(
                        () -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("slots", value)))
                .as(message)
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message));
    }

    @Test
    void badSlotSettingsNameTheKey() {
        assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("slots", "cdc")))
                .hasMessageContaining("slots: expected a mapping of slot names");
        assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("member_slots_ttl", "-1s")))
                .hasMessageContaining("member_slots_ttl: '-1s' is negative");
        assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("member_slots_ttl", "1000h")))
                .hasMessageContaining("member_slots_ttl: 3600000000ms is out of range");
    }
}
