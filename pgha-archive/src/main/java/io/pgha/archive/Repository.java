package io.pgha.archive;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Where archived files live. Names are relative paths such as {@code wal/000000010000000000000001}.
 * {@link RepositoryUnavailableException} means the repository itself cannot be used; a missing
 * file is an empty answer, never an exception. Implementations are thread-safe.
 */
public interface Repository extends AutoCloseable {
    /** The stored bytes of {@code name}, or null when there is no such file. */
    InputStream open(String name) throws IOException;

    /**
     * Starts writing {@code name}. Nothing is visible under that name until {@link NewFile#commit}
     * returns true; closing an uncommitted file discards it.
     */
    NewFile create(String name) throws IOException;

    /** Removes {@code name}; false when it did not exist. */
    boolean delete(String name) throws IOException;

    /** Names under {@code prefix} (recursively), sorted. */
    List<String> list(String prefix) throws IOException;

    /** Where it is, for messages (no secrets). */
    String describe();

    /**
     * Stores {@code bytes} as {@code name} durably before returning. Never replaces an existing file:
     * false when {@code name} exists.
     */
    default boolean create(String name, byte[] bytes) throws IOException {
        try (NewFile f = create(name)) {
            f.out().write(bytes);
            return f.commit();
        }
    }

    /**
     * Makes durable the names committed with {@link NewFile#commitDeferred} in the directories of
     * these files, and those directories' own names up to the repository's root.
     */
    default void syncDirectories(java.util.Collection<String> files) throws IOException {}

    @Override
    default void close() throws IOException {}

    /** A file being written. Writes go to a temporary name in the final directory. */
    interface NewFile extends Closeable {
        /** The sequential output (buffered; do not close it). */
        OutputStream out() throws IOException;

        /**
         * The same sequential output as a channel, after what was written to {@link #out()}: for
         * writes from native buffers. Do not close it.
         */
        default java.nio.channels.WritableByteChannel channel() throws IOException {
            return java.nio.channels.Channels.newChannel(StoredFile.nonClosing(out()));
        }

        /** Bytes written so far: the stored size of the file. */
        long size() throws IOException;

        /** Overwrites bytes at {@code position} of what was written so far (for headers known only at the end). */
        void writeAt(long position, byte[] bytes) throws IOException;

        /**
         * Makes the file durable (synced), then visible under its name unless that name exists, which
         * it never replaces; false in that case. Syncs the directory where the repository can.
         */
        boolean commit() throws IOException;

        /**
         * As {@link #commit}, but the name's durability waits for {@link Repository#syncDirectories}
         * of its directory: many files written together (a backup) then cost one directory sync per
         * directory instead of one per file. The file's own bytes are synced here.
         */
        default boolean commitDeferred() throws IOException {
            return commit();
        }

        /** Discards the file unless it was committed. */
        @Override
        void close() throws IOException;
    }
}
