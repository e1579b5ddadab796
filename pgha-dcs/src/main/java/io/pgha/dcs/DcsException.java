package io.pgha.dcs;

/** The DCS could not be reached or refused an operation for a reason other than a lost race. */
public final class DcsException extends Exception {
    private static final long serialVersionUID = 1L;

    public DcsException(String message, Throwable cause) {
        super(message, cause);
    }

    public DcsException(String message) {
        super(message);
    }
}
