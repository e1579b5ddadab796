package io.pgha.agent;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the C heap's free pages back to the system now and then. The JVM's compiler threads and
 * the start's class loading free what they malloc'd, but glibc keeps those pages in its arenas: an
 * idle agent held 3.5-5.4 MB that {@code malloc_trim} returned (BENCHMARKS.md). OpenJDK 17's own
 * {@code -XX:TrimNativeHeapInterval} is unknown to its older updates, where a JVM given it does
 * not start, so the agent calls glibc itself. Where there is no {@code malloc_trim} (a C library
 * other than glibc) this does nothing. Runs on the agent's loop between cycles; a call takes about a
 * millisecond.
 */
final class NativeHeap {
    private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);
    /** The first trim, once the start's compilations are over; then this often. */
    static final long FIRST_NANOS = 30_000_000_000L;

    static final long PERIOD_NANOS = 60_000_000_000L;

    interface C extends Library {
        int malloc_trim(NativeLong pad);
    }

    /** What a trim calls: glibc's malloc_trim, or a stand-in in tests; UnsatisfiedLinkError when there is none. */
    interface Trimmer {
        void trim();
    }

    private final Trimmer trimmer;
    private final LongSupplier nanoTime;
    private long next;
    private boolean off;

    NativeHeap(Trimmer trimmer, LongSupplier nanoTime) {
        this.trimmer = trimmer;
        this.nanoTime = nanoTime;
        this.next = nanoTime.getAsLong() + FIRST_NANOS;
    }

    /** Trims with glibc's malloc_trim on the monotonic clock. */
    static NativeHeap glibc() {
        return new NativeHeap(glibcTrimmer(), System::nanoTime);
    }

    /** glibc's malloc_trim, bound at the first call; UnsatisfiedLinkError where there is none. */
    static Trimmer glibcTrimmer() {
        return new Trimmer() {
            private C c;

            @Override
            public void trim() {
                if (c == null) c = Native.load("c", C.class);
                c.malloc_trim(new NativeLong(0));
            }
        };
    }

    /** Trims when it is due; never throws. */
    void trimIfDue() {
        if (off) return;
        long now = nanoTime.getAsLong();
        if (now - next < 0) return;
        next = now + PERIOD_NANOS;
        try {
            long t0 = System.nanoTime();
            trimmer.trim();
            LOG.debug("malloc_trim took {} us", (System.nanoTime() - t0) / 1000);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            off = true;
            LOG.debug("no malloc_trim here ({}): the C heap is not trimmed", e.toString());
        }
    }

    /** False once the C library showed it cannot trim (tests). */
    boolean enabled() {
        return !off;
    }
}
