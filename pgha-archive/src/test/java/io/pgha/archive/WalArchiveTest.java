package io.pgha.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The archive_command / restore_command contract on a directory repository. */
class WalArchiveTest {
    private static final String SEG = "000000010000000000000003";

    @TempDir
    Path tmp;

    private Path segment(String name, long seed) throws Exception {
        byte[] b = new byte[256 * 1024];
        byte[] written = new byte[96 * 1024];
        new Random(seed).nextBytes(written);
        System.arraycopy(written, 0, b, 0, written.length); // the rest stays zero, as in a fresh segment
        Path p = tmp.resolve("pg_wal").resolve(name);
        Files.createDirectories(p.getParent());
        return Files.write(p, b);
    }

    private WalArchive archive(Compression c) throws Exception {
        return new WalArchive(new DirectoryRepository(Files.createDirectories(tmp.resolve("repo"))), c);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void whatIsPushedComesBackByteForByte(Compression c) throws Exception {
        WalArchive a = archive(c);
        Path seg = segment(SEG, 1);
        assertThat(a.push(seg)).isEqualTo(WalArchive.PushResult.STORED);
        Path dest = tmp.resolve("restored");
        assertThat(a.get(SEG, dest)).isEqualTo(WalArchive.GetResult.RESTORED);
        assertThat(Files.readAllBytes(dest)).isEqualTo(Files.readAllBytes(seg));
        long stored = Files.size(tmp.resolve("repo/wal/" + SEG));
        if (c != Compression.NONE) assertThat(stored).as("compressed").isLessThan(Files.size(seg));
    }

    private static String mode(Path p) throws Exception {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void archivedRestoredAndPrefetchedFilesAreOwnerOnlyFromTheStartUnlessTheRepositoryIsGroupReadable()
            throws Exception {
        WalArchive a = archive(Compression.ZSTD);
        Path seg = segment(SEG, 1);
        Path next = segment("000000010000000000000004", 2);
        a.push(seg);
        a.push(next);
        assertThat(mode(tmp.resolve("repo/wal"))).isEqualTo("rwx------");
        assertThat(mode(tmp.resolve("repo/wal/" + SEG))).isEqualTo("rw-------");
        Path spool = tmp.resolve("spool");
        AsyncArchive async = new AsyncArchive(a, new Spool(spool), 2);
        Path dest = tmp.resolve("restored");
        assertThat(async.get(SEG, dest, 1)).isEqualTo(WalArchive.GetResult.RESTORED);
        assertThat(mode(dest)).isEqualTo("rw-------");
        assertThat(mode(spool)).isEqualTo("rwx------");
        assertThat(mode(spool.resolve("prefetched"))).isEqualTo("rwx------");
        assertThat(mode(spool.resolve("prefetched/000000010000000000000004"))).isEqualTo("rw-------");
        new Spool(spool).markPushed(seg);
        assertThat(mode(spool.resolve("pushed"))).isEqualTo("rwx------");
        assertThat(mode(spool.resolve("pushed/" + SEG))).isEqualTo("rw-------");

        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        new WalArchive(new DirectoryRepository(shared), Compression.ZSTD).push(seg);
        assertThat(mode(shared.resolve("wal"))).isEqualTo("rwxr-x---");
        assertThat(mode(shared.resolve("wal/" + SEG))).isEqualTo("rw-r-----");
    }

    @Test
    void pushingTheSameBytesAgainSucceedsAndDifferentBytesAreRefusedWithoutOverwriting() throws Exception {
        WalArchive a = archive(Compression.ZSTD);
        Path seg = segment(SEG, 1);
        a.push(seg);
        byte[] stored = Files.readAllBytes(tmp.resolve("repo/wal/" + SEG));
        assertThat(a.push(seg))
                .as("PostgreSQL retries after a crash")
                .isEqualTo(WalArchive.PushResult.ALREADY_ARCHIVED);
        Path other = segment(SEG, 2);
        assertThatThrownBy(() -> a.push(other))
                .isInstanceOf(ArchiveConflictException.class)
                .hasMessageContaining(SEG)
                .hasMessageContaining("different content")
                .hasMessageContaining("refusing to overwrite");
        assertThat(Files.readAllBytes(tmp.resolve("repo/wal/" + SEG)))
                .as("never overwritten")
                .isEqualTo(stored);
    }

    @Test
    void aMissingFileIsMissingAndAMissingRepositoryIsAnError() throws Exception {
        WalArchive a = archive(Compression.ZSTD);
        Path dest = tmp.resolve("restored");
        assertThat(a.get(SEG, dest)).isEqualTo(WalArchive.GetResult.MISSING);
        assertThat(dest).doesNotExist();
        WalArchive gone = new WalArchive(new DirectoryRepository(tmp.resolve("no-such-repo")), Compression.ZSTD);
        assertThatThrownBy(() -> gone.get(SEG, dest))
                .isInstanceOf(RepositoryUnavailableException.class)
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> gone.push(segment(SEG, 1))).isInstanceOf(RepositoryUnavailableException.class);
    }

    @Test
    void aCorruptedStoredFileIsDetectedOnReadAndNamed() throws Exception {
        WalArchive a = archive(Compression.NONE);
        a.push(segment(SEG, 1));
        try (RandomAccessFile f =
                new RandomAccessFile(tmp.resolve("repo/wal/" + SEG).toFile(), "rw")) {
            f.seek(StoredFile.HEADER + 1000);
            f.write(f.read() ^ 0x40);
        }
        Path dest = tmp.resolve("restored");
        assertThatThrownBy(() -> a.get(SEG, dest))
                .isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("wal/" + SEG)
                .hasMessageContaining("checksum mismatch");
        assertThat(dest).as("nothing handed to PostgreSQL").doesNotExist();
        Files.write(tmp.resolve("repo/wal/000000010000000000000004"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> a.get("000000010000000000000004", dest))
                .isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("truncated header");
        Files.write(tmp.resolve("repo/wal/000000010000000000000005"), new byte[100]);
        assertThatThrownBy(() -> a.get("000000010000000000000005", dest))
                .isInstanceOf(CorruptFileException.class)
                .hasMessageContaining("bad magic");
    }

    @Test
    void onlyWalFileNamesAreAccepted() {
        assertThatThrownBy(() -> WalArchive.key("../../etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not the name of a WAL");
        assertThat(WalArchive.key("00000002.history")).isEqualTo("wal/00000002.history");
        assertThat(WalArchive.key("000000010000000000000003.partial"))
                .isEqualTo("wal/000000010000000000000003.partial");
        assertThat(WalArchive.key("000000010000000000000003.00000028.backup"))
                .isEqualTo("wal/000000010000000000000003.00000028.backup");
        assertThatThrownBy(() -> Compression.parse("gzip")).hasMessageContaining("not one of zstd, lz4, none");
    }

    @Test
    void aSegmentPastTheSwitchPointOfANewerTimelineIsRefused() throws Exception {
        WalArchive a = archive(Compression.LZ4);
        Path hist = tmp.resolve("pg_wal/00000002.history");
        Files.createDirectories(hist.getParent());
        Files.writeString(hist, "1\t0/2800000\tno recovery target specified\n");
        assertThat(a.push(hist)).isEqualTo(WalArchive.PushResult.STORED);
        byte[] mb = new byte[1 << 20];
        Path before = Files.write(tmp.resolve("pg_wal/000000010000000000000027"), mb);
        assertThat(a.push(before)).as("ends exactly at the switch point").isEqualTo(WalArchive.PushResult.STORED);
        for (String n : new String[] {"000000010000000000000028", "000000010000000000000029"}) {
            Path seg = Files.write(tmp.resolve("pg_wal/" + n), mb);
            assertThatThrownBy(() -> a.push(seg))
                    .isInstanceOf(ArchiveConflictException.class)
                    .hasMessageContaining("timeline 1 past its end at 0/2800000")
                    .hasMessageContaining("deposed primary");
            assertThat(tmp.resolve("repo/wal/" + n)).doesNotExist();
        }
        Path partial = Files.write(tmp.resolve("pg_wal/000000010000000000000028.partial"), mb);
        assertThat(a.push(partial)).as("the new primary's partial segment").isEqualTo(WalArchive.PushResult.STORED);
        Path next = Files.write(tmp.resolve("pg_wal/000000020000000000000028"), mb);
        assertThat(a.push(next)).as("the new timeline").isEqualTo(WalArchive.PushResult.STORED);
    }
}
