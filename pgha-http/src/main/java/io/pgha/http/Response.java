package io.pgha.http;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * An HTTP response: status, content type, body and extra headers. The server adds {@code
 * Content-Length} and {@code Connection}, and sends no body to {@code HEAD}.
 */
public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
    public static final String JSON = "application/json";

    public Response {
        headers = Map.copyOf(headers);
    }

    public static Response json(int status, byte[] json) {
        return new Response(status, JSON, json, Map.of());
    }

    public static Response text(int status, String contentType, String text) {
        return new Response(status, contentType, text.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** {@code {"error": message}}. */
    public static Response error(int status, String message) {
        return text(status, JSON, "{\"error\":" + quote(message) + "}");
    }

    /** The same response with one more header. */
    public Response withHeader(String name, String value) {
        var h = new java.util.LinkedHashMap<>(headers);
        h.put(name, value);
        return new Response(status, contentType, body, h);
    }

    /** The same status and headers without a body (OPTIONS on a health path, say). */
    public Response withoutBody() {
        return new Response(status, contentType, new byte[0], headers);
    }

    /** A JSON string literal of {@code s}. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
