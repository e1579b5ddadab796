package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UnrenewedLeaseTest {
    private static final long TTL = 2_500_000_000L;
    private static final long HOLDER = 0x11;
    private static final long ME = 0x22;

    @Test
    void aKeyIsDueATtlAfterItsVersionWasLastSeenToChange() {
        UnrenewedLease l = new UnrenewedLease();
        assertThat(l.due(0, TTL, ME)).as("nothing known").isNull();
        assertThat(l.untilDueNanos(0, TTL, ME)).isEqualTo(-1);
        l.learned(3, 7, HOLDER, 100, 1_000);
        assertThat(l.untilDueNanos(1_000, TTL, ME)).isEqualTo(TTL);
        assertThat(l.due(1_000 + TTL - 1, TTL, ME)).isNull();
        assertThat(l.due(1_000 + TTL, TTL, ME)).isEqualTo(new UnrenewedLease.Seen(3, 7, HOLDER, 100, 1_000));
    }

    @Test
    void aRenewalCountedFromTheWatchMovesTheVersionAndTheTime() {
        UnrenewedLease l = new UnrenewedLease();
        l.learned(3, 7, HOLDER, 100, 1_000);
        assertThat(l.renewed(101, 5_000)).isTrue();
        assertThat(l.due(1_000 + TTL, TTL, ME)).as("renewed since").isNull();
        assertThat(l.due(5_000 + TTL, TTL, ME)).isEqualTo(new UnrenewedLease.Seen(3, 8, HOLDER, 101, 5_000));
    }

    @Test
    void aChangeTheReadAlreadyShowedIsNotCountedTwice() {
        UnrenewedLease l = new UnrenewedLease();
        l.learned(3, 8, HOLDER, 101, 1_000);
        assertThat(l.renewed(101, 2_000)).isTrue();
        assertThat(l.renewed(99, 2_000)).isTrue();
        assertThat(l.seen()).isEqualTo(new UnrenewedLease.Seen(3, 8, HOLDER, 101, 1_000));
    }

    @Test
    void anEventWithoutAZxidOrWithoutAKnownKeyAsksForARead() {
        UnrenewedLease l = new UnrenewedLease();
        assertThat(l.renewed(5, 1_000)).as("no key known").isFalse();
        l.learned(3, 8, HOLDER, 101, 1_000);
        assertThat(l.renewed(-1, 2_000)).as("a server before 3.9 sends no zxid").isFalse();
    }

    @Test
    void theSamePairReadAgainKeepsTheEarlierTime() {
        UnrenewedLease l = new UnrenewedLease();
        l.learned(3, 8, HOLDER, 101, 1_000);
        l.learned(3, 8, HOLDER, 101, 9_000); // read again after a reconnection: nothing renewed meanwhile
        assertThat(l.due(1_000 + TTL, TTL, ME)).isNotNull();
        l.learned(3, 9, HOLDER, 102, 9_000);
        assertThat(l.due(1_000 + TTL, TTL, ME)).isNull();
        l.learned(4, 0, 0x33, 150, 10_000); // a new holder
        assertThat(l.seen().sinceNanos()).isEqualTo(10_000);
    }

    @Test
    void neverTheMembersOwnKeyNorOneWithoutATermNorAGoneOne() {
        UnrenewedLease l = new UnrenewedLease();
        l.learned(3, 8, ME, 101, 0);
        assertThat(l.due(10 * TTL, TTL, ME)).as("its own: its guard ends it").isNull();
        assertThat(l.untilDueNanos(0, TTL, ME)).isEqualTo(-1);
        l.learned(-1, 8, HOLDER, 101, 0);
        assertThat(l.due(10 * TTL, TTL, ME))
                .as("taken by an older pgha, without a term")
                .isNull();
        l.learned(3, 8, HOLDER, 101, 0);
        l.gone();
        assertThat(l.due(10 * TTL, TTL, ME)).isNull();
        assertThat(l.seen()).isNull();
    }
}
