package io.pgha.testkit;

import io.pgha.core.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Clock} that moves only when a test says so; both clocks move together. Thread-safe. */
public final class ManualClock implements Clock {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicLong wall;

    public ManualClock(long wallMillis) {
        this.wall = new AtomicLong(wallMillis);
    }

    public ManualClock() {
        this(1_800_000_000_000L);
    }

    /** Moves both clocks forward by {@code ms}. */
    public void advance(long ms) {
        nanos.addAndGet(ms * 1_000_000L);
        wall.addAndGet(ms);
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }

    @Override
    public long wallMillis() {
        return wall.get();
    }
}
