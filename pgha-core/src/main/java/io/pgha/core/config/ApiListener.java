package io.pgha.core.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Who may reach an HTTP API listener and how: TLS, client certificates, client networks and the
 * request timeout. The same keys serve the agent's {@code restapi} and a router's {@code
 * router.api} section.
 *
 * @param certFile PEM certificate chain; null: plain HTTP
 * @param keyFile PEM private key (PKCS#8, unencrypted) of {@code certFile}
 * @param caFile PEM certificates trusted for client certificates and, on agents, for calls to other
 *     members' APIs; null: the system's trust store for those calls, and no client certificates
 * @param verifyClient whether clients must show a certificate signed by {@code caFile}
 * @param allowlist client networks that may connect; empty: any
 * @param requestTimeoutMs a client must send a whole request (TLS handshake, headers, body) within
 *     this time after connecting or after its previous response, or it is disconnected
 */
public record ApiListener(
        String certFile,
        String keyFile,
        String caFile,
        VerifyClient verifyClient,
        List<Cidr> allowlist,
        long requestTimeoutMs) {

    public static final long DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
    /** Plain HTTP from anywhere, 5 s per request. */
    public static final ApiListener PLAIN =
            new ApiListener(null, null, null, VerifyClient.NONE, List.of(), DEFAULT_REQUEST_TIMEOUT_MS);

    /** Client certificates: never asked for, required for state-changing calls, or required for every call. */
    public enum VerifyClient {
        NONE,
        OPTIONAL,
        REQUIRED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public ApiListener {
        allowlist = List.copyOf(allowlist);
    }

    public boolean tls() {
        return certFile != null;
    }

    /** Whether {@code address} may connect. */
    public boolean allows(java.net.InetAddress address) {
        return allowlist.isEmpty() || allowlist.stream().anyMatch(c -> c.contains(address));
    }

    /**
     * Reads {@code certfile}, {@code keyfile}, {@code cafile}, {@code verify_client}, {@code
     * allowlist} and {@code request_timeout} from {@code s}; the caller rejects unknown keys.
     */
    static ApiListener read(Section s) {
        String cert = readableFile(s, "certfile");
        String key = readableFile(s, "keyfile");
        if ((cert == null) != (key == null)) {
            throw new ConfigException(s.key("certfile") + " and " + s.key("keyfile") + ": give both or neither");
        }
        String ca = readableFile(s, "cafile");
        if (ca != null && cert == null)
            throw new ConfigException(s.key("cafile") + ": needs TLS (" + s.key("certfile") + ")");
        VerifyClient verify = verifyClient(s);
        if (verify != VerifyClient.NONE && ca == null) {
            throw new ConfigException(s.key("verify_client") + ": " + verify.label() + " needs " + s.key("cafile")
                    + " (the CA that signs client certificates)");
        }
        List<Cidr> allow = new ArrayList<>();
        for (String n : s.strings("allowlist", List.of())) allow.add(Cidr.parse(s.key("allowlist"), n));
        long timeout = s.millis("request_timeout", DEFAULT_REQUEST_TIMEOUT_MS);
        if (timeout < 100 || timeout > 300_000) {
            throw new ConfigException(s.key("request_timeout") + ": " + timeout + " ms must lie between 100ms and 5m");
        }
        return new ApiListener(cert, key, ca, verify, allow, timeout);
    }

    private static VerifyClient verifyClient(Section s) {
        String v = s.string("verify_client", "none");
        return switch (v) {
            case "none" -> VerifyClient.NONE;
            case "optional" -> VerifyClient.OPTIONAL;
            case "required" -> VerifyClient.REQUIRED;
            default ->
                throw new ConfigException(s.key("verify_client") + ": '" + v + "' must be none, optional or required");
        };
    }

    static String readableFile(Section s, String name) {
        String p = s.string(name, null);
        if (p == null) return null;
        if (!p.startsWith("/")) throw new ConfigException(s.key(name) + ": '" + p + "' must be an absolute path");
        if (!Files.isReadable(Path.of(p)) || Files.isDirectory(Path.of(p))) {
            throw new ConfigException(s.key(name) + ": " + p + " is not a readable file");
        }
        return p;
    }
}
