package io.pgha.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.Member;
import io.pgha.dcs.Json;
import io.pgha.http.BasicAuth;
import io.pgha.http.Tls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Calls a member's agent over its REST API (the {@code api_url} it published), authenticated with
 * the config's {@code restapi.authentication} and, with https, verified as the agents verify each
 * other (a node config) or against a client config's {@code restapi.cafile}.
 */
final class AgentClient {
    private final HttpClient http;
    private final ClientConfig.RestClient cfg;

    AgentClient(ClientConfig.RestClient cfg) {
        this.cfg = cfg;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
        b.sslContext(Tls.client(cfg.tls()));
        this.http = b.build();
    }

    /** POSTs {@code path} to {@code m}'s agent; its answer's message, or IllegalStateException with the refusal. */
    String post(Member m, String path) {
        return call(m, "POST", path, java.util.Map.of());
    }

    /**
     * Calls {@code method path} on {@code m}'s agent with {@code body} as JSON; its answer's message,
     * or IllegalStateException with the refusal.
     */
    String call(Member m, String method, String path, java.util.Map<String, ?> body) {
        if (m.apiUrl() == null) throw new IllegalStateException(m.name() + " has published no REST API address");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(m.apiUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
        if (cfg.auth() != null) b.header("Authorization", BasicAuth.header(cfg.auth()));
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot reach the agent of " + m.name() + " at " + m.apiUrl() + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        String message = message(r.body());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(m.name() + " refused " + path + " (" + r.statusCode() + "): " + message);
        }
        return message;
    }

    private static String message(String body) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            if (n.hasNonNull("message")) return n.get("message").asText();
            if (n.hasNonNull("error")) return n.get("error").asText();
        } catch (java.io.IOException e) {
            // not JSON
        }
        return body;
    }
}
