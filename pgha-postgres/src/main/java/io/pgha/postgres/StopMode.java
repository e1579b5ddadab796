package io.pgha.postgres;

/** How PostgreSQL is shut down (pg_ctl's modes and the signal each sends to the postmaster). */
public enum StopMode {
    /** Waits for every client to disconnect (SIGTERM). */
    SMART("TERM"),
    /** Disconnects clients and writes a shutdown checkpoint: a clean stop (SIGINT). */
    FAST("INT"),
    /** Stops at once, without a checkpoint; crash recovery at the next start (SIGQUIT). */
    IMMEDIATE("QUIT");

    private final String signal;

    StopMode(String signal) {
        this.signal = signal;
    }

    /** The signal's name without SIG, as kill(1) takes it. */
    public String signal() {
        return signal;
    }
}
