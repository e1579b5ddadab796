package io.pgha.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.testkit.SftpServer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository contract on a real SFTP server on loopback (Apache MINA SSHD, key login, host key
 * checked against known_hosts), and the same contract on a directory, so both behave alike.
 */
class SftpRepositoryTest {
    @TempDir
    static Path tmp;

    static SftpServer server;

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(tmp.resolve("served/repo"));
        server = SftpServer.start(tmp.resolve("served"), tmp.resolve("keys"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) server.close();
    }

    private static Repository sftp() throws Exception {
        return new RepositoryLocation(server.uri("/repo"), server.clientKey(), server.knownHosts()).open();
    }

    private static void contract(Repository r, Path onDisk) throws Exception {
        byte[] a = "first".getBytes(StandardCharsets.UTF_8);
        assertThat(r.open("x/one")).isNull();
        assertThat(r.create("x/one", a)).isTrue();
        assertThat(r.create("x/one", "second".getBytes(StandardCharsets.UTF_8)))
                .as("never replaces")
                .isFalse();
        try (InputStream in = r.open("x/one")) {
            assertThat(in.readAllBytes()).isEqualTo(a);
        }
        try (Repository.NewFile f = r.create("x/two")) {
            f.out().write(new byte[] {0, 0, 3, 4});
            f.writeAt(0, new byte[] {1, 2});
            // not committed: discarded on close
        }
        assertThat(r.open("x/two")).isNull();
        try (Repository.NewFile f = r.create("x/deep/three")) {
            f.out().write(new byte[] {0, 0, 3, 4});
            f.writeAt(0, new byte[] {1, 2});
            assertThat(f.size()).isEqualTo(4);
            assertThat(f.commit()).isTrue();
        }
        try (InputStream in = r.open("x/deep/three")) {
            assertThat(in.readAllBytes()).isEqualTo(new byte[] {1, 2, 3, 4});
        }
        assertThat(r.list("x")).containsExactly("x/deep/three", "x/one");
        assertThat(r.list("nothing")).isEmpty();
        try (var files = Files.walk(onDisk)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("."))
                            .toList())
                    .as("no temporary files left")
                    .isEmpty();
        }
        assertThat(r.delete("x/one")).isTrue();
        assertThat(r.delete("x/one")).isFalse();
        assertThat(r.list("x")).containsExactly("x/deep/three");
    }

    @Test
    void sftpAndDirectoryRepositoriesKeepTheSameContract() throws Exception {
        try (Repository r = sftp()) {
            contract(r, tmp.resolve("served/repo"));
        }
        Path dir = Files.createDirectories(tmp.resolve("dir-repo"));
        contract(new DirectoryRepository(dir), dir);
    }

    @Test
    void walGoesThroughSftpCompressedAndVerified() throws Exception {
        byte[] seg = new byte[1 << 20];
        new Random(7).nextBytes(seg);
        Path p = Files.createDirectories(tmp.resolve("pg_wal")).resolve("000000010000000000000007");
        Files.write(p, seg);
        try (Repository r = sftp()) {
            WalArchive a = new WalArchive(r, Compression.LZ4);
            assertThat(a.push(p)).isEqualTo(WalArchive.PushResult.STORED);
            assertThat(a.push(p)).isEqualTo(WalArchive.PushResult.ALREADY_ARCHIVED);
            Path dest = tmp.resolve("restored");
            assertThat(a.get("000000010000000000000007", dest)).isEqualTo(WalArchive.GetResult.RESTORED);
            assertThat(Files.readAllBytes(dest)).isEqualTo(seg);
            assertThat(a.get("000000010000000000000008", dest)).isEqualTo(WalArchive.GetResult.MISSING);
            seg[5] ^= 1;
            Files.write(p, seg);
            assertThatThrownBy(() -> a.push(p)).isInstanceOf(ArchiveConflictException.class);
        }
        assertThat(tmp.resolve("served/repo/wal/000000010000000000000007")).exists();
    }

    @Test
    void backupFilesGoThroughSftpOnTheDirectPathAndAreVerified() throws Exception {
        byte[] data = new byte[(2 << 20) + 5];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i % 251 < 200 ? 'x' : i * 31);
        Path original = Files.write(tmp.resolve("relation"), data);
        try (Repository r = sftp()) {
            StoredFile.Header h;
            try (Repository.NewFile f = r.create("backup/L/data/base/1/1259");
                    java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(original)) {
                h = StoredFile.writeChecked(in, Compression.ZSTD, f, n -> {}); // through the default channel()
                assertThat(f.commit()).isTrue();
            }
            assertThat(h.ofPayload()).isTrue();
            Path dest = tmp.resolve("relation-restored");
            try (InputStream in = r.open("backup/L/data/base/1/1259");
                    java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(
                            dest,
                            java.nio.file.StandardOpenOption.CREATE_NEW,
                            java.nio.file.StandardOpenOption.WRITE)) {
                assertThat(StoredFile.copy(in, "backup/L/data/base/1/1259", out, n -> {})
                                .length())
                        .isEqualTo(data.length);
            }
            assertThat(Files.readAllBytes(dest)).isEqualTo(data);
        }
    }

    @Test
    void loginAndHostKeyFailuresAreClearAndNotMissing() throws Exception {
        assertThatThrownBy(() ->
                        new RepositoryLocation(server.uri("/repo"), server.unknownKey(), server.knownHosts()).open())
                .isInstanceOf(RepositoryUnavailableException.class)
                .hasMessageContaining("login as backup")
                .hasMessageContaining("failed");
        Path emptyKnownHosts = Files.writeString(tmp.resolve("empty_known_hosts"), "");
        assertThatThrownBy(
                        () -> new RepositoryLocation(server.uri("/repo"), server.clientKey(), emptyKnownHosts).open())
                .isInstanceOf(RepositoryUnavailableException.class)
                .hasMessageContaining("host key");
        assertThatThrownBy(() -> new RepositoryLocation(
                                server.uri("/no-such-dir"), server.clientKey(), server.knownHosts())
                        .open())
                .isInstanceOf(RepositoryUnavailableException.class)
                .hasMessageContaining("/no-such-dir");
        int closedPort;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        assertThatThrownBy(() -> new RepositoryLocation(
                                "sftp://backup@127.0.0.1:" + closedPort + "/repo",
                                server.clientKey(),
                                server.knownHosts())
                        .open())
                .isInstanceOf(RepositoryUnavailableException.class)
                .hasMessageContaining("unreachable");
        assertThatThrownBy(() -> RepositoryLocation.of("sftp://127.0.0.1/repo").validate())
                .hasMessageContaining("give a user name");
        assertThatThrownBy(() -> RepositoryLocation.of("s3://bucket/x").validate())
                .hasMessageContaining("only directories");
        assertThatThrownBy(() -> RepositoryLocation.of("relative/dir").validate())
                .hasMessageContaining("absolute");
    }
}
