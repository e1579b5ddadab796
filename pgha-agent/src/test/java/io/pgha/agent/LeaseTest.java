package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LeaseTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final Lease lease = new Lease(clock::get);

    private void advanceMs(long ms) {
        clock.addAndGet(ms * 1_000_000L);
    }

    @Test
    void validityCountsFromWhenTheRenewalWasSentNotAnswered() {
        long sent = clock.get();
        advanceMs(800); // a slow answer
        lease.confirmed(sent, 2000);
        assertThat(lease.valid()).isTrue();
        advanceMs(1199);
        assertThat(lease.valid()).isTrue();
        advanceMs(1);
        assertThat(lease.valid()).isFalse();
        assertThat(lease.expired()).isTrue();
    }

    @Test
    void aLateConfirmationOfAnOlderRenewalNeverShortensTheLease() {
        long older = clock.get();
        advanceMs(500);
        lease.confirmed(clock.get(), 2000);
        lease.confirmed(older, 2000);
        advanceMs(1900);
        assertThat(lease.valid()).isTrue();
    }

    @Test
    void aReleasedLeaseIsNeitherValidNorExpired() {
        lease.confirmed(clock.get(), 2000);
        lease.released();
        assertThat(lease.valid()).isFalse();
        assertThat(lease.expired()).isFalse();
        assertThat(lease.remainingMs()).isZero();
    }
}
