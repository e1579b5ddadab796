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
     * A PKCS#12 key store with a self-signed certificate for 127.0.0.1 and {@code hosts} (ZooKeeper
     * checks the peer's address against it) and that certificate as the PEM trust store, under
     * {@code dir}/tls; made in this JVM ({@link DemoCertificate}) when absent or made for other addresses.
     */
    static DcsConfig.Tls tls(Path dir, String password, List<String> hosts) throws IOException {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        Path keystore = tls.resolve("zookeeper.p12");
        Path truststore = tls.resolve("ca.pem");
        Path sanFile = tls.resolve("san");
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
                Path fresh = scratch.resolve("zookeeper.p12");
                DemoCertificate.Made cert;
                try {
                    cert = DemoCertificate.make("pgha demo", san, java.time.Duration.ofDays(3650));
                    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
                    ks.load(null, null);
                    ks.setKeyEntry(
                            "pgha",
                            cert.keys().getPrivate(),
                            password.toCharArray(),
                            new java.security.cert.Certificate[] {cert.certificate()});
                    Files.createFile(
                            fresh, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    try (var out = Files.newOutputStream(fresh)) {
                        storeQuickToOpen(ks, out, password.toCharArray());
                    }
                    Files.writeString(truststore, pem(cert.certificate().getEncoded()), StandardCharsets.US_ASCII);
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
                password,
                truststore.toAbsolutePath().toString(),
                null);
    }

    /**
     * Stores {@code ks} with 1,000 PBKDF2 iterations instead of the JDK's 10,000 and the certificate
     * unencrypted (it is public; ca.pem beside it holds the same). Every agent opens the key store
     * several times as it starts (ZooKeeper's client port, its quorum links, the agent's own client),
     * each time about 0.1 s of CPU on the agents' first-tier JIT with the default counts, and 7 ms
     * with these. The iterations only slow a guess of the password offline, and the password is 144
     * random bits (dcs.secret), kept beside the key store: no guess gets anywhere near it either way.
     */
    private static synchronized void storeQuickToOpen(java.security.KeyStore ks, java.io.OutputStream out, char[] pw)
            throws IOException, java.security.GeneralSecurityException {
        String[][] quick = {
            {"keystore.pkcs12.keyPbeIterationCount", "1000"},
            {"keystore.pkcs12.macIterationCount", "1000"},
            {"keystore.pkcs12.certProtectionAlgorithm", "NONE"},
        };
        String[] before = new String[quick.length];
        for (int i = 0; i < quick.length; i++) before[i] = System.setProperty(quick[i][0], quick[i][1]);
        try {
            ks.store(out, pw);
        } finally {
            for (int i = 0; i < quick.length; i++) {
                if (before[i] == null) System.clearProperty(quick[i][0]);
                else System.setProperty(quick[i][0], before[i]);
            }
        }
    }

    /** A certificate as PEM (what keytool -exportcert -rfc writes). */
    static String pem(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n"
                + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
    }
}
