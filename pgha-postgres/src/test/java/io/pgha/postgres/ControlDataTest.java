package io.pgha.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.ControlState;
import io.pgha.core.model.Lsn;
import org.junit.jupiter.api.Test;

class ControlDataTest {
    @Test
    void parsesTheFieldsTheAgentUses() {
        String out = """
        pg_control version number:            1300
        Database system identifier:           7312345678901234567
        Database cluster state:               shut down in recovery
        pg_control last modified:             Thu 26 Nov 2026 06:33:11 PM UTC
        Latest checkpoint location:           0/50482A0
        Latest checkpoint's REDO location:    0/5048268
        Latest checkpoint's TimeLineID:       2
        Minimum recovery ending location:     0/5048318
        Min recovery ending loc's timeline:   2
        """;
        ControlData cd = ControlData.parse(out);
        assertThat(cd.systemIdentifier()).isEqualTo("7312345678901234567");
        assertThat(cd.state()).isEqualTo(ControlState.SHUT_DOWN_IN_RECOVERY);
        assertThat(cd.checkpoint()).isEqualTo(Lsn.parse("0/50482A0"));
        assertThat(cd.timeline()).isEqualTo(2);
        assertThat(cd.minRecoveryPoint()).isEqualTo(Lsn.parse("0/5048318"));
    }

    /** A pg_control of PostgreSQL 13-16 as a 64-bit server writes it, with a valid CRC. */
    static byte[] controlFile(int version, int state, long checkpoint, int timeline, long minRecoveryPoint) {
        byte[] b = new byte[8192];
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.nativeOrder());
        buf.putLong(0, 7312345678901234567L);
        buf.putInt(8, version);
        buf.putInt(16, state);
        buf.putLong(32, checkpoint);
        buf.putInt(48, timeline);
        buf.putLong(136, minRecoveryPoint);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, ControlData.CRC_OFFSET);
        buf.putInt(ControlData.CRC_OFFSET, (int) crc.getValue());
        return b;
    }

    @Test
    void readsTheControlFileItselfWhenItsLayoutIsKnown() {
        ControlData cd = ControlData.fromControlFile(controlFile(1300, 2, 0x50482A0L, 2, 0x5048318L));
        assertThat(cd)
                .isEqualTo(new ControlData(
                        "7312345678901234567",
                        ControlState.SHUT_DOWN_IN_RECOVERY,
                        Lsn.parse("0/50482A0"),
                        2,
                        Lsn.parse("0/5048318")));
        assertThat(ControlData.fromControlFile(controlFile(1300, 1, 1, 1, 0)).state())
                .isEqualTo(ControlState.SHUT_DOWN);
        assertThat(ControlData.fromControlFile(controlFile(1300, 6, 1, 1, 0)).state())
                .isEqualTo(ControlState.IN_PRODUCTION);
    }

    @Test
    void anotherVersionADamagedFileOrAnotherLayoutIsLeftToPgControldata() {
        assertThat(ControlData.fromControlFile(controlFile(1700, 1, 1, 1, 0))).isNull();
        byte[] damaged = controlFile(1300, 1, 0x50482A0L, 2, 0);
        damaged[40] ^= 1; // a field the CRC covers
        assertThat(ControlData.fromControlFile(damaged)).isNull();
        assertThat(ControlData.fromControlFile(new byte[100])).isNull();
        assertThat(ControlData.fromControlFile(controlFile(1300, 9, 1, 1, 0))).isNull();
    }

    @Test
    void anUnknownStateIsNeverMistakenForAPrimaryState() {
        assertThat(ControlState.parse("something new").primaryState()).isFalse();
        assertThat(ControlState.parse("in production").primaryState()).isTrue();
        assertThat(ControlState.parse("shut down").primaryState()).isTrue();
        assertThat(ControlState.parse("in archive recovery").primaryState()).isFalse();
    }
}
