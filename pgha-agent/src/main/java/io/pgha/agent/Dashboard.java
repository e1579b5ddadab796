package io.pgha.agent;

import io.pgha.core.config.Credentials;
import io.pgha.http.BasicAuth;
import io.pgha.http.Request;
import io.pgha.http.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The web dashboard's static files under {@code /ui}, served from this jar by the REST API (see
 * docs/dashboard.md). The files are read once, when the API is built, and answered from memory on
 * the event loop: serving them never blocks and never touches the file system.
 *
 * <p>Only the paths of {@link #PATHS} exist; any other path under {@code /ui} is 404, whatever dots,
 * slashes or encodings it holds, since a path is looked up as a whole and never joined to a
 * directory. When the node has {@code restapi.authentication}, every file needs those credentials
 * (401 with a Basic challenge, so that a browser asks for them and then sends them with the page's
 * own calls). Every answer carries a Content-Security-Policy that allows this origin's scripts,
 * styles and calls only, and forbids framing.
 */
final class Dashboard {
    /** The request paths served and the resource behind each. */
    static final Map<String, String> PATHS = Map.of(
            "/ui", "index.html",
            "/ui/", "index.html",
            "/ui/index.html", "index.html",
            "/ui/app.js", "app.js",
            "/ui/app.css", "app.css",
            "/ui/favicon.svg", "favicon.svg");

    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self';"
            + " img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none';"
            + " frame-ancestors 'none'";

    private static final String RESOURCES = "/io/pgha/agent/ui/";

    /** What every answer under /ui carries, whatever its status. */
    private static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer",
            "Cross-Origin-Opener-Policy", "same-origin",
            "Cross-Origin-Resource-Policy", "same-origin",
            // revalidated on every load (cheap: 304 by ETag), so an upgraded agent's files are used at once
            "Cache-Control", "no-cache");

    /** One file, ready to send. */
    record Asset(String contentType, byte[] body, String etag) {}

    private final Map<String, Asset> assets;

    private Dashboard(Map<String, Asset> assets) {
        this.assets = assets;
    }

    /** Reads every file of the dashboard from the class path; fails when one is missing (a broken build). */
    static Dashboard load() {
        Map<String, Asset> assets = new LinkedHashMap<>();
        for (String file : new java.util.TreeSet<>(PATHS.values())) {
            try (InputStream in = Dashboard.class.getResourceAsStream(RESOURCES + file)) {
                if (in == null) throw new IllegalStateException("the dashboard's " + file + " is not in this build");
                byte[] body = in.readAllBytes();
                assets.put(file, new Asset(contentType(file), body, etag(body)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the dashboard's " + file, e);
            }
        }
        return new Dashboard(Map.copyOf(assets));
    }

    /** Whether {@code path} belongs to the dashboard (answered by {@link #serve}, 404 when unknown). */
    static boolean handles(String path) {
        return path.equals("/ui") || path.startsWith("/ui/");
    }

    /**
     * The answer to a GET or HEAD of {@code r} (a path {@link #handles}), checking the basic
     * credentials {@code auth} when the node has them (null: the page is open to every client the
     * API admits, like the API's other GET paths).
     */
    Response serve(Request r, Credentials auth) {
        if (auth != null && !BasicAuth.matches(r.header("Authorization"), auth)) {
            return secured(Response.error(401, "the dashboard needs this node's REST API credentials"))
                    .withHeader("WWW-Authenticate", "Basic realm=\"pgha\", charset=\"UTF-8\"");
        }
        String file = PATHS.get(r.path());
        if (file == null) return secured(Response.error(404, "no such path: " + r.path()));
        Asset a = assets.get(file);
        String cached = r.header("If-None-Match");
        if (cached != null && cached.equals(a.etag())) {
            return secured(new Response(304, a.contentType(), new byte[0], Map.of("ETag", a.etag())));
        }
        return secured(new Response(200, a.contentType(), a.body(), Map.of("ETag", a.etag())));
    }

    private static Response secured(Response r) {
        Map<String, String> h = new LinkedHashMap<>(HEADERS);
        h.putAll(r.headers());
        return new Response(r.status(), r.contentType(), r.body(), h);
    }

    private static String contentType(String file) {
        String ext = file.substring(file.lastIndexOf('.') + 1);
        return switch (ext) {
            case "html" -> "text/html; charset=utf-8";
            case "js" -> "text/javascript; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "svg" -> "image/svg+xml";
            default -> throw new IllegalArgumentException("no content type for " + file);
        };
    }

    private static String etag(byte[] body) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(d, 0, 12) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The file behind {@code path}, for tests; null when not served. */
    String text(String path) {
        String file = PATHS.get(path);
        return file == null ? null : new String(assets.get(file).body(), StandardCharsets.UTF_8);
    }
}
