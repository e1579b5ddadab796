package io.pgha.agent;

import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.dcs.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Asks other members' agents for their live state over the REST API. Used in the leader race, where
 * positions in the DCS may be a cycle old. A member that does not answer in time is left out.
 */
public final class PeerClient {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

  /**
   * Failsafe mode: asks every one of {@code members} to confirm {@code leader} as primary (POST
   * /failsafe, authenticated with {@code auth}); the names of those that did, within {@code timeoutMs}.
   */
  public java.util.Set<String> confirmLeader(Collection<Member> members, String leader, io.pgha.core.config.Credentials auth,
      long timeoutMs) {
    Map<String, CompletableFuture<HttpResponse<byte[]>>> calls = new HashMap<>();
    String body = Json.text(Map.of("leader", leader));
    String basic = auth == null ? null : "Basic " + java.util.Base64.getEncoder().encodeToString(
        (auth.username() + ":" + auth.password()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    for (Member m : members) {
      if (m.apiUrl() == null) continue;
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(m.apiUrl() + "/failsafe"))
          .timeout(Duration.ofMillis(timeoutMs)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body));
      if (basic != null) b.header("Authorization", basic);
      calls.put(m.name(), http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()));
    }
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (Map.Entry<String, CompletableFuture<HttpResponse<byte[]>>> c : calls.entrySet()) {
      try {
        HttpResponse<byte[]> r = c.getValue().get(timeoutMs + 100, java.util.concurrent.TimeUnit.MILLISECONDS);
        if (r.statusCode() == 200) out.add(c.getKey());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        // no confirmation
      }
    }
    return out;
  }

  /** WAL positions of those {@code members} that answered within {@code timeoutMs}. */
  public Map<String, Lsn> positions(Collection<Member> members, long timeoutMs) {
    Map<String, CompletableFuture<HttpResponse<byte[]>>> calls = new HashMap<>();
    for (Member m : members) {
      if (m.apiUrl() == null) continue;
      HttpRequest req = HttpRequest.newBuilder(URI.create(m.apiUrl() + "/status"))
          .timeout(Duration.ofMillis(timeoutMs)).GET().build();
      calls.put(m.name(), http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()));
    }
    Map<String, Lsn> out = new HashMap<>();
    for (Map.Entry<String, CompletableFuture<HttpResponse<byte[]>>> c : calls.entrySet()) {
      try {
        HttpResponse<byte[]> r = c.getValue().get(timeoutMs + 200, java.util.concurrent.TimeUnit.MILLISECONDS);
        if (r.statusCode() == 200) {
          Member m = Json.parse(r.body(), Member.class);
          if (m.state() != null && m.role() != null && m.walPosition() != null && m.isRunningStandby()) {
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
