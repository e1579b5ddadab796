package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The agent trims the C heap once its start is over and then once a minute, and gives up where it cannot. */
class NativeHeapTest {
    @Test
    void firstAfterTheStartThenOnceAMinute() {
        AtomicLong now = new AtomicLong(1_000);
        AtomicInteger trims = new AtomicInteger();
        NativeHeap heap = new NativeHeap(trims::incrementAndGet, now::get);
        heap.trimIfDue();
        now.addAndGet(NativeHeap.FIRST_NANOS - 1);
        heap.trimIfDue();
        assertThat(trims).as("not during the start").hasValue(0);
        now.addAndGet(1);
        heap.trimIfDue();
        heap.trimIfDue();
        assertThat(trims).hasValue(1);
        now.addAndGet(NativeHeap.PERIOD_NANOS);
        heap.trimIfDue();
        assertThat(trims).hasValue(2);
    }

    @Test
    void aCLibraryWithoutMallocTrimTurnsItOff() {
        AtomicLong now = new AtomicLong();
        AtomicInteger calls = new AtomicInteger();
        NativeHeap heap = new NativeHeap(
                () -> {
                    calls.incrementAndGet();
                    throw new UnsatisfiedLinkError("Error looking up function 'malloc_trim'");
                },
                now::get);
        now.addAndGet(NativeHeap.FIRST_NANOS);
        heap.trimIfDue();
        assertThat(heap.enabled()).isFalse();
        now.addAndGet(NativeHeap.PERIOD_NANOS);
        heap.trimIfDue();
        assertThat(calls).as("not tried again").hasValue(1);
    }

    @Test
    void glibcTrimsHere() {
        assertThatCode(() -> NativeHeap.glibcTrimmer().trim()).doesNotThrowAnyException();
    }
}
