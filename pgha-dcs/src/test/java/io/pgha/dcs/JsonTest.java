package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.PermanentSlot;
import io.pgha.core.model.SlotPositions;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON forms the DCS stores, read back as written, and old records read with defaults. */
class JsonTest {
    @Test
    void slotSettingsAndPositionsRoundTrip() throws Exception {
        DynamicConfig c = DynamicConfig.DEFAULT.withSlots(
                0, Map.of("cdc", PermanentSlot.logical("app", "test_decoding"), "keep", PermanentSlot.PHYSICAL));
        assertThat(Json.parse(Json.bytes(c), DynamicConfig.class)).isEqualTo(c);
        SlotPositions p = new SlotPositions("node1", Map.of("cdc", Lsn.parse("1/2A"), "keep", Lsn.ZERO));
        assertThat(Json.parse(Json.bytes(p), SlotPositions.class)).isEqualTo(p);
    }

    @Test
    void resourceSettingsAreStoredAsWrittenAndReadBack() throws Exception {
        java.util.Map<String, Object> changes = new java.util.LinkedHashMap<>();
        changes.put(
                "resources",
                Map.of(
                        "vip",
                        Map.of("kind", "script", "path", "/bin/vip", "params", Map.of("camelCase", "x")),
                        "app",
                        Map.of(
                                "kind",
                                "script",
                                "path",
                                "/bin/app",
                                "with",
                                "every",
                                "after",
                                java.util.List.of("vip"))));
        changes.put(
                "fencing",
                Map.of("mode", "when-unknown", "devices", Map.of("ipmi", Map.of("agent", "/usr/sbin/fence_ipmilan"))));
        changes.put("maintenance", java.util.List.of("node2"));
        DynamicConfig c = io.pgha.core.config.DynamicSettings.apply(DynamicConfig.DEFAULT, changes);
        byte[] stored = Json.bytes(c);
        assertThat(new String(stored, StandardCharsets.UTF_8)).contains("\"camelCase\":\"x\"", "\"with\":\"every\"");
        assertThat(Json.parse(stored, DynamicConfig.class)).isEqualTo(c);
        assertThat(ClusterDecoder.config(stored)).isEqualTo(c);
    }

    @Test
    void aConfigWrittenBeforeSlotSettingsExistedGetsTheDefaults() throws Exception {
        String old =
                "{\"paused\":false,\"maximumLagOnFailover\":1048576,\"synchronousMode\":\"OFF\",\"synchronousModeStrict\":false,"
                        + "\"synchronousNodeCount\":1,\"failsafeMode\":false,\"switchoverDrainTimeoutMs\":3000}";
        DynamicConfig c = Json.parse(old.getBytes(StandardCharsets.UTF_8), DynamicConfig.class);
        assertThat(c.memberSlotsTtlMs()).isEqualTo(DynamicConfig.DEFAULT_MEMBER_SLOTS_TTL_MS);
        assertThat(c.slots()).isEmpty();
        assertThat(c).isEqualTo(DynamicConfig.DEFAULT);
    }

    /**
     * A rolling upgrade runs two versions side by side: a member record written by a newer agent,
     * with fields this version does not know, still reads; one from an older agent, without the
     * version and scheduled restart, reads with them empty.
     */
    @Test
    void memberRecordsOfOtherVersionsRead() throws Exception {
        io.pgha.core.model.Member m = new io.pgha.core.model.Member(
                "n1",
                "http://h:8008",
                "h",
                5432,
                io.pgha.core.model.Role.STANDBY,
                io.pgha.core.model.MemberState.RUNNING,
                2,
                Lsn.parse("0/3000000"),
                Lsn.parse("0/3000000"),
                "n0",
                true,
                io.pgha.core.model.Tags.NONE,
                "ok",
                1L,
                "off",
                null,
                null,
                true,
                "0.1.0",
                new io.pgha.core.model.ScheduledRestart(5L, true, "replica"));
        String json = Json.text(m);
        assertThat(Json.parse(json.getBytes(StandardCharsets.UTF_8), io.pgha.core.model.Member.class))
                .isEqualTo(m);
        String newer = json.substring(0, json.length() - 1) + ",\"some_future_field\":{\"x\":1}}";
        assertThat(Json.parse(newer.getBytes(StandardCharsets.UTF_8), io.pgha.core.model.Member.class))
                .isEqualTo(m);
        String older =
                json.replaceAll(",\"version\":\"0.1.0\"", "").replaceAll(",\"scheduledRestart\":\\{[^}]*\\}", "");
        assertThat(older).doesNotContain("version", "scheduledRestart");
        var parsed = Json.parse(older.getBytes(StandardCharsets.UTF_8), io.pgha.core.model.Member.class);
        assertThat(parsed.version()).isNull();
        assertThat(parsed.scheduledRestart()).isNull();
        assertThat(parsed.name()).isEqualTo("n1");
    }
}
