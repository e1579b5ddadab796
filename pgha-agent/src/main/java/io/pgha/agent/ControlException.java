package io.pgha.agent;

/** An operator request was refused; the message says why, for people. Nothing was changed. */
public final class ControlException extends Exception {
    private static final long serialVersionUID = 1L;

    public ControlException(String message) {
        super(message);
    }
}
