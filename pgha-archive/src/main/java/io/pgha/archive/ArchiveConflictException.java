package io.pgha.archive;

import java.io.IOException;

/** A push of a name that is already archived with different bytes: refused, nothing overwritten. */
public final class ArchiveConflictException extends IOException {
    public ArchiveConflictException(String message) {
        super(message);
    }
}
