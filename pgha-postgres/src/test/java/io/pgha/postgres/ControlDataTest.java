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

    @Test
    void anUnknownStateIsNeverMistakenForAPrimaryState() {
        assertThat(ControlState.parse("something new").primaryState()).isFalse();
        assertThat(ControlState.parse("in production").primaryState()).isTrue();
        assertThat(ControlState.parse("shut down").primaryState()).isTrue();
        assertThat(ControlState.parse("in archive recovery").primaryState()).isFalse();
    }
}
