package io.pgha.agent.resource;

/** A resource agent could not tell what was asked (its meta-data missing or unreadable); the message says why. */
public final class ResourceException extends Exception {
    public ResourceException(String message) {
        super(message);
    }

    public ResourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
