package io.pgha.archive;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Just enough of ustar to read the stream pg_basebackup writes ({@code -F t -D -}). */
final class Tar {
    private Tar() {}

    record Entry(String name, char type, long size, int mode) {}

    static final class Reader {
        private final InputStream in;
        private long remaining;
        private long padding;

        Reader(InputStream in) {
            this.in = in;
        }

        /** The next entry, or null at the end of the archive. Skips what was not read of the previous one. */
        Entry next() throws IOException {
            skip(remaining + padding);
            remaining = 0;
            padding = 0;
            byte[] h = new byte[512];
            if (!readBlock(h)) return null;
            boolean zero = true;
            for (byte b : h)
                if (b != 0) {
                    zero = false;
                    break;
                }
            if (zero) return null;
            long sum = 0;
            for (int i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
            if (sum != octal(h, 148, 8)) throw new IOException("tar stream: bad header checksum");
            String name = text(h, 0, 100);
            String prefix = text(h, 345, 155);
            if (!prefix.isEmpty()) name = prefix + "/" + name;
            long size = octal(h, 124, 12);
            int mode = (int) (octal(h, 100, 8) & 07777);
            char type = (char) h[156];
            long dataSize = type == '5' || type == '2' || type == '1' ? 0 : size; // directories and links carry no data
            remaining = dataSize;
            padding = (512 - (dataSize % 512)) % 512;
            return new Entry(name, type, size, mode);
        }

        /** The content of the current entry; reading past it returns end of stream. */
        InputStream content() {
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    if (remaining <= 0) return -1;
                    int b = in.read();
                    if (b < 0) throw new EOFException("tar stream ended inside a file");
                    remaining--;
                    return b;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (remaining <= 0) return -1;
                    int n = in.read(b, off, (int) Math.min(len, remaining));
                    if (n < 0) throw new EOFException("tar stream ended inside a file");
                    remaining -= n;
                    return n;
                }
            };
        }

        private boolean readBlock(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                int n = in.read(b, off, b.length - off);
                if (n < 0) {
                    if (off == 0) return false;
                    throw new EOFException("tar stream ended inside a header");
                }
                off += n;
            }
            return true;
        }

        private void skip(long n) throws IOException {
            while (n > 0) {
                long s = in.skip(n);
                if (s <= 0) {
                    if (in.read() < 0) throw new EOFException("tar stream ended inside a file");
                    s = 1;
                }
                n -= s;
            }
        }
    }

    private static String text(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) end++;
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int off, int len) throws IOException {
        if ((h[off] & 0x80) != 0) { // base-256 for large sizes
            long v = h[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) v = (v << 8) | (h[i] & 0xff);
            return v;
        }
        String s = text(h, off, len).trim();
        if (s.isEmpty()) return 0;
        try {
            return Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException("tar stream: bad number '" + s + "'");
        }
    }
}
