package io.pgha.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;

/**
 * A self-signed certificate with an EC P-256 key, made in this JVM: what {@code keytool -genkeypair
 * -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -ext san=...} made before, without starting
 * a second JVM (0.8 s of the demo's start). The certificate is encoded in DER by hand (the JDK has no
 * public API to build one) and read back through the JDK's {@link CertificateFactory}, whose parser
 * and a check of the signature stand guard over the encoding.
 *
 * <p>Content: version 3, a random 63-bit serial, subject and issuer {@code CN=<name>}, the given
 * validity from one minute ago, the subject key identifier (SHA-1 of the key, as keytool writes it)
 * and the subject alternative names ({@code ip:} and {@code dns:} entries).
 */
final class DemoCertificate {
    private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"; // ecdsa-with-SHA256
    private static final String COMMON_NAME = "2.5.4.3";
    private static final String SUBJECT_KEY_IDENTIFIER = "2.5.29.14";
    private static final String SUBJECT_ALT_NAME = "2.5.29.17";

    private DemoCertificate() {}

    /** The key pair and its certificate. */
    record Made(KeyPair keys, X509Certificate certificate) {}

    /**
     * A key pair and a certificate for it, signed by itself.
     *
     * @param san keytool's notation: {@code ip:127.0.0.1,dns:localhost}
     */
    static Made make(String commonName, String san, Duration validity) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        byte[] spki = keys.getPublic().getEncoded();
        byte[] algorithm = seq(oid(ECDSA_WITH_SHA256));
        byte[] name = seq(set(seq(oid(COMMON_NAME), tlv(0x0C, commonName.getBytes(StandardCharsets.UTF_8)))));
        Instant from = Instant.now().minusSeconds(60);
        byte[] serial = integer(new BigInteger(63, new SecureRandom()).add(BigInteger.ONE));
        byte[] extensions = tlv(
                0xA3,
                seq(
                        extension(SUBJECT_KEY_IDENTIFIER, tlv(0x04, keyIdentifier(spki))),
                        extension(SUBJECT_ALT_NAME, generalNames(san))));
        byte[] tbs = seq(
                tlv(0xA0, integer(BigInteger.TWO)),
                serial,
                algorithm,
                name,
                seq(time(from), time(from.plus(validity))),
                name,
                spki,
                extensions);
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(keys.getPrivate());
        s.update(tbs);
        byte[] signature = s.sign(); // DER already: ECDSA-Sig-Value
        byte[] der = seq(tbs, algorithm, tlv(0x03, concat(new byte[] {0}, signature)));
        X509Certificate cert = (X509Certificate)
                CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        cert.verify(keys.getPublic());
        return new Made(keys, cert);
    }

    /** RFC 5280 4.2.1.2, method 1: SHA-1 of the subjectPublicKey bits (keytool's choice too). */
    private static byte[] keyIdentifier(byte[] spki) throws GeneralSecurityException {
        // SubjectPublicKeyInfo = SEQ { AlgorithmIdentifier, BIT STRING }: the BIT STRING is last
        int at = headerLength(spki, 0);
        at += totalLength(spki, at); // skip the AlgorithmIdentifier
        int bits = at + headerLength(spki, at) + 1; // past the unused-bits octet
        byte[] key = Arrays.copyOfRange(spki, bits, at + totalLength(spki, at));
        return MessageDigest.getInstance("SHA-1").digest(key);
    }

    private static byte[] generalNames(String san) {
        List<byte[]> names = new java.util.ArrayList<>();
        for (String entry : san.split(",")) {
            String e = entry.trim();
            if (e.isEmpty()) continue;
            int colon = e.indexOf(':');
            if (colon < 0) throw new IllegalArgumentException("subject alternative name without a kind: " + e);
            String kind = e.substring(0, colon).toLowerCase(java.util.Locale.ROOT);
            String value = e.substring(colon + 1);
            switch (kind) {
                case "ip" -> names.add(tlv(0x87, ipAddress(value)));
                case "dns" -> names.add(tlv(0x82, value.getBytes(StandardCharsets.US_ASCII)));
                default -> throw new IllegalArgumentException("subject alternative name of unknown kind: " + e);
            }
        }
        return seq(names.toArray(new byte[0][]));
    }

    /** A literal address only: never a name looked up. */
    private static byte[] ipAddress(String literal) {
        if (!literal.matches("[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*"))
            throw new IllegalArgumentException("not an IP address: " + literal);
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + literal, e);
        }
    }

    private static byte[] extension(String oid, byte[] value) {
        return seq(oid(oid), tlv(0x04, value));
    }

    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'");

    /** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
    private static byte[] time(Instant t) {
        ZonedDateTime z = t.atZone(ZoneOffset.UTC).withNano(0);
        return z.getYear() < 2050
                ? tlv(0x17, UTC_TIME.format(z).getBytes(StandardCharsets.US_ASCII))
                : tlv(0x18, GENERALIZED_TIME.format(z).getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        base128(out, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
        for (int i = 2; i < arcs.length; i++) base128(out, Long.parseLong(arcs[i]));
        return tlv(0x06, out.toByteArray());
    }

    private static void base128(ByteArrayOutputStream out, long v) {
        int groups = 1;
        for (long x = v >>> 7; x != 0; x >>>= 7) groups++;
        for (int i = groups - 1; i >= 0; i--) {
            int b = (int) ((v >>> (7 * i)) & 0x7F);
            out.write(i == 0 ? b : b | 0x80);
        }
    }

    private static byte[] integer(BigInteger v) {
        return tlv(0x02, v.toByteArray());
    }

    private static byte[] seq(byte[]... parts) {
        return tlv(0x30, concat(parts));
    }

    private static byte[] set(byte[]... parts) {
        return tlv(0x31, concat(parts));
    }

    static byte[] tlv(int tag, byte[] value) {
        int n = value.length;
        byte[] length;
        if (n < 0x80) length = new byte[] {(byte) n};
        else {
            byte[] digits = BigInteger.valueOf(n).toByteArray();
            int skip = digits[0] == 0 ? 1 : 0;
            length = new byte[digits.length - skip + 1];
            length[0] = (byte) (0x80 | (digits.length - skip));
            System.arraycopy(digits, skip, length, 1, digits.length - skip);
        }
        return concat(new byte[] {(byte) tag}, length, value);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    /** Length of the tag and length octets of the element at {@code at}. */
    private static int headerLength(byte[] der, int at) {
        int first = der[at + 1] & 0xFF;
        return first < 0x80 ? 2 : 2 + (first & 0x7F);
    }

    /** Length of the whole element at {@code at}: header and contents. */
    private static int totalLength(byte[] der, int at) {
        int first = der[at + 1] & 0xFF;
        if (first < 0x80) return 2 + first;
        int n = 0;
        for (int i = 0; i < (first & 0x7F); i++) n = (n << 8) | (der[at + 2 + i] & 0xFF);
        return headerLength(der, at) + n;
    }
}
