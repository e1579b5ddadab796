package io.pgha.archive;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * The format of every file in a repository: a header (magic, compression, original length,
 * SHA-256) and the compressed payload. Every read recomputes the checksum and fails, naming the
 * file, when it differs: the archive never hands out bytes it did not store.
 *
 * <p>Two formats share the header's layout and differ in what the SHA-256 covers:
 *
 * <ul>
 *   <li>{@code PGHAARC1} (WAL files, manifests, and backup files of manifest format 1): the
 *       original bytes. A push compares it with a segment already in the archive, whatever the
 *       compression, so WAL keeps this format.
 *   <li>{@code PGHAARC2} (backup files since manifest format 2): the stored payload, the bytes
 *       after the header; the payload is a zstd or LZ4 frame with the codec's own checksum of the
 *       original bytes (XXH64, XXH32), which the decompressor checks. Storage corruption is found by
 *       the SHA-256, a wrong decompression by the codec. Hashing the payload instead of the original
 *       costs a fraction of the CPU on compressible data: SHA-256 of the original was a third of a
 *       backup's CPU and half of a restore's.
 * </ul>
 */
public final class StoredFile {
    static final byte[] MAGIC = "PGHAARC1".getBytes(StandardCharsets.US_ASCII);
    /** Format 2: the SHA-256 covers the stored payload, the codec's frame checks the original bytes. */
    static final byte[] MAGIC_PAYLOAD = "PGHAARC2".getBytes(StandardCharsets.US_ASCII);

    static final int HEADER = MAGIC.length + 1 + 8 + 32;
    /** Reads and writes of the direct paths, in bytes: few system calls per file. */
    private static final int CHUNK = 1 << 20;

    /**
     * The header of a stored file: what it claims to hold. {@code ofPayload}: format 2, the SHA-256
     * is of the stored payload; otherwise of the original bytes.
     */
    public record Header(Compression compression, long length, byte[] sha256, boolean ofPayload) {
        public String checksum() {
            return HexFormat.of().formatHex(sha256);
        }

        public boolean sameContent(byte[] otherSha256) {
            return Arrays.equals(sha256, otherSha256);
        }
    }

    private StoredFile() {}

    /** Writes the stored form of {@code original} (already hashed as {@code sha256}) to {@code out}. */
    static void write(byte[] original, byte[] sha256, Compression c, OutputStream out) throws IOException {
        out.write(headerBytes(new Header(c, original.length, sha256, false)));
        OutputStream z = c.compress(nonClosing(out));
        z.write(original);
        z.close();
    }

    public static Header readHeader(InputStream in, String name) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] magic = new byte[MAGIC.length];
        try {
            d.readFully(magic);
            boolean ofPayload = Arrays.equals(magic, MAGIC_PAYLOAD);
            if (!ofPayload && !Arrays.equals(magic, MAGIC)) {
                String text = new String(magic, StandardCharsets.US_ASCII);
                throw new CorruptFileException(
                        name,
                        text.startsWith("PGHAARC")
                                ? "written by a newer pgha (format " + text.substring(7) + ")"
                                : "not a pgha archive file (bad magic)");
            }
            Compression c = Compression.ofId(d.readUnsignedByte());
            long length = d.readLong();
            byte[] sha = new byte[32];
            d.readFully(sha);
            return new Header(c, length, sha, ofPayload);
        } catch (java.io.EOFException e) {
            throw new CorruptFileException(name, "truncated header");
        }
    }

    /**
     * Streams {@code original} into {@code file} in stored form (format 1, the checksum of the
     * original bytes): a placeholder header, the compressed payload while hashing, then the real
     * header written over the placeholder. Returns the header.
     */
    public static Header write(InputStream original, Compression c, Repository.NewFile file) throws IOException {
        return write(original, c, file, false, n -> {});
    }

    /**
     * The stream path of both formats: format 1 hashes the original bytes as they are read, format 2
     * ({@code ofPayload}) the payload as it is written, with the codec's checksum in the frame.
     */
    private static Header write(
            InputStream original, Compression c, Repository.NewFile file, boolean ofPayload, LongConsumer progress)
            throws IOException {
        MessageDigest md = digest();
        OutputStream out = file.out();
        out.write(new byte[HEADER]);
        long n = 0;
        OutputStream z = ofPayload ? c.compressChecked(new HashingOutput(out, md)) : c.compress(nonClosing(out));
        byte[] buf = new byte[1 << 16];
        for (int r; (r = original.read(buf)) > 0; ) {
            if (!ofPayload) md.update(buf, 0, r);
            z.write(buf, 0, r);
            n += r;
            progress.accept(r);
        }
        z.close();
        Header h = new Header(c, n, md.digest(), ofPayload);
        file.writeAt(0, headerBytes(h));
        return h;
    }

    static byte[] headerBytes(Header h) {
        ByteArrayOutputStream head = new ByteArrayOutputStream(HEADER);
        head.writeBytes(h.ofPayload() ? MAGIC_PAYLOAD : MAGIC);
        head.write(h.compression().id);
        for (int i = 7; i >= 0; i--) head.write((int) (h.length() >>> (8 * i)));
        head.writeBytes(h.sha256());
        return head.toByteArray();
    }

    /**
     * Streams the original bytes of a stored file to {@code dest}, verifying length and checksum at
     * the end: on {@link CorruptFileException} the caller must discard what was written.
     */
    public static Header copy(InputStream in, String name, OutputStream dest) throws IOException {
        return copy(readHeader(in, name), in, name, dest);
    }

    private static Header copy(Header h, InputStream in, String name, OutputStream dest) throws IOException {
        MessageDigest md = digest();
        HashingInput payload = h.ofPayload() ? new HashingInput(in, md) : null;
        long n = 0;
        try (InputStream z = h.compression()
                .decompress(payload == null ? in : withContentChecksum(payload, h.compression(), name))) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = z.read(buf)) > 0; ) {
                if (payload == null) md.update(buf, 0, r);
                dest.write(buf, 0, r);
                n += r;
                if (n > h.length()) break;
            }
        } catch (IOException e) {
            throw notDecompressed(name, h, e);
        }
        if (payload != null) payload.drain();
        return verified(h, name, n, md);
    }

    /**
     * Restores a stored file into {@code dest}, as {@link #copy(InputStream, String, OutputStream)}
     * does, telling {@code progress} the original bytes as they are written. A format-2 zstd file
     * takes the direct path: the payload is decompressed from native memory into native memory and
     * written in 1 MB system calls, and only the payload is hashed.
     */
    public static Header copy(InputStream in, String name, FileChannel dest, LongConsumer progress) throws IOException {
        Header h = readHeader(in, name);
        if (!h.ofPayload() || h.compression() != Compression.ZSTD) {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(dest), CHUNK);
            Header done = copy(h, in, name, new FilterOutputStream(out) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    progress.accept(len);
                }
            });
            out.flush();
            return done;
        }
        MessageDigest md = digest();
        byte[] heap = new byte[1 << 16];
        ByteBuffer src = Buffers.get().compressed.clear();
        ByteBuffer out = Buffers.get().original.clear();
        long n = 0;
        try (ZstdDecompressCtx z = new ZstdDecompressCtx()) {
            byte[] head = in.readNBytes(5);
            md.update(head);
            requireContentChecksum(head, Compression.ZSTD, name);
            src.put(head).flip();
            boolean eof = false;
            boolean frameDone = false;
            while (!frameDone) {
                if (!src.hasRemaining() && !eof) {
                    int r = in.read(heap, 0, Math.min(heap.length, src.capacity()));
                    src.clear();
                    if (r < 0) eof = true;
                    else {
                        md.update(heap, 0, r);
                        src.put(heap, 0, r);
                    }
                    src.flip();
                }
                int before = out.position();
                frameDone = z.decompressDirectByteBufferStream(out, src);
                if (!out.hasRemaining() || frameDone) {
                    n += drain(out, dest, progress);
                    if (n > h.length()) break;
                } else if (eof && !src.hasRemaining() && out.position() == before) {
                    throw new CorruptFileException(
                            name, "is truncated: its compressed data ends before the frame does");
                }
            }
        } catch (ZstdException e) {
            throw notDecompressed(name, h, e);
        }
        boolean after = src.hasRemaining();
        if (after) {
            byte[] rest = new byte[src.remaining()];
            src.get(rest);
            md.update(rest);
        }
        for (int r; (r = in.read(heap)) > 0; ) {
            md.update(heap, 0, r);
            after = true;
        }
        if (after && n == h.length()) throw new CorruptFileException(name, "has bytes after its compressed data");
        return verified(h, name, n, md);
    }

    private static long drain(ByteBuffer out, WritableByteChannel dest, LongConsumer progress) throws IOException {
        out.flip();
        long n = out.remaining();
        while (out.hasRemaining()) dest.write(out);
        out.clear();
        progress.accept(n);
        return n;
    }

    private static CorruptFileException notDecompressed(String name, Header h, Exception e) {
        if (e instanceof CorruptFileException c) return c;
        return new CorruptFileException(
                name, "cannot decompress (" + h.compression().label() + "): " + e.getMessage());
    }

    private static Header verified(Header h, String name, long n, MessageDigest md) throws CorruptFileException {
        if (n != h.length())
            throw new CorruptFileException(
                    name,
                    "holds " + (n > h.length() ? "more than " + h.length() : n) + " bytes, its header says "
                            + h.length());
        if (!h.sameContent(md.digest()))
            throw new CorruptFileException(name, "checksum mismatch: the stored bytes are not what was archived");
        return h;
    }

    // ---- format 2: the checksum of the payload --------------------------------------------------

    /**
     * Streams {@code original} into {@code file} in format 2, telling {@code progress} the original
     * bytes read: the payload is hashed as it is written, and zstd and LZ4 add their own checksum of
     * the original bytes to the frame.
     */
    public static Header writeChecked(
            InputStream original, Compression c, Repository.NewFile file, LongConsumer progress) throws IOException {
        return write(original, c, file, true, progress);
    }

    /**
     * {@link #writeChecked(InputStream, Compression, Repository.NewFile, LongConsumer)} from a file:
     * with zstd, the file is read into native memory and compressed from there in 1 MB steps (no
     * copy through the Java heap), and only the compressed bytes are hashed.
     */
    public static Header writeChecked(
            FileChannel original, Compression c, Repository.NewFile file, LongConsumer progress) throws IOException {
        if (c != Compression.ZSTD) {
            return writeChecked(
                    new BufferedInputStream(Channels.newInputStream(original), CHUNK) {
                        @Override
                        public void close() {
                            // the caller closes the channel
                        }
                    },
                    c,
                    file,
                    progress);
        }
        MessageDigest md = digest();
        file.out().write(new byte[HEADER]);
        WritableByteChannel dest = file.channel();
        ByteBuffer in = Buffers.get().original.clear();
        ByteBuffer out = Buffers.get().compressed.clear();
        long n = 0;
        try (ZstdCompressCtx z = new ZstdCompressCtx()) {
            z.setLevel(Compression.ZSTD_LEVEL);
            z.setChecksum(true);
            boolean eof = false;
            boolean ended = false;
            while (!ended) {
                in.clear();
                int r = eof ? -1 : original.read(in);
                in.flip();
                if (r < 0) eof = true;
                else if (r > 0) {
                    n += r;
                    progress.accept(r);
                }
                EndDirective how = eof ? EndDirective.END : EndDirective.CONTINUE;
                do {
                    int inBefore = in.position();
                    int outBefore = out.position();
                    ended = z.compressDirectByteBufferStream(out, in, how) && eof;
                    if (!out.hasRemaining() || out.position() >= out.capacity() / 2 || ended) {
                        hashAndWrite(out, md, dest);
                    } else if (in.position() == inBefore && out.position() == outBefore) {
                        hashAndWrite(out, md, dest); // no room was the only reason for no progress
                    }
                } while (in.hasRemaining() || (eof && !ended));
            }
        } catch (ZstdException e) {
            throw new IOException("zstd failed to compress: " + e.getMessage(), e);
        }
        Header h = new Header(c, n, md.digest(), true);
        file.writeAt(0, headerBytes(h));
        return h;
    }

    private static void hashAndWrite(ByteBuffer out, MessageDigest md, WritableByteChannel dest) throws IOException {
        out.flip();
        md.update(out.duplicate());
        while (out.hasRemaining()) dest.write(out);
        out.clear();
    }

    /**
     * Refuses a format-2 payload whose frame does not carry the codec's checksum of the original
     * bytes: without it, nothing would check what the decompressor produced.
     */
    private static InputStream withContentChecksum(InputStream payload, Compression c, String name) throws IOException {
        if (c == Compression.NONE) return payload; // the payload is the original: the SHA-256 covers it
        BufferedInputStream b = new BufferedInputStream(payload, 1 << 16);
        b.mark(5);
        byte[] head = b.readNBytes(5);
        b.reset();
        requireContentChecksum(head, c, name);
        return b;
    }

    private static void requireContentChecksum(byte[] head, Compression c, String name) throws CorruptFileException {
        // zstd: magic FD2FB528 (little-endian), then the frame header descriptor, bit 2 the checksum flag;
        // LZ4: magic 184D2204, then FLG, bit 2 the content checksum flag
        int magic = head.length < 4
                ? 0
                : (head[0] & 0xff) | (head[1] & 0xff) << 8 | (head[2] & 0xff) << 16 | (head[3] & 0xff) << 24;
        int expected = c == Compression.ZSTD ? 0xFD2FB528 : 0x184D2204;
        if (magic != expected) throw new CorruptFileException(name, "its payload is not a " + c.label() + " frame");
        if (head.length < 5 || (head[4] & 0x04) == 0)
            throw new CorruptFileException(
                    name, "its " + c.label() + " frame has no checksum of the original bytes, which format 2 requires");
    }

    /** Hashes what is read through it; closing it leaves the stream below open. */
    private static final class HashingInput extends FilterInputStream {
        private final MessageDigest md;

        HashingInput(InputStream in, MessageDigest md) {
            super(in);
            this.md = md;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) md.update((byte) b);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r = in.read(b, off, len);
            if (r > 0) md.update(b, off, r);
            return r;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] b = new byte[(int) Math.max(0, Math.min(n, 8192))]; // read, not skipped: every byte is hashed
            return Math.max(0, read(b, 0, b.length));
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        /** Reads (and hashes) whatever is left: bytes after the frame make the checksum differ. */
        void drain() throws IOException {
            byte[] buf = new byte[8192];
            while (read(buf, 0, buf.length) > 0) {
                // hashed by read
            }
        }

        @Override
        public void close() {
            // the caller closes the stream below
        }
    }

    /** Hashes what is written through it; closing it flushes and leaves the stream below open. */
    private static final class HashingOutput extends FilterOutputStream {
        private final MessageDigest md;

        HashingOutput(OutputStream out, MessageDigest md) {
            super(out);
            this.md = md;
        }

        @Override
        public void write(int b) throws IOException {
            md.update((byte) b);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            md.update(b, off, len);
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Each thread's two 1 MB native buffers for the direct paths (original and compressed bytes). */
    private static final class Buffers {
        private static final ThreadLocal<Buffers> MINE = ThreadLocal.withInitial(Buffers::new);
        final ByteBuffer original = ByteBuffer.allocateDirect(CHUNK);
        final ByteBuffer compressed = ByteBuffer.allocateDirect(CHUNK);

        static Buffers get() {
            return MINE.get();
        }
    }

    /** Reads a whole stored file and returns the original bytes, verified against the header. */
    static byte[] read(InputStream in, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        copy(in, name, out);
        return out.toByteArray();
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha256(byte[] data) {
        return digest().digest(data);
    }

    /** {@code out} behind a stream whose close only flushes. */
    static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
