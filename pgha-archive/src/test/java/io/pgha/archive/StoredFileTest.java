package io.pgha.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The stored form of backup files (format 2: the SHA-256 covers the payload, the codec's frame
 * checks the original bytes), written and read on both paths (streams, and channels with native
 * buffers), and every way of breaking a stored file that a reader must catch: a flipped byte, a
 * truncated payload, a frame whose own checksum is wrong or absent although the SHA-256 was made to
 * match, bytes after the frame, a file from a newer pgha. Format-1 files (WAL, older backups) still
 * read on the new paths.
 */
class StoredFileTest {
    @TempDir
    Path tmp;

    /** Sizes around the 1 MB steps of the direct paths, empty and small. */
    private static final int[] SIZES = {0, 1, 8192, (1 << 20) - 1, 1 << 20, (3 << 20) + 12345};

    /** Half compressible (like a table), half random (like a compressed column). */
    private static byte[] data(int size, long seed) {
        byte[] b = new byte[size];
        Random r = new Random(seed);
        for (int i = 0; i < size; i++)
            b[i] = (i / 4096) % 2 == 0 ? (byte) ("row " + (i % 97)).charAt(i % 4) : (byte) r.nextInt();
        return b;
    }

    private Path original(byte[] bytes) throws IOException {
        Path p = tmp.resolve("original-" + bytes.length);
        Files.write(p, bytes);
        return p;
    }

    private DirectoryRepository repo() throws IOException {
        Path root = tmp.resolve("repo");
        Files.createDirectories(root);
        return new DirectoryRepository(root);
    }

    private StoredFile.Header store(Repository repo, String key, byte[] bytes, Compression c, boolean fromChannel)
            throws IOException {
        AtomicLong counted = new AtomicLong();
        StoredFile.Header h;
        try (Repository.NewFile f = repo.create(key)) {
            if (fromChannel) {
                try (FileChannel in = FileChannel.open(original(bytes), StandardOpenOption.READ)) {
                    h = StoredFile.writeChecked(in, c, f, counted::addAndGet);
                }
            } else {
                h = StoredFile.writeChecked(new ByteArrayInputStream(bytes), c, f, counted::addAndGet);
            }
            assertThat(f.commit()).isTrue();
        }
        assertThat(counted).as("progress counts the original bytes").hasValue(bytes.length);
        assertThat(h.ofPayload()).isTrue();
        assertThat(h.length()).isEqualTo(bytes.length);
        return h;
    }

    private byte[] readByStream(Repository repo, String key) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = repo.open(key)) {
            StoredFile.copy(in, key, out);
        }
        return out.toByteArray();
    }

    private byte[] readByChannel(Repository repo, String key) throws IOException {
        Path dest = tmp.resolve("restored-" + System.nanoTime());
        AtomicLong counted = new AtomicLong();
        try (InputStream in = repo.open(key);
                FileChannel ch = FileChannel.open(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            StoredFile.copy(in, key, ch, counted::addAndGet);
        }
        byte[] b = Files.readAllBytes(dest);
        assertThat(counted).as("progress counts the restored bytes").hasValue(b.length);
        return b;
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void everySizeRoundTripsOnEveryPathWithEveryCompression(Compression c) throws Exception {
        DirectoryRepository repo = repo();
        for (int size : SIZES) {
            byte[] bytes = data(size, size);
            for (boolean fromChannel : new boolean[] {true, false}) {
                String key = "backup/L/data/" + c.label() + "-" + size + "-" + fromChannel;
                StoredFile.Header h = store(repo, key, bytes, c, fromChannel);
                byte[] stored = Files.readAllBytes(repo.root().resolve(key));
                assertThat(Arrays.copyOf(stored, 8)).isEqualTo(StoredFile.MAGIC_PAYLOAD);
                assertThat(h.sha256())
                        .as("the checksum is the payload's")
                        .isEqualTo(StoredFile.sha256(Arrays.copyOfRange(stored, StoredFile.HEADER, stored.length)));
                assertThat(readByStream(repo, key)).as(key).isEqualTo(bytes);
                assertThat(readByChannel(repo, key)).as(key).isEqualTo(bytes);
            }
        }
    }

    @Test
    void formatOneFilesStillReadOnTheNewPaths() throws Exception {
        DirectoryRepository repo = repo();
        for (Compression c : Compression.values()) {
            byte[] bytes = data((2 << 20) + 7, 3);
            String key = "backup/OLD/data/" + c.label();
            StoredFile.Header h;
            try (Repository.NewFile f = repo.create(key)) {
                h = StoredFile.write(new ByteArrayInputStream(bytes), c, f);
                assertThat(f.commit()).isTrue();
            }
            assertThat(h.ofPayload()).isFalse();
            assertThat(h.sha256()).as("format 1: of the original").isEqualTo(StoredFile.sha256(bytes));
            assertThat(readByChannel(repo, key)).isEqualTo(bytes);
            assertThat(readByStream(repo, key)).isEqualTo(bytes);
        }
    }

    /** Rewrites a stored file with {@code payload} and a header whose SHA-256 matches it. */
    private static void forge(Path file, byte[] payload) throws IOException {
        byte[] stored = Files.readAllBytes(file);
        StoredFile.Header h;
        try (InputStream in = new ByteArrayInputStream(stored)) {
            h = StoredFile.readHeader(in, "x");
        }
        byte[] header = StoredFile.headerBytes(
                new StoredFile.Header(h.compression(), h.length(), StoredFile.sha256(payload), true));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header);
        out.writeBytes(payload);
        Files.write(file, out.toByteArray());
    }

    private static byte[] payload(Path file) throws IOException {
        byte[] stored = Files.readAllBytes(file);
        return Arrays.copyOfRange(stored, StoredFile.HEADER, stored.length);
    }

    private void assertBothPathsRefuse(Repository repo, String key, String why) {
        assertThatThrownBy(() -> readByStream(repo, key))
                .as("stream path, " + key)
                .isInstanceOf(CorruptFileException.class)
                .hasMessageContaining(key)
                .hasMessageContaining(why);
        assertThatThrownBy(() -> readByChannel(repo, key))
                .as("channel path, " + key)
                .isInstanceOf(CorruptFileException.class)
                .hasMessageContaining(key)
                .hasMessageContaining(why);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void aFlippedByteAnywhereInThePayloadIsFound(Compression c) throws Exception {
        DirectoryRepository repo = repo();
        byte[] bytes = data((1 << 20) + 100, 5);
        String key = "backup/L/data/flip-" + c.label();
        store(repo, key, bytes, c, true);
        Path file = repo.root().resolve(key);
        byte[] good = Files.readAllBytes(file);
        for (int at : new int[] {StoredFile.HEADER, StoredFile.HEADER + 4, good.length / 2, good.length - 1}) {
            byte[] bad = good.clone();
            bad[at] ^= 0x10;
            Files.write(file, bad);
            assertThatThrownBy(() -> readByStream(repo, key))
                    .as("byte " + at)
                    .isInstanceOf(CorruptFileException.class)
                    .hasMessageContaining(key);
            assertThatThrownBy(() -> readByChannel(repo, key))
                    .as("byte " + at)
                    .isInstanceOf(CorruptFileException.class)
                    .hasMessageContaining(key);
        }
        Files.write(file, Arrays.copyOf(good, good.length - 3));
        assertBothPathsRefuse(repo, key, c == Compression.NONE ? "holds" : "");
    }

    @Test
    void aWrongFrameChecksumIsFoundEvenWhenThePayloadsSha256WasMadeToMatch() throws Exception {
        DirectoryRepository repo = repo();
        byte[] bytes = data(300_000, 7);
        for (Compression c : new Compression[] {Compression.ZSTD, Compression.LZ4}) {
            String key = "backup/L/data/frame-" + c.label();
            store(repo, key, bytes, c, true);
            Path file = repo.root().resolve(key);
            byte[] p = payload(file);
            p[p.length - 1] ^= 0x01; // both frames end with their checksum of the original bytes
            forge(file, p);
            assertBothPathsRefuse(repo, key, "cannot decompress");
        }
    }

    @Test
    void aFrameWithoutItsChecksumIsRefused() throws Exception {
        DirectoryRepository repo = repo();
        byte[] bytes = data(100_000, 9);
        String key = "backup/L/data/no-checksum";
        store(repo, key, bytes, Compression.ZSTD, true);
        Path file = repo.root().resolve(key);
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        try (var z = Compression.ZSTD.compress(plain)) { // format 1's frame: no checksum
            z.write(bytes);
        }
        forge(file, plain.toByteArray());
        assertBothPathsRefuse(repo, key, "has no checksum of the original bytes");
        forge(file, new byte[] {1, 2, 3, 4, 5, 6});
        assertBothPathsRefuse(repo, key, "is not a zstd frame");
    }

    @Test
    void aTruncatedFrameAndBytesAfterTheFrameAreRefusedEvenWithAMatchingSha256() throws Exception {
        DirectoryRepository repo = repo();
        byte[] bytes = data((2 << 20) + 1, 11);
        String key = "backup/L/data/cut";
        store(repo, key, bytes, Compression.ZSTD, true);
        Path file = repo.root().resolve(key);
        byte[] p = payload(file);
        forge(file, Arrays.copyOf(p, p.length / 2));
        assertThatThrownBy(() -> readByChannel(repo, key))
                .isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> readByStream(repo, key)).isInstanceOf(CorruptFileException.class);
        byte[] longer = Arrays.copyOf(p, p.length + 3);
        forge(file, longer);
        assertThatThrownBy(() -> readByChannel(repo, key))
                .isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("after its compressed data");
        assertThatThrownBy(() -> readByStream(repo, key)).isInstanceOf(CorruptFileException.class);
    }

    @Test
    void aFileOfANewerFormatIsNamedAsSuch() throws Exception {
        DirectoryRepository repo = repo();
        String key = "backup/L/data/new";
        store(repo, key, data(1000, 1), Compression.ZSTD, true);
        Path file = repo.root().resolve(key);
        byte[] stored = Files.readAllBytes(file);
        stored[7] = '3';
        Files.write(file, stored);
        assertBothPathsRefuse(repo, key, "written by a newer pgha (format 3)");
    }
}
