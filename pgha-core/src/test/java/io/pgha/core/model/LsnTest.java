package io.pgha.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LsnTest {
    @Test
    void parsesAndPrintsLikePostgres() {
        Lsn l = Lsn.parse("16/B374D848");
        assertThat(l.value()).isEqualTo(0x16B374D848L);
        assertThat(l).hasToString("16/B374D848");
        assertThat(Lsn.parse("0/0")).isEqualTo(Lsn.ZERO);
    }

    @Test
    void comparesUnsigned() {
        Lsn high = Lsn.parse("FFFFFFFF/FFFFFFFF");
        assertThat(high.compareTo(Lsn.parse("0/1"))).isPositive();
        assertThat(Lsn.parse("1/0").isAfter(Lsn.parse("0/FFFFFFFF"))).isTrue();
        assertThat(Lsn.max(Lsn.parse("0/10"), Lsn.parse("0/20"))).isEqualTo(Lsn.parse("0/20"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "16", "/1", "1/", "x/1", "1/1/1", "100000000/0"})
    void rejectsWhatIsNotAnLsnNamingIt(String text) {
        assertThatThrownBy(() -> Lsn.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an LSN");
    }
}
