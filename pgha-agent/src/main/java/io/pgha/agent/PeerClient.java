package io.pgha.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgha.core.config.ApiListener;
import io.pgha.core.config.Credentials;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.dcs.Json;
import io.pgha.http.BasicAuth;
import io.pgha.http.Tls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks other members' agents over their REST APIs: for their live WAL positions in the leader
 * race (positions in the DCS may be a cycle old), and for failsafe confirmations. A member that
 * does not answer in time is left out. Calls go to each member's published {@code api_url}; with
 * https they verify the member's certificate against {@code restapi.cafile} (or the system's trust
 * store) and its host name, and show this member's certificate when {@code restapi.verify_client}
 * asks members for one. Thread-safe.
 */
public final class PeerClient implements Peers {
    private final HttpClient http;

    /** Plain HTTP only (https peers are verified against the system's trust store). */
    public PeerClient() {
        this(ApiListener.PLAIN);
    }

    /** Uses the TLS settings of this member's own REST API for calls to its peers. */
    public PeerClient(ApiListener listener) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500));
        b.sslContext(Tls.client(listener));
        this.http = b.build();
    }

    /**
     * Failsafe mode: asks every one of {@code members} to confirm {@code leader} as primary (POST
     * /failsafe, authenticated with {@code auth}); the names of those that did within {@code
     * timeoutMs}. A member counts only when its answer is 200 with {@code {"accepted": true,
     * "member": NAME}} naming that very member, so that a proxy, a stale address now used by
     * another member, or any other 200 is not mistaken for a confirmation.
     */
    @Override
    public Set<String> confirmLeader(Collection<Member> members, String leader, Credentials auth, long timeoutMs) {
        Map<String, CompletableFuture<HttpResponse<byte[]>>> calls = new HashMap<>();
        String body = Json.text(Map.of("leader", leader));
        for (Member m : members) {
            if (m.apiUrl() == null) continue;
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(m.apiUrl() + "/failsafe"))
                    .timeout(Duration.ofMillis(timeoutMs))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            if (auth != null) b.header("Authorization", BasicAuth.header(auth));
            calls.put(m.name(), http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()));
        }
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, CompletableFuture<HttpResponse<byte[]>>> c : calls.entrySet()) {
            try {
                HttpResponse<byte[]> r = c.getValue().get(timeoutMs + 100, TimeUnit.MILLISECONDS);
                if (r.statusCode() == 200 && confirms(r.body(), c.getKey())) out.add(c.getKey());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                // no confirmation
            }
        }
        return out;
    }

    /** A member's answer to a call passed on to it: status and at most {@link #MAX_ANSWER} bytes of body. */
    public record Answer(int status, byte[] body) {}

    static final int MAX_ANSWER = 64 * 1024;

    /**
     * POSTs an empty JSON object to {@code path} of {@code m}'s agent (its published {@code
     * api_url}), authenticated with {@code auth}: a member action the dashboard asked another agent
     * for ({@code POST /restart} with {@code member}).
     *
     * @throws java.io.IOException when the member cannot be reached or does not answer within {@code timeoutMs}
     */
    public Answer post(Member m, String path, Credentials auth, long timeoutMs)
            throws java.io.IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(m.apiUrl() + path))
                .timeout(Duration.ofMillis(timeoutMs))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (auth != null) b.header("Authorization", BasicAuth.header(auth));
        HttpResponse<java.io.InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream in = r.body()) {
            return new Answer(r.statusCode(), in.readNBytes(MAX_ANSWER));
        }
    }

    /** Whether {@code body} is {@code {"accepted": true, "member": member}}. */
    static boolean confirms(byte[] body, String member) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            return n != null
                    && n.path("accepted").isBoolean()
                    && n.path("accepted").booleanValue()
                    && member.equals(n.path("member").textValue());
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * A GET of {@code self}'s {@code /status}, as {@link #positions} sends to the other members, with
     * the answer dropped. Measured (BENCHMARKS.md, node crash): the first leader race of an agent
     * otherwise loads about 400 classes of the JDK's HTTP client and Netty's HTTP codec on both
     * sides and runs them interpreted, and the answers took 150-450 ms instead of about 10.
     */
    @Override
    public void warmUp(Member self) {
        if (self.apiUrl() == null) return;
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(self.apiUrl() + "/status"))
                    .timeout(Duration.ofSeconds(5))
                    .GET()
                    .build();
            var unused = http.sendAsync(req, HttpResponse.BodyHandlers.discarding()); // answer or failure alike
        } catch (RuntimeException e) {
            // a URL this client cannot use: the race will say so in its own way
        }
    }

    /** WAL positions of those {@code members} that answered within {@code timeoutMs}. */
    @Override
    public Map<String, Lsn> positions(Collection<Member> members, long timeoutMs) {
        Map<String, CompletableFuture<HttpResponse<byte[]>>> calls = new HashMap<>();
        for (Member m : members) {
            if (m.apiUrl() == null) continue;
            HttpRequest req = HttpRequest.newBuilder(URI.create(m.apiUrl() + "/status"))
                    .timeout(Duration.ofMillis(timeoutMs))
                    .GET()
                    .build();
            calls.put(m.name(), http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()));
        }
        Map<String, Lsn> out = new HashMap<>();
        for (Map.Entry<String, CompletableFuture<HttpResponse<byte[]>>> c : calls.entrySet()) {
            try {
                HttpResponse<byte[]> r = c.getValue().get(timeoutMs + 200, TimeUnit.MILLISECONDS);
                if (r.statusCode() == 200) {
                    Member m = Json.parse(r.body(), Member.class);
                    if (c.getKey().equals(m.name())
                            && m.state() != null
                            && m.role() != null
                            && m.walPosition() != null
                            && m.isRunningStandby()) {
                        out.put(c.getKey(), m.walPosition());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                // not answering: not a candidate
            }
        }
        return out;
    }
}
