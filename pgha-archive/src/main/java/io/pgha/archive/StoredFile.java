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
    ByteArrayOutputStream head = new ByteArrayOutputStream(HEADER);
    head.write(MAGIC);
    head.write(c.id);
    long n = original.length;
    for (int i = 7; i >= 0; i--) head.write((int) (n >>> (8 * i)));
    head.write(sha256);
    out.write(head.toByteArray());
    OutputStream z = c.compress(nonClosing(out));
    z.write(original);
    z.close();
  }

  static Header readHeader(InputStream in, String name) throws IOException {
    DataInputStream d = new DataInputStream(in);
    byte[] magic = new byte[MAGIC.length];
    try {
      d.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) throw new CorruptFileException(name, "not a pgha archive file (bad magic)");
      Compression c = Compression.ofId(d.readUnsignedByte());
      long length = d.readLong();
      byte[] sha = new byte[32];
      d.readFully(sha);
      return new Header(c, length, sha);
    } catch (java.io.EOFException e) {
      throw new CorruptFileException(name, "truncated header");
    }
  }

  /** Reads a whole stored file and returns the original bytes, verified against the header. */
  static byte[] read(InputStream in, String name) throws IOException {
    Header h = readHeader(in, name);
    if (h.length() > Integer.MAX_VALUE - 16) throw new CorruptFileException(name, "length " + h.length() + " is out of range");
    byte[] out;
    try (InputStream z = h.compression().decompress(in)) {
      out = z.readNBytes((int) h.length() + 1);
    } catch (IOException e) {
      if (e instanceof CorruptFileException) throw e;
      throw new CorruptFileException(name, "cannot decompress (" + h.compression().label() + "): " + e.getMessage());
    }
    if (out.length != h.length()) throw new CorruptFileException(name, "holds " + out.length + " bytes, its header says " + h.length());
    if (!h.sameContent(sha256(out))) throw new CorruptFileException(name, "checksum mismatch: the stored bytes are not what was archived");
    return out;
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
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
