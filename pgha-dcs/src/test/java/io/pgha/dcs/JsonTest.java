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
    void aConfigWrittenBeforeSlotSettingsExistedGetsTheDefaults() throws Exception {
        String old =
                "{\"paused\":false,\"maximumLagOnFailover\":1048576,\"synchronousMode\":\"OFF\",\"synchronousModeStrict\":false,"
                        + "\"synchronousNodeCount\":1,\"failsafeMode\":false,\"switchoverDrainTimeoutMs\":3000}";
        DynamicConfig c = Json.parse(old.getBytes(StandardCharsets.UTF_8), DynamicConfig.class);
        assertThat(c.memberSlotsTtlMs()).isEqualTo(DynamicConfig.DEFAULT_MEMBER_SLOTS_TTL_MS);
        assertThat(c.slots()).isEmpty();
        assertThat(c).isEqualTo(DynamicConfig.DEFAULT);
    }
}
