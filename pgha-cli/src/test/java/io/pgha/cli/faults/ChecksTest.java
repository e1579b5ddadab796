package io.pgha.cli.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.testkit.Writer.Ack;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The double-primary detector of the fault campaign, on hand-made acknowledgement sequences. */
class ChecksTest {
    static Ack ack(long id, String member, int tl) {
        return new Ack(id, id, id, member, tl);
    }

    @Test
    void aCleanFailoverHasNoSecondPrimary() {
        assertThat(Checks.doublePrimaries(
                        List.of(ack(1, "n1", 1), ack(2, "n1", 1), ack(3, "n2", 2), ack(4, "n2", 2), ack(5, "n1", 3)),
                        List.of(new HistoryEntry(1, Lsn.ZERO, "x", 2, "n2"))))
                .isEmpty();
    }

    @Test
    void anAcknowledgementFromAnOlderTimelineAfterANewerOneIsASecondPrimary() {
        assertThat(Checks.doublePrimaries(List.of(ack(1, "n1", 1), ack(2, "n2", 2), ack(3, "n1", 1)), List.of()))
                .singleElement()
                .asString()
                .contains("row 3 by n1 on timeline 1 after timeline 2");
    }

    @Test
    void anAcknowledgementOnATimelineAfterItsSuccessorBeganIsASecondPrimary() {
        // A frozen old primary resumed and acknowledged row 3 after n2 had promoted at t=2.
        assertThat(Checks.doublePrimaries(
                        List.of(ack(1, "n1", 1), ack(3, "n1", 1), ack(4, "n2", 2)),
                        List.of(new HistoryEntry(1, Lsn.ZERO, "x", 2, "n2"))))
                .singleElement()
                .asString()
                .contains("1 ms after timeline 2 began");
    }

    @Test
    void twoMembersOnOneTimelineAreTwoPrimaries() {
        assertThat(Checks.doublePrimaries(List.of(ack(1, "n1", 2), ack(2, "n2", 2)), List.of()))
                .singleElement()
                .asString()
                .contains("which n1 also wrote");
    }
}
