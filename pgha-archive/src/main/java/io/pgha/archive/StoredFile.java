package io.pgha.archive;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The format of every file in a repository: a header (magic, compression, original length, SHA-256
 * of the original bytes) and the compressed payload. Every read recomputes the checksum of what it
 * decompressed and fails, naming the file, when it differs: the archive never hands out bytes it
 * did not store.
 */
public final class StoredFile {
    static final byte[] MAGIC = "PGHAARC1".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER = MAGIC.length + 1 + 8 + 32;

    /** The header of a stored file: what it claims to hold. */
    public record Header(Compression compression, long length, byte[] sha256) {
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
        out.write(headerBytes(new Header(c, original.length, sha256)));
        OutputStream z = c.compress(nonClosing(out));
        z.write(original);
        z.close();
    }

    public static Header readHeader(InputStream in, String name) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] magic = new byte[MAGIC.length];
        try {
            d.readFully(magic);
            if (!Arrays.equals(magic, MAGIC))
                throw new CorruptFileException(name, "not a pgha archive file (bad magic)");
            Compression c = Compression.ofId(d.readUnsignedByte());
            long length = d.readLong();
            byte[] sha = new byte[32];
            d.readFully(sha);
            return new Header(c, length, sha);
        } catch (java.io.EOFException e) {
            throw new CorruptFileException(name, "truncated header");
        }
    }

    /**
     * Streams {@code original} into {@code file} in stored form: a placeholder header, the compressed
     * payload while hashing it, then the real header written over the placeholder. Returns the header.
     */
    public static Header write(InputStream original, Compression c, Repository.NewFile file) throws IOException {
        MessageDigest md = digest();
        OutputStream out = file.out();
        out.write(new byte[HEADER]);
        long n = 0;
        OutputStream z = c.compress(nonClosing(out));
        byte[] buf = new byte[1 << 16];
        for (int r; (r = original.read(buf)) > 0; ) {
            md.update(buf, 0, r);
            z.write(buf, 0, r);
            n += r;
        }
        z.close();
        Header h = new Header(c, n, md.digest());
        file.writeAt(0, headerBytes(h));
        return h;
    }

    static byte[] headerBytes(Header h) {
        ByteArrayOutputStream head = new ByteArrayOutputStream(HEADER);
        head.writeBytes(MAGIC);
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
        Header h = readHeader(in, name);
        MessageDigest md = digest();
        long n = 0;
        try (InputStream z = h.compression().decompress(in)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = z.read(buf)) > 0; ) {
                md.update(buf, 0, r);
                dest.write(buf, 0, r);
                n += r;
                if (n > h.length()) break;
            }
        } catch (IOException e) {
            if (e instanceof CorruptFileException) throw e;
            throw new CorruptFileException(
                    name, "cannot decompress (" + h.compression().label() + "): " + e.getMessage());
        }
        if (n != h.length())
            throw new CorruptFileException(
                    name,
                    "holds " + (n > h.length() ? "more than " + h.length() : n) + " bytes, its header says "
                            + h.length());
        if (!h.sameContent(md.digest()))
            throw new CorruptFileException(name, "checksum mismatch: the stored bytes are not what was archived");
        return h;
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

    private static OutputStream nonClosing(OutputStream out) {
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
