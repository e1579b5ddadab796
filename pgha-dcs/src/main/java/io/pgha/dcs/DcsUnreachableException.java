package io.pgha.dcs;

/** A command could not reach its DCS at all (the CLI exits with its own status for it). */
public final class DcsUnreachableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public DcsUnreachableException(String message) {
        super(message);
    }
}
