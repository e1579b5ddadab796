package io.pgha.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Files written, read and removed as a root-run agent does in directories another user owns. */
class GuardedDirectoryTest {
    private Path dir;
    private Path outside;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("pgha-guarded");
        outside = Files.createTempDirectory("pgha-outside");
    }

    @AfterEach
    void tearDown() throws IOException {
        Directories.delete(dir);
        Directories.delete(outside);
    }

    private Path victim(String name) throws IOException {
        Path v = outside.resolve(name);
        Files.writeString(v, "precious\n");
        Files.setPosixFilePermissions(v, PosixFilePermissions.fromString("rw-r--r--"));
        return v;
    }

    @Test
    void writesAFileWithMode0600ThatReplacesALinkInsteadOfFollowingIt() throws IOException {
        Path v = victim("passwd");
        Files.createSymbolicLink(dir.resolve("pgha.conf"), v);
        try (GuardedDirectory d = GuardedDirectory.open(dir, null)) {
            d.write("pgha.conf", "port = 5432\n");
        }
        assertThat(Files.isSymbolicLink(dir.resolve("pgha.conf"))).isFalse();
        assertThat(Files.readString(dir.resolve("pgha.conf"))).isEqualTo("port = 5432\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("pgha.conf"))))
                .isEqualTo("rw-------");
        assertThat(Files.readString(v)).isEqualTo("precious\n");
        try (var names = Files.list(dir)) {
            assertThat(names.map(p -> p.getFileName().toString()).toList()).containsExactly("pgha.conf");
        }
    }

    @Test
    void anUnchangedFileIsLeftAloneAndAChangedOneOrALinkIsReplaced() throws IOException {
        Path f = dir.resolve("pgha.conf");
        try (GuardedDirectory d = GuardedDirectory.open(dir, null)) {
            assertThat(d.writeIfChanged("pgha.conf", "port = 5432\n")).as("new").isTrue();
            Object inode = Files.getAttribute(f, "unix:ino");
            assertThat(d.writeIfChanged("pgha.conf", "port = 5432\n"))
                    .as("same")
                    .isFalse();
            assertThat(Files.getAttribute(f, "unix:ino")).as("not rewritten").isEqualTo(inode);
            assertThat(d.writeIfChanged("pgha.conf", "port = 5433\n"))
                    .as("changed")
                    .isTrue();
            assertThat(Files.readString(f)).isEqualTo("port = 5433\n");
            assertThat(d.writeIfChanged("pgha.conf", "port = 54\n"))
                    .as("shorter")
                    .isTrue();
            assertThat(Files.readString(f)).isEqualTo("port = 54\n");
            Files.delete(f);
            Path v = victim("passwd");
            Files.writeString(v, "port = 54\n");
            Files.createSymbolicLink(f, v);
            assertThat(d.writeIfChanged("pgha.conf", "port = 54\n"))
                    .as("a link to a file with the same content is replaced, not trusted")
                    .isTrue();
            assertThat(Files.isSymbolicLink(f)).isFalse();
        }
    }

    @Test
    void refusesToReadThroughALinkAndDoesNotBlockOnAFifo() throws Exception {
        Files.createSymbolicLink(dir.resolve("postgresql.conf"), victim("shadow"));
        new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start().waitFor(10, TimeUnit.SECONDS);
        try (GuardedDirectory d = GuardedDirectory.open(dir, null)) {
            assertThatThrownBy(() -> d.read("postgresql.conf", 1 << 20)).hasMessageContaining("symbolic link");
            assertThat(d.read("absent", 1 << 20)).isEmpty();
            assertThat(readWithin(d, "fifo")).isEqualTo("");
        }
    }

    @Timeout(10)
    private static String readWithin(GuardedDirectory d, String name) throws IOException {
        return d.read(name, 1 << 20).orElseThrow();
    }

    @Test
    void deletingATreeRemovesLinksButNothingTheyPointTo() throws IOException {
        Path v = victim("keep");
        Files.createDirectories(dir.resolve("data/base/1"));
        Files.writeString(dir.resolve("data/base/1/file"), "x");
        Files.createSymbolicLink(dir.resolve("data/base/etc"), outside);
        Files.createSymbolicLink(dir.resolve("data/base/1/link"), v);
        Directories.delete(dir.resolve("data"));
        assertThat(dir.resolve("data")).doesNotExist();
        assertThat(Files.readString(v)).isEqualTo("precious\n");
        // a data directory that is itself a link: the link goes, the directory it names stays
        Files.createSymbolicLink(dir.resolve("data"), outside);
        Directories.delete(dir.resolve("data"));
        assertThat(Files.exists(dir.resolve("data"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readString(v)).isEqualTo("precious\n");
    }

    @Test
    void aDirectoryCannotBeCreatedOrEnteredThroughALink() throws IOException {
        Files.createSymbolicLink(dir.resolve("data"), outside);
        try (GuardedDirectory d = GuardedDirectory.open(dir, null)) {
            assertThatThrownBy(() -> d.ensureDirectory("data", 0700)).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> d.sub("data")).hasMessageContaining("symbolic link");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)))
                .isEqualTo("rwx------");
    }

    @Test
    void newDirectoriesHaveTheirModeFromTheStart() throws IOException {
        try (GuardedDirectory d = GuardedDirectory.open(dir, null)) {
            d.ensureDirectory("data", 0700);
            d.ensureDirectory("data", 0700);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("data"))))
                .isEqualTo("rwx------");
    }

    @Test
    void followsOnlyLinksThatRootOrThisUserCouldHaveMade() throws Exception {
        Files.createDirectories(dir.resolve("real/data"));
        Files.createSymbolicLink(dir.resolve("mine"), dir.resolve("real"));
        try (GuardedDirectory d = GuardedDirectory.open(dir.resolve("mine/data"), null)) {
            d.write("f", "ok");
        }
        assertThat(Files.readString(dir.resolve("real/data/f"))).isEqualTo("ok");

        assumeTrue(OsCommand.runningAsRoot(), "another user's link can only be made as root");
        var users = dir.getFileSystem().getUserPrincipalLookupService();
        Files.getFileAttributeView(dir.resolve("mine"), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setOwner(users.lookupPrincipalByName("postgres"));
        assertThatThrownBy(() -> GuardedDirectory.open(dir.resolve("mine/data"), null))
                .hasMessageContaining("refusing to follow this symbolic link")
                .hasMessageContaining("mine");
    }

    @Test
    void asRootNewFilesBelongToTheOwnerAndTheirOldTemporaryNamesAreNeverUsed() throws IOException {
        assumeTrue(OsCommand.runningAsRoot(), "handing files over needs root");
        GuardedDirectory.Owner postgres = new OsCommand("postgres").owner();
        Path v = victim("passwd");
        for (String old : List.of(".pgha.conf.pgha-tmp", ".pgha.conf.tmp"))
            Files.createSymbolicLink(dir.resolve(old), v);
        try (GuardedDirectory d = GuardedDirectory.open(dir, postgres)) {
            d.write("pgha.conf", "x");
            d.ensureDirectory("sub", 0700);
        }
        assertThat(Files.getAttribute(dir.resolve("pgha.conf"), "unix:uid")).isEqualTo(postgres.uid());
        assertThat(Files.getAttribute(dir.resolve("sub"), "unix:uid")).isEqualTo(postgres.uid());
        assertThat(Files.getAttribute(v, "unix:uid")).isEqualTo(0);
        assertThat(Files.readString(v)).isEqualTo("precious\n");
    }
}
