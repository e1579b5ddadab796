package io.pgha.cli;

import io.pgha.core.config.DcsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * The ZooKeeper credential and TLS certificate of a local cluster ({@link LocalCluster}), made on
 * its first start and kept in its directory, so that a restarted demo still opens the ZooKeeper
 * data it wrote (whose ACLs name the credential). The certificate is self-signed for 127.0.0.1 (and
 * the nodes' other addresses, if any) and is the cluster's only trusted one: good for a demo or a
 * test, not for production.
 */
final class DemoSecrets {
    static final String DCS_USER = "pgha";

    private DemoSecrets() {}

    /** The DCS password kept in {@code dir}/dcs.secret (owner-only), made when absent. */
    static String dcsPassword(Path dir) throws IOException {
        Path f = dir.resolve("dcs.secret");
        if (Files.isRegularFile(f)) {
            String kept = Files.readString(f, StandardCharsets.US_ASCII).trim();
            if (kept.length() >= 16) return kept;
        }
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        Files.deleteIfExists(f);
        Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, password + "\n", StandardCharsets.US_ASCII);
        return password;
    }

    /** The names of a certificate for loopback only (what every certificate before {@code tls/san} had). */
    private static final String LOOPBACK_SAN = "ip:127.0.0.1,dns:localhost";

    /**
     * A PEM key store (the private key, unencrypted PKCS#8, then a self-signed certificate for
     * 127.0.0.1 and {@code hosts}, which ZooKeeper checks the peer's address against) and that
     * certificate as the PEM trust store, under {@code dir}/tls; made in this JVM ({@link
     * DemoCertificate}) when absent or made for other addresses.
     *
     * <p>The key is not encrypted: ZooKeeper opens the key store again for every TLS connection (each
     * client, each quorum and election link), and an encrypted key costs a PBKDF2 derivation each time,
     * on the agents' first-tier JIT about a fifth of their CPU until a demo is up (a PKCS#12 store with
     * 1,000 iterations, measured with async-profiler). A password kept beside the file, as a demo must
     * (its config files), protects nothing the file's mode does not: the file is owner-only from its
     * creation, in a directory only its owner can write. A key store made by an earlier version
     * ({@code zookeeper.p12}) is removed.
     */
    static DcsConfig.Tls tls(Path dir, List<String> hosts) throws IOException {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        Path keystore = tls.resolve("zookeeper.pem");
        Path truststore = tls.resolve("ca.pem");
        Path sanFile = tls.resolve("san");
        Files.deleteIfExists(tls.resolve("zookeeper.p12"));
        StringBuilder names = new StringBuilder(LOOPBACK_SAN);
        for (String h : hosts.stream().distinct().toList()) {
            if (h.equals("127.0.0.1") || h.equals("localhost")) continue;
            names.append(',')
                    .append(h.matches("[0-9.]+") || h.contains(":") ? "ip:" : "dns:")
                    .append(h);
        }
        String san = names.toString();
        String made = Files.isRegularFile(sanFile)
                ? Files.readString(sanFile, StandardCharsets.US_ASCII).trim()
                : LOOPBACK_SAN;
        if (!Files.isRegularFile(keystore) || !Files.isRegularFile(truststore) || !made.equals(san)) {
            Files.deleteIfExists(keystore);
            Files.deleteIfExists(truststore);
            // the key store gets its final mode as it is created, in a directory only we can enter, and
            // is moved into place whole
            Path scratch = Files.createTempDirectory(
                    tls, ".made", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try {
                Path fresh = scratch.resolve("zookeeper.pem");
                DemoCertificate.Made cert;
                try {
                    cert = DemoCertificate.make("pgha demo", san, java.time.Duration.ofDays(3650));
                    String certPem = pem(cert.certificate().getEncoded());
                    Files.createFile(
                            fresh, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.writeString(
                            fresh,
                            pem("PRIVATE KEY", cert.keys().getPrivate().getEncoded()) + certPem,
                            StandardCharsets.US_ASCII);
                    Files.writeString(truststore, certPem, StandardCharsets.US_ASCII);
                } catch (java.security.GeneralSecurityException e) {
                    throw new IOException("cannot make the demo's ZooKeeper certificate: " + e.getMessage(), e);
                }
                Files.move(fresh, keystore, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } finally {
                io.pgha.postgres.Directories.delete(scratch);
            }
            Files.writeString(sanFile, san + "\n", StandardCharsets.US_ASCII);
        }
        return new DcsConfig.Tls(
                keystore.toAbsolutePath().toString(),
                null,
                truststore.toAbsolutePath().toString(),
                null);
    }

    /** A certificate as PEM (what keytool -exportcert -rfc writes). */
    static String pem(byte[] der) {
        return pem("CERTIFICATE", der);
    }

    /** {@code der} as a PEM block of {@code label}. */
    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }
}
