package io.pgha.http;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * One complete HTTP request, copied out of Netty's buffers (handlers need not release anything).
 *
 * @param method upper case, as sent ({@code GET}, {@code POST}, ...)
 * @param path the decoded path without the query
 * @param query decoded query parameters in order of appearance
 * @param headers header names in lower case; repeated headers keep their first value
 * @param remote the client's address
 * @param clientCertificate the client showed a certificate that the configured CA signed
 */
public record Request(
        String method,
        String path,
        Map<String, List<String>> query,
        Map<String, String> headers,
        byte[] body,
        InetSocketAddress remote,
        boolean clientCertificate) {

    public Request {
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
    }

    /** A request without headers, body or certificate (for tests and internal calls). */
    public static Request of(String method, String path, Map<String, List<String>> query) {
        return new Request(method, path, query, Map.of(), new byte[0], new InetSocketAddress("127.0.0.1", 0), false);
    }

    /** The first value of query parameter {@code name}, or null. */
    public String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** Header {@code name} (any case), or null. */
    public String header(String name) {
        return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    /** GET, HEAD or OPTIONS: reads nothing but state. */
    public boolean safe() {
        return method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS");
    }
}
