package io.pgha.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * A real SSH server with the SFTP subsystem on loopback, serving {@code root} as "/". It accepts
 * one user with one key: {@link #clientKey()} is that private key (OpenSSH format) and
 * {@link #knownHosts()} a known_hosts file holding the server's host key. Close it to stop it.
 */
public final class SftpServer implements AutoCloseable {
    public static final String USER = "backup";
    private final SshServer server;
    private final Path clientKey;
    private final Path knownHosts;
    private final Path otherKey;

    private SftpServer(SshServer server, Path clientKey, Path knownHosts, Path otherKey) {
        this.server = server;
        this.clientKey = clientKey;
        this.knownHosts = knownHosts;
        this.otherKey = otherKey;
    }

    /** Starts a server on a free loopback port; keys and known_hosts are written to {@code keyDir}. */
    public static SftpServer start(Path root, Path keyDir) throws IOException, GeneralSecurityException {
        Files.createDirectories(root);
        Files.createDirectories(keyDir);
        KeyPair hostKey = ecKey();
        KeyPair client = ecKey();
        KeyPair other = ecKey();
        SshServer s = SshServer.setUpDefaultServer();
        s.setHost("127.0.0.1");
        s.setPort(0);
        s.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
        PublicKey allowed = client.getPublic();
        s.setPublickeyAuthenticator((user, key, session) -> USER.equals(user) && KeyUtils.compareKeys(allowed, key));
        s.setPasswordAuthenticator(null);
        s.setKeyboardInteractiveAuthenticator(null);
        s.setSubsystemFactories(List.of(new SftpSubsystemFactory.Builder().build()));
        s.setFileSystemFactory(new VirtualFileSystemFactory(root.toAbsolutePath()));
        s.start();
        Path keyFile = writeKey(keyDir.resolve("id_ecdsa"), client);
        Path otherFile = writeKey(keyDir.resolve("other_ecdsa"), other);
        Path kh = keyDir.resolve("known_hosts");
        Files.writeString(
                kh,
                "[127.0.0.1]:" + s.getPort() + " " + PublicKeyEntry.toString(hostKey.getPublic()) + "\n",
                StandardCharsets.US_ASCII);
        return new SftpServer(s, keyFile, kh, otherFile);
    }

    private static KeyPair ecKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static Path writeKey(Path file, KeyPair kp) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, "pgha-test", null, out);
        }
        return file;
    }

    public int port() {
        return server.getPort();
    }

    /** {@code sftp://backup@127.0.0.1:PORT/path}. */
    public String uri(String path) {
        return "sftp://" + USER + "@127.0.0.1:" + port() + (path.startsWith("/") ? path : "/" + path);
    }

    public Path clientKey() {
        return clientKey;
    }

    /** A valid key the server does not accept. */
    public Path unknownKey() {
        return otherKey;
    }

    public Path knownHosts() {
        return knownHosts;
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }
}
