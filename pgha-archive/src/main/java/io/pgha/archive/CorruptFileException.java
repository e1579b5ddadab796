package io.pgha.archive;

import java.io.IOException;

/** A stored file whose bytes do not match its header: named, never handed out. */
public final class CorruptFileException extends IOException {
    private final String reason;

    public CorruptFileException(String name, String problem) {
        super(name + " in the archive is corrupt: " + problem);
        this.reason = problem;
    }

    /** What is wrong, without the file name. */
    public String reason() {
        return reason;
    }
}
