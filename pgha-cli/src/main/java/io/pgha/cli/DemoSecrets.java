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
import java.util.concurrent.TimeUnit;

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
     * {@code dir}/tls; made with the JDK's keytool when absent or made for other addresses.
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
            // keytool writes the key store with the umask's mode: in a directory only we can enter,
            // given its final mode there, then moved into place
            Path scratch = Files.createTempDirectory(
                    tls,
                    ".keytool",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try {
                Path fresh = scratch.resolve("zookeeper.p12");
                keytool(
                        "-genkeypair",
                        "-alias",
                        "pgha",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-sigalg",
                        "SHA256withECDSA",
                        "-dname",
                        "CN=pgha demo",
                        "-ext",
                        "san=" + san,
                        "-validity",
                        "3650",
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        fresh.toString(),
                        "-storepass",
                        password,
                        "-keypass",
                        password);
                Files.setPosixFilePermissions(fresh, PosixFilePermissions.fromString("rw-------"));
                Files.writeString(truststore, pem(fresh, password), StandardCharsets.US_ASCII);
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

    /** The certificate of {@code keystore} as PEM (what keytool -exportcert -rfc writes, without a second JVM). */
    static String pem(Path keystore, String password) throws IOException {
        try (var in = Files.newInputStream(keystore)) {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(in, password.toCharArray());
            byte[] der = ks.getCertificate("pgha").getEncoded();
            return "-----BEGIN CERTIFICATE-----\n"
                    + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                    + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot read the certificate keytool made in " + keystore + ": " + e.getMessage(), e);
        }
    }

    private static void keytool(String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                // a quick start for one key pair: the first JIT tier, a small serial heap
                "-J-XX:TieredStopAtLevel=1",
                "-J-XX:+UseSerialGC",
                "-J-Xshare:auto"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(
                        "keytool " + args[0] + " failed while making the demo's ZooKeeper certificate: " + out.trim());
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the demo's ZooKeeper certificate", e);
        }
    }
}
