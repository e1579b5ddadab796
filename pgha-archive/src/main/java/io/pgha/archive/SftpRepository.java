package io.pgha.archive;

import io.pgha.core.net.HostPort;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * A repository on an SFTP server ({@code sftp://user@host:port/path}), authenticated with a key
 * and checked against a known_hosts file (an unknown host key is refused, never learned). A file is
 * written under a temporary name, fsynced where the server offers {@code fsync@openssh.com}, and
 * renamed to its final name with a plain SFTP rename, which fails rather than replaces an existing
 * file.
 */
public final class SftpRepository implements Repository {
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final AtomicLong SEQ = new AtomicLong();

    private final String display;
    private final String root;
    private final SshClient client;
    private final ClientSession session;
    private final SftpClient sftp;
    private final OpenSSHFsyncExtension fsync;

    /** Where an SFTP repository is and how to log in. */
    public record Target(String user, String host, int port, String path) {
        public static Target parse(String uri) {
            URI u;
            try {
                u = new URI(uri);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("'" + uri + "' is not a valid sftp:// URI: " + e.getReason());
            }
            if (!"sftp".equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("'" + uri + "' is not of the form sftp://user@host[:port]/path");
            }
            if (u.getUserInfo() == null || u.getUserInfo().contains(":")) {
                throw new IllegalArgumentException("'" + uri
                        + "': give a user name (sftp://user@host/path) and no password; pgha logs in with a key");
            }
            String path = u.getPath();
            if (path == null || path.isEmpty() || path.equals("/"))
                throw new IllegalArgumentException("'" + uri + "': give the repository's directory on the server");
            // java.net.URI keeps an IPv6 literal's brackets in getHost(); SSH and known_hosts want it bare.
            return new Target(
                    u.getUserInfo(),
                    HostPort.bare(u.getHost()),
                    u.getPort() < 0 ? 22 : u.getPort(),
                    path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
        }

        @Override
        public String toString() {
            return "sftp://" + user + "@" + HostPort.join(host, port) + path;
        }
    }

    /**
     * Connects and logs in. {@code key} is the private key (OpenSSH or PEM, no passphrase) and
     * {@code knownHosts} the file that must hold the server's host key.
     */
    public static SftpRepository connect(Target t, Path key, Path knownHosts) throws IOException {
        if (!Files.isReadable(key))
            throw new IllegalArgumentException("SFTP key " + key + " does not exist or is not readable");
        if (!Files.isReadable(knownHosts)) {
            throw new IllegalArgumentException(
                    "known_hosts file " + knownHosts + " does not exist or is not readable; add the server's host key"
                            + " (ssh-keyscan -p " + t.port() + " " + t.host() + ")");
        }
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(new KnownHostsServerKeyVerifier(RejectAllServerKeyVerifier.INSTANCE, knownHosts));
        client.start();
        ClientSession session = null;
        try {
            try {
                session = client.connect(t.user(), t.host(), t.port())
                        .verify(TIMEOUT)
                        .getSession();
            } catch (IOException e) {
                throw new RepositoryUnavailableException("repository " + t + " is unreachable: " + rootMessage(e), e);
            }
            try (InputStream in = Files.newInputStream(key)) {
                Iterable<KeyPair> ids =
                        SecurityUtils.loadKeyPairIdentities(session, NamedResource.ofName(key.toString()), in, null);
                if (ids == null || !ids.iterator().hasNext())
                    throw new IllegalArgumentException("SFTP key " + key + " holds no private key");
                for (KeyPair kp : ids) session.addPublicKeyIdentity(kp);
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("SFTP key " + key + " cannot be read: " + e.getMessage());
            }
            try {
                session.auth().verify(TIMEOUT);
            } catch (IOException e) {
                String m = rootMessage(e);
                if (m.contains("did not validate") || m.contains("Server key")) {
                    throw new RepositoryUnavailableException(
                            "repository " + t + ": the server's host key is not in " + knownHosts
                                    + " (or differs from it)",
                            e);
                }
                throw new RepositoryUnavailableException(
                        "repository " + t + ": login as " + t.user() + " with key " + key + " failed: " + m, e);
            }
            SftpClient sftp = SftpClientFactory.instance().createSftpClient(session);
            SftpRepository repo = new SftpRepository(t, client, session, sftp);
            repo.checkRoot();
            return repo;
        } catch (IOException | RuntimeException e) {
            if (session != null) session.close(true);
            client.stop();
            throw e;
        }
    }

    private SftpRepository(Target t, SshClient client, ClientSession session, SftpClient sftp) {
        this.display = t.toString();
        this.root = t.path();
        this.client = client;
        this.session = session;
        this.sftp = sftp;
        OpenSSHFsyncExtension f = sftp.getExtension(OpenSSHFsyncExtension.class);
        this.fsync = f != null && f.isSupported() ? f : null;
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    private String path(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains(".."))
            throw new IllegalArgumentException("'" + name + "' is not a file name inside the repository");
        return root + "/" + name;
    }

    private void checkRoot() throws IOException {
        try {
            if (!sftp.stat(root).isDirectory())
                throw new RepositoryUnavailableException("repository " + display + " is not a directory", null);
        } catch (SftpException e) {
            throw unavailable("does not exist or cannot be read", e);
        }
    }

    private RepositoryUnavailableException unavailable(String what, IOException e) {
        if (e instanceof RepositoryUnavailableException r) return r;
        return new RepositoryUnavailableException("repository " + display + ": " + what + ": " + rootMessage(e), e);
    }

    private static boolean missing(SftpException e) {
        return e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE || e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_PATH;
    }

    @Override
    public InputStream open(String name) throws IOException {
        String p = path(name);
        try {
            sftp.stat(p);
            return new BufferedInputStream(sftp.read(p), 1 << 16);
        } catch (SftpException e) {
            if (missing(e)) return null;
            throw unavailable("cannot read " + name, e);
        } catch (IOException e) {
            throw unavailable("cannot read " + name, e);
        }
    }

    private void mkdirs(String dir) throws IOException {
        try {
            if (sftp.stat(dir).isDirectory()) return;
        } catch (SftpException e) {
            if (!missing(e)) throw e;
        }
        int slash = dir.lastIndexOf('/');
        if (slash > 0) mkdirs(dir.substring(0, slash));
        try {
            sftp.mkdir(dir);
        } catch (SftpException e) {
            if (!sftp.stat(dir).isDirectory()) throw e; // created concurrently is fine
        }
    }

    @Override
    public NewFile create(String name) throws IOException {
        String target = path(name);
        String dir = target.substring(0, target.lastIndexOf('/'));
        String tmp = dir + "/." + target.substring(target.lastIndexOf('/') + 1) + ".tmp-"
                + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        try {
            mkdirs(dir);
            SftpClient.CloseableHandle h = sftp.open(
                    tmp, SftpClient.OpenMode.Write, SftpClient.OpenMode.Create, SftpClient.OpenMode.Exclusive);
            return new SftpFile(name, target, tmp, h);
        } catch (IOException e) {
            throw unavailable("cannot store " + name, e);
        }
    }

    private final class SftpFile implements NewFile {
        private final String name;
        private final String target;
        private final String tmp;
        private final SftpClient.CloseableHandle handle;
        private final byte[] buf = new byte[1 << 17];
        private int used;
        private long offset;
        private boolean done;
        private final OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                if (used == buf.length) flushBuffer();
                buf[used++] = (byte) b;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    if (used == buf.length) flushBuffer();
                    int n = Math.min(len, buf.length - used);
                    System.arraycopy(b, off, buf, used, n);
                    used += n;
                    off += n;
                    len -= n;
                }
            }

            @Override
            public void flush() throws IOException {
                flushBuffer();
            }
        };

        SftpFile(String name, String target, String tmp, SftpClient.CloseableHandle handle) {
            this.name = name;
            this.target = target;
            this.tmp = tmp;
            this.handle = handle;
        }

        private void flushBuffer() throws IOException {
            if (used == 0) return;
            try {
                sftp.write(handle, offset, buf, 0, used);
            } catch (IOException e) {
                throw unavailable("cannot store " + name, e);
            }
            offset += used;
            used = 0;
        }

        @Override
        public OutputStream out() {
            return out;
        }

        @Override
        public long size() {
            return offset + used;
        }

        @Override
        public void writeAt(long position, byte[] bytes) throws IOException {
            flushBuffer();
            try {
                sftp.write(handle, position, bytes, 0, bytes.length);
            } catch (IOException e) {
                throw unavailable("cannot store " + name, e);
            }
        }

        @Override
        public boolean commit() throws IOException {
            try {
                flushBuffer();
                if (fsync != null) fsync.fsync(handle);
                handle.close();
                if (exists(target)) return false;
                try {
                    sftp.rename(tmp, target); // SFTP v3 rename fails when the target exists: never replaces
                } catch (SftpException e) {
                    if (exists(target)) return false;
                    throw e;
                }
                done = true;
                return true;
            } catch (IOException e) {
                throw unavailable("cannot store " + name, e);
            } finally {
                close();
            }
        }

        @Override
        public void close() throws IOException {
            if (done) return;
            done = true;
            try {
                if (handle.isOpen()) handle.close();
            } finally {
                try {
                    sftp.remove(tmp);
                } catch (IOException ignored) {
                    // best effort: a leftover temporary file is hidden (dot name) and harmless
                }
            }
        }
    }

    private boolean exists(String p) throws IOException {
        try {
            sftp.stat(p);
            return true;
        } catch (SftpException e) {
            if (missing(e)) return false;
            throw e;
        }
    }

    @Override
    public boolean delete(String name) throws IOException {
        try {
            sftp.remove(path(name));
            String p = path(name);
            for (int slash = p.lastIndexOf('/');
                    slash > 0 && p.substring(0, slash).startsWith(root + "/backup/");
                    slash = p.lastIndexOf('/', slash - 1)) {
                try {
                    sftp.rmdir(p.substring(0, slash)); // fails while not empty
                } catch (SftpException notEmpty) {
                    break;
                }
            }
            return true;
        } catch (SftpException e) {
            if (missing(e)) return false;
            throw unavailable("cannot delete " + name, e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        List<String> out = new ArrayList<>();
        try {
            walk(path(prefix), prefix, out);
        } catch (IOException e) {
            throw unavailable("cannot list " + prefix, e);
        }
        out.sort(null);
        return out;
    }

    private void walk(String dir, String rel, List<String> out) throws IOException {
        List<SftpClient.DirEntry> entries = new ArrayList<>();
        try {
            for (SftpClient.DirEntry e : sftp.readDir(dir)) entries.add(e);
        } catch (java.io.UncheckedIOException e) {
            if (e.getCause() instanceof SftpException s && missing(s)) return;
            throw e.getCause();
        } catch (SftpException e) {
            if (missing(e)) return;
            throw e;
        }
        for (SftpClient.DirEntry e : entries) {
            String f = e.getFilename();
            if (f.startsWith(".")) continue;
            if (e.getAttributes().isDirectory()) walk(dir + "/" + f, rel + "/" + f, out);
            else if (e.getAttributes().isRegularFile()) out.add(rel + "/" + f);
        }
    }

    @Override
    public String describe() {
        return display;
    }

    @Override
    public void close() throws IOException {
        try {
            sftp.close();
        } finally {
            session.close(true);
            client.stop();
        }
    }
}
