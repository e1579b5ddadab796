package io.pgha.http;

import io.pgha.core.config.Credentials;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/** HTTP basic authentication, compared in constant time. */
public final class BasicAuth {
    private BasicAuth() {}

    /**
     * Whether the {@code Authorization} header value {@code header} carries exactly {@code expected}.
     * False for a null header, another scheme, bad base64, or null {@code expected}.
     */
    public static boolean matches(String header, Credentials expected) {
        if (expected == null || header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) return false;
        byte[] given;
        try {
            given = Base64.getDecoder().decode(header.substring(6).trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        byte[] want = (expected.username() + ":" + expected.password()).getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(want, given);
    }

    /** The {@code Authorization} header value for {@code c}. */
    public static String header(Credentials c) {
        return "Basic "
                + Base64.getEncoder()
                        .encodeToString((c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8));
    }
}
