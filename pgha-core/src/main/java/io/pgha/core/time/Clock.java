package io.pgha.core.time;

/**
 * Time as the agent reads it: a monotonic ticker for leases, deadlines and intervals, and the wall
 * clock for what is shown to people and stored in the DCS. Injected, so that tests step time
 * instead of waiting for it (Caffeine's {@code Ticker} is the model).
 */
public interface Clock {
    /** Monotonic nanoseconds, for durations only (as {@link System#nanoTime()}). */
    long nanoTime();

    /** Milliseconds since the epoch (as {@link System#currentTimeMillis()}). */
    long wallMillis();

    /** The machine's clocks. */
    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }
    };
}
