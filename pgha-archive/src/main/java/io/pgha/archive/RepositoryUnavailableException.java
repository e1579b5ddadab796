package io.pgha.archive;

import java.io.IOException;

/**
 * The repository cannot be used at all (missing, unreadable, unwritable, full, unreachable): never
 * to be confused with a file that is simply not there.
 */
public final class RepositoryUnavailableException extends IOException {
    public RepositoryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
