package io.pgha.archive;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;

/** How a stored file's payload is compressed; the id is written into every stored file. */
public enum Compression {
    NONE(0),
    ZSTD(1),
    LZ4(2);

    final int id;

    Compression(int id) {
        this.id = id;
    }

    static Compression ofId(int id) throws IOException {
        for (Compression c : values()) if (c.id == id) return c;
        throw new IOException("unknown compression id " + id);
    }

    /** Parses {@code zstd}, {@code lz4} or {@code none}; the error names the accepted values. */
    public static Compression parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("compression '" + text + "' is not one of zstd, lz4, none");
        }
    }

    OutputStream compress(OutputStream out) throws IOException {
        return switch (this) {
            case NONE -> out;
            case ZSTD -> new ZstdOutputStream(out, 3);
            case LZ4 -> new LZ4FrameOutputStream(out);
        };
    }

    InputStream decompress(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            case ZSTD -> new ZstdInputStream(in);
            case LZ4 -> new LZ4FrameInputStream(in);
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
