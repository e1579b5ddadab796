package io.pgha.archive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a repository is: a directory path ({@code /srv/pgha} or {@code file:///srv/pgha}) or
 * {@code sftp://user@host[:port]/path}. For SFTP, {@code key} is the private key (default: the
 * first of ~/.ssh/id_ecdsa, id_ed25519, id_rsa of the user running pgha) and {@code knownHosts} the
 * file that must hold the server's host key (default ~/.ssh/known_hosts).
 */
public record RepositoryLocation(String uri, Path key, Path knownHosts) {
    public RepositoryLocation {
        if (uri == null || uri.isBlank())
            throw new IllegalArgumentException(
                    "no repository given: use --repo URI or -c FILE with an archive: section");
    }

    public static RepositoryLocation of(String uri) {
        return new RepositoryLocation(uri, null, null);
    }

    public boolean sftp() {
        return uri.startsWith("sftp://");
    }

    /** Checks the form of the location without connecting. */
    public RepositoryLocation validate() {
        if (sftp()) SftpRepository.Target.parse(uri);
        else directory();
        return this;
    }

    private Path directory() {
        String path = uri.startsWith("file://") ? uri.substring("file://".length()) : uri;
        if (uri.contains("://") && !uri.startsWith("file://")) {
            throw new IllegalArgumentException("repository '" + uri
                    + "': only directories (/path or file:///path) and sftp://user@host[:port]/path are supported");
        }
        if (!path.startsWith("/"))
            throw new IllegalArgumentException("repository '" + uri + "': give an absolute directory path");
        return Path.of(path);
    }

    /** The directory of a local repository; empty for SFTP. */
    public java.util.Optional<Path> localDirectory() {
        return sftp() ? java.util.Optional.empty() : java.util.Optional.of(directory());
    }

    /** Opens the repository (connects and logs in for SFTP). */
    public Repository open() throws IOException {
        if (!sftp()) return new DirectoryRepository(directory());
        SftpRepository.Target t = SftpRepository.Target.parse(uri);
        Path home = Path.of(System.getProperty("user.home"), ".ssh");
        Path k = key;
        if (k == null) {
            for (String n : List.of("id_ecdsa", "id_ed25519", "id_rsa")) {
                if (Files.isReadable(home.resolve(n))) {
                    k = home.resolve(n);
                    break;
                }
            }
            if (k == null)
                throw new IllegalArgumentException(
                        "no SFTP key: none of id_ecdsa, id_ed25519, id_rsa in " + home + "; give --sftp-key FILE");
        }
        return SftpRepository.connect(t, k, knownHosts == null ? home.resolve("known_hosts") : knownHosts);
    }
}
