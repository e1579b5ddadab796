package io.pgha.postgres;

/** How PostgreSQL is shut down (pg_ctl's modes and the signal each sends to the postmaster). */
public enum StopMode {
    /** Waits for every client to disconnect (SIGTERM). */
    SMART("TERM", 15),
    /** Disconnects clients and writes a shutdown checkpoint: a clean stop (SIGINT). */
    FAST("INT", 2),
    /** Stops at once, without a checkpoint; crash recovery at the next start (SIGQUIT). */
    IMMEDIATE("QUIT", 3);

    private final String signal;
    private final int number;

    StopMode(String signal, int number) {
        this.signal = signal;
        this.number = number;
    }

    /** The signal's number on Linux, as kill(2) takes it. */
    public int number() {
        return number;
    }

    /** The signal's name without SIG, as kill(1) takes it. */
    public String signal() {
        return signal;
    }
}
