package io.pgha.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Self-signed PEM certificates made with openssl for tests (the key is PKCS#8, as pgha requires). */
final class TestCertificates {
    private TestCertificates() {}

    /** Writes {@code name}.crt and {@code name}.key into {@code dir} for subject alternative name {@code san}. */
    static Path[] make(Path dir, String name, String san) throws Exception {
        Path cert = dir.resolve(name + ".crt");
        Path key = dir.resolve(name + ".key");
        Process p = new ProcessBuilder(
                        "openssl",
                        "req",
                        "-x509",
                        "-newkey",
                        "rsa:2048",
                        "-nodes",
                        "-days",
                        "2",
                        "-subj",
                        "/CN=" + name,
                        "-addext",
                        "subjectAltName=" + san,
                        "-keyout",
                        key.toString(),
                        "-out",
                        cert.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as("openssl made a test certificate")
                .isTrue();
        return new Path[] {cert, key};
    }
}
