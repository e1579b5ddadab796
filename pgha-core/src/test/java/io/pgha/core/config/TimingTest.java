package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TimingTest {
    @Test
    void leaderStopsBeforeItsSessionCanExpireForOthers() {
        Timing t = Timing.DEFAULT.validate();
        long session = 3000;
        assertThat(t.leaseValidityMs(session)).isLessThan(session);
        assertThat(session - t.leaseValidityMs(session)).isGreaterThanOrEqualTo(Timing.MIN_SAFETY_MARGIN_MS);
    }

    @Test
    void renewsAtLeastFourTimesPerValidityPeriod() {
        Timing t = new Timing(10_000, 3000, 3000).validate();
        assertThat(t.renewIntervalMs(10_000) * 4).isLessThanOrEqualTo(t.leaseValidityMs(10_000));
    }

    @Test
    void aShorterNegotiatedSessionShortensTheLease() {
        Timing t = new Timing(10_000, 1000, 3000).validate();
        assertThat(t.leaseValidityMs(4000)).isEqualTo(1000);
    }
}
