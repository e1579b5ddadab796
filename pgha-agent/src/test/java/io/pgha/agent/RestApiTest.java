package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.Credentials;
import io.pgha.core.model.FailoverRequest;
import io.pgha.dcs.Json;
import io.pgha.http.BasicAuth;
import io.pgha.http.Request;
import io.pgha.http.Response;
import io.pgha.testkit.FreePorts;
import io.pgha.testkit.InMemoryDcs;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's REST API over real HTTP on 127.0.0.1, reading a fixed view instead of a running agent. */
class RestApiTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final Duration CLIENT_TIMEOUT =
            Duration.ofSeconds(10); // a loaded machine: the first request loads classes
    private static final Credentials ADMIN = new Credentials("admin", "s3cret");
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(CLIENT_TIMEOUT).build();
    private final List<AutoCloseable> open = new ArrayList<>();
    private InMemoryDcs dcs;
    private int port;

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    private FakeView view(Map<String, Object> extra) {
        port = FreePorts.one();
        Map<String, Object> keys = new HashMap<>(
                Map.of("restapi.listen", "127.0.0.1", "restapi.port", port, "restapi.request_timeout", "1s"));
        keys.putAll(extra);
        return FakeView.of().with(keys);
    }

    private FakeView withAuth() {
        return view(Map.of(
                "restapi.authentication.username",
                ADMIN.username(),
                "restapi.authentication.password",
                ADMIN.password()));
    }

    private RestApi start(FakeView v) throws Exception {
        dcs = new InMemoryDcs.Store().load(v.cluster()).connect();
        RestApi api = new RestApi(v, new ClusterControl(dcs, () -> NOW));
        open.add(api);
        api.start();
        return api;
    }

    private HttpResponse<String> call(String method, String path, String body, Credentials auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(CLIENT_TIMEOUT)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (auth != null) b.header("Authorization", BasicAuth.header(auth));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void primaryAnswersWhileSixteenClientsHoldHalfSentRequests() throws Exception {
        start(view(Map.of()).primary().lease());
        List<Socket> stalled = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            Socket s = new Socket();
            open.add(s);
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.getOutputStream().write("GET /primary HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            stalled.add(s);
        }
        HttpResponse<String> r = call("GET", "/primary", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"name\":\"n1\"");
        for (Socket s : stalled) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            assertThat(in.read())
                    .as("closed by the server after restapi.request_timeout")
                    .isEqualTo(-1);
        }
    }

    @Test
    void headAndOptionsAnswerWithTheStatusOnly() throws Exception {
        start(view(Map.of()).primary().lease());
        for (String m : List.of("HEAD", "OPTIONS")) {
            HttpResponse<String> root = call(m, "/", null, null);
            assertThat(root.statusCode()).as(m + " /").isEqualTo(200);
            assertThat(root.body()).isEmpty();
            assertThat(call(m, "/replica", null, null).statusCode())
                    .as(m + " /replica")
                    .isEqualTo(503);
        }
        assertThat(call("GET", "/", null, null).body()).contains("\"role\":\"PRIMARY\"");
    }

    @Test
    void statusAndClusterSpeakPatronisFieldNames() throws Exception {
        start(view(Map.of()).standby(90, true).failover(new FailoverRequest("n0", "n1", NOW + 60_000, NOW, null)));
        HttpResponse<String> status = call("GET", "/patroni", null, null);
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(status.body()).path("name").asText()).isEqualTo("n1");

        var cluster = Json.MAPPER.readTree(call("GET", "/cluster", null, null).body());
        assertThat(cluster.path("pause").isBoolean()).isTrue();
        assertThat(cluster.path("scheduled_switchover").path("from").asText()).isEqualTo("n0");
        assertThat(cluster.path("scheduled_switchover").path("to").asText()).isEqualTo("n1");
        var n1 = cluster.path("members").get(1);
        assertThat(n1.path("name").asText()).isEqualTo("n1");
        assertThat(n1.path("host").asText()).isEqualTo("10.0.0.1");
        assertThat(n1.path("port").asInt()).isEqualTo(5432);
        assertThat(n1.path("timeline").asInt()).isEqualTo(2);
        assertThat(n1.path("lag").asLong()).isEqualTo(10 * FakeView.MB);
        assertThat(cluster.path("members").get(0).has("lag"))
                .as("the leader has no lag")
                .isFalse();
        assertThat(call("GET", "/nope", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void statusIsUnavailableOnlyBeforeTheFirstCycle() throws Exception {
        start(view(Map.of()));
        HttpResponse<String> r = call("GET", "/status", null, null);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("starting");
    }

    @Test
    void stateChangingCallsNeedTheConfiguredCredentials() throws Exception {
        start(withAuth().primary().lease());
        HttpResponse<String> none = call("POST", "/pause", "", null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Basic realm=\"pgha\"");
        assertThat(call("POST", "/pause", "", new Credentials("admin", "wrong")).statusCode())
                .isEqualTo(401);
        assertThat(dcs.read().config().paused()).isFalse();

        assertThat(call("POST", "/pause", "", ADMIN).statusCode()).isEqualTo(200);
        assertThat(dcs.read().config().paused()).isTrue();
        HttpResponse<String> patched =
                call("PATCH", "/config", "{\"synchronous_mode\": \"on\", \"pause\": false}", ADMIN);
        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
        assertThat(dcs.read().config().synchronous()).isTrue();
        assertThat(dcs.read().config().paused()).isFalse();
        assertThat(call("PATCH", "/config", "{\"synchronous_mode\": \"sometimes\"}", ADMIN)
                        .statusCode())
                .isEqualTo(400);
        assertThat(call("POST", "/switchover", "{not json", ADMIN).statusCode()).isEqualTo(400);
        assertThat(call("PUT", "/pause", "", ADMIN).statusCode()).isEqualTo(405);
        assertThat(call("POST", "/config", "{}", ADMIN).statusCode()).isEqualTo(405);
        assertThat(call("POST", "/nope", "", ADMIN).statusCode()).isEqualTo(404);
    }

    @Test
    void withoutAnyCredentialConfiguredEveryChangeIsRefused() throws Exception {
        start(view(Map.of()).primary().lease());
        HttpResponse<String> r = call("POST", "/pause", "", ADMIN);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("no restapi.authentication");
    }

    @Test
    void deleteSwitchoverCancelsOnlyAPendingScheduledOne() throws Exception {
        start(withAuth().primary().lease().failover(new FailoverRequest("n1", "n0", NOW + 3_600_000, NOW, null)));
        assertThat(call("DELETE", "/switchover", null, null).statusCode()).isEqualTo(401);
        assertThat(dcs.store().snapshot().failover()).isNotNull();

        HttpResponse<String> cancelled = call("DELETE", "/switchover", null, ADMIN);
        assertThat(cancelled.statusCode()).isEqualTo(200);
        assertThat(cancelled.body()).contains("cancelled the switchover to n0 scheduled for");
        assertThat(cancelled.body().indexOf("\"message\""))
                .as("the message comes first in every JVM (Map.of's order varies): " + cancelled.body())
                .isLessThan(cancelled.body().indexOf("\"request\""));
        assertThat(dcs.store().snapshot().failover()).isNull();

        HttpResponse<String> again = call("DELETE", "/switchover", null, ADMIN);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(again.body()).contains("no scheduled switchover is pending");

        dcs.requestFailover(new FailoverRequest(null, "n0", 0, NOW, null));
        HttpResponse<String> failover = call("DELETE", "/switchover", null, ADMIN);
        assertThat(failover.statusCode()).isEqualTo(409);
        assertThat(dcs.store().snapshot().failover()).isNotNull();
    }

    @Test
    void restartNowOrScheduledWithPatronisBodyAndDeleteCancels() throws Exception {
        FakeView v = withAuth().standby(100, true);
        start(v);
        assertThat(call("POST", "/restart", "{\"schedule\": \"2030-01-01T00:00:00Z\"}", null)
                        .statusCode())
                .isEqualTo(401);
        HttpResponse<String> later =
                call("POST", "/restart", "{\"schedule\": \"2030-01-01T01:00:00+01:00\", \"role\": \"replica\"}", ADMIN);
        assertThat(later.statusCode()).as(later.body()).isEqualTo(202);
        assertThat(later.body()).contains("scheduled for 2030-01-01T00:00:00Z (replica only)");
        assertThat(v.scheduled.at())
                .isEqualTo(java.time.Instant.parse("2030-01-01T00:00:00Z").toEpochMilli());
        assertThat(v.restarts.get()).isZero();
        assertThat(call("POST", "/restart", "{\"schedule\": \"2030-01-02T00:00:00Z\"}", ADMIN)
                        .statusCode())
                .isEqualTo(409);

        HttpResponse<String> cancelled = call("DELETE", "/restart", null, ADMIN);
        assertThat(cancelled.statusCode()).isEqualTo(200);
        assertThat(cancelled.body()).contains("cancelled the restart of n1 scheduled for 2030-01-01T00:00:00Z");
        assertThat(v.scheduled).isNull();
        assertThat(call("DELETE", "/restart", null, ADMIN).statusCode()).isEqualTo(404);

        HttpResponse<String> bad = call("POST", "/restart", "{\"schedule\": \"tomorrow\"}", ADMIN);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("schedule: 'tomorrow' is not an ISO-8601 time");
        assertThat(call("POST", "/restart", "{\"role\": \"leader\"}", ADMIN).statusCode())
                .isEqualTo(400);
        assertThat(call("POST", "/restart", "{\"restart_pending\": \"yes\"}", ADMIN)
                        .statusCode())
                .isEqualTo(400);

        HttpResponse<String> primaryOnly = call("POST", "/restart", "{\"role\": \"primary\"}", ADMIN);
        assertThat(primaryOnly.statusCode()).isEqualTo(409);
        assertThat(primaryOnly.body()).contains("not needed: the member is no longer a primary");
        HttpResponse<String> pendingOnly = call("POST", "/restart", "{\"restart_pending\": true}", ADMIN);
        assertThat(pendingOnly.statusCode()).isEqualTo(409);
        assertThat(pendingOnly.body()).contains("no setting waits for a restart");
        assertThat(v.restarts.get()).isZero();
        assertThat(call("POST", "/restart", "", ADMIN).statusCode()).isEqualTo(202);
        assertThat(v.restarts.get()).isEqualTo(1);
    }

    @Test
    void patchConfigChecksPostgresqlParametersAgainstTheRunningServerAndMergesThem() throws Exception {
        start(withAuth().primary().lease());
        HttpResponse<String> ok = call(
                "PATCH",
                "/config",
                "{\"postgresql\": {\"parameters\": {\"work_mem\": \"8MB\", \"wal_compression\": \"lz4\"}}}",
                ADMIN);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(dcs.read().config().postgresql().parameters())
                .containsEntry("work_mem", "8MB")
                .containsEntry("wal_compression", "lz4");

        HttpResponse<String> merged =
                call("PATCH", "/config", "{\"postgresql\": {\"parameters\": {\"wal_compression\": null}}}", ADMIN);
        assertThat(merged.statusCode()).as(merged.body()).isEqualTo(200);
        assertThat(dcs.read().config().postgresql().parameters())
                .as("a merge: one removed, the other kept")
                .containsExactly(Map.entry("work_mem", "8MB"));

        HttpResponse<String> unknown = call("PATCH", "/config", "{\"postgresql.parameters.wrok_mem\": \"1MB\"}", ADMIN);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("postgresql.parameters.wrok_mem: PostgreSQL has no parameter of this name");
        HttpResponse<String> bad = call(
                "PATCH",
                "/config",
                "{\"postgresql\": {\"parameters\": {\"work_mem\": \"lots\", \"wal_compression\": \"maybe\"}}}",
                ADMIN);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body())
                .contains(
                        "postgresql.parameters.work_mem: 'lots' is not a number",
                        "wal_compression: 'maybe' is not one of");
        assertThat(call("PATCH", "/config", "{\"postgresql\": {\"parametres\": {}}}", ADMIN)
                        .body())
                .contains("postgresql.parametres: unknown key");
        assertThat(dcs.read().config().postgresql().parameters()).containsExactly(Map.entry("work_mem", "8MB"));

        HttpResponse<String> unchecked =
                call("PATCH", "/config?check=false", "{\"postgresql.parameters.my.custom\": \"x\"}", ADMIN);
        assertThat(unchecked.statusCode()).as(unchecked.body()).isEqualTo(200);
        assertThat(dcs.read().config().postgresql().parameters()).containsEntry("my.custom", "x");
        assertThat(call("PATCH", "/config", "{\"pause\": true}", ADMIN).statusCode())
                .as("no parameter changed: nothing to check")
                .isEqualTo(200);
    }

    @Test
    void patchConfigOfParametersIsRefusedWhileTheLocalServerIsDown() throws Exception {
        start(withAuth());
        HttpResponse<String> r = call("PATCH", "/config", "{\"postgresql.parameters.work_mem\": \"8MB\"}", ADMIN);
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("PostgreSQL is not running on n1");
        assertThat(dcs.read().config().postgresql().parameters()).isEmpty();
    }

    @Test
    void failsafeSaysWhoAnswered() throws Exception {
        FakeView v = withAuth().standby(100, true);
        start(v);
        HttpResponse<String> yes = call("POST", "/failsafe", "{\"leader\":\"n0\"}", ADMIN);
        assertThat(yes.statusCode()).isEqualTo(200);
        assertThat(PeerClient.confirms(yes.body().getBytes(StandardCharsets.UTF_8), "n1"))
                .isTrue();
        HttpResponse<String> no = call("POST", "/failsafe", "{\"leader\":\"n7\"}", ADMIN);
        assertThat(no.statusCode()).isEqualTo(409);
        assertThat(no.body()).contains("\"accepted\":false");
        assertThat(v.acceptedLeader).isEqualTo("n7");
    }

    @Test
    void verifyClientMakesACertificateACredentialForChanges() throws Exception {
        String pem = Files.writeString(dir.resolve("any.pem"), "x").toString();
        FakeView v = view(Map.of(
                        "restapi.certfile",
                        pem,
                        "restapi.keyfile",
                        pem,
                        "restapi.cafile",
                        pem,
                        "restapi.verify_client",
                        "optional"))
                .primary()
                .lease();
        RestApi api = new RestApi(
                v, new ClusterControl(new InMemoryDcs.Store().load(v.cluster()).connect(), () -> NOW));
        open.add(api);
        Response without = api.handle(request(false)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(without.status()).isEqualTo(401);
        assertThat(new String(without.body(), StandardCharsets.UTF_8)).contains("client certificate");
        Response with = api.handle(request(true)).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(with.status()).isEqualTo(200);
        assertThat(api.handle(new Request(
                                "GET",
                                "/primary",
                                Map.of(),
                                Map.of(),
                                new byte[0],
                                new InetSocketAddress("127.0.0.1", 1),
                                false))
                        .toCompletableFuture()
                        .get()
                        .status())
                .as("reading needs no certificate with verify_client: optional")
                .isEqualTo(200);
    }

    private HttpResponse<String> fromBrowser(String path, String origin, String site, boolean marker) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(CLIENT_TIMEOUT)
                .header("Authorization", BasicAuth.header(ADMIN))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        if (origin != null) b.header("Origin", origin);
        if (site != null) b.header("Sec-Fetch-Site", site);
        if (marker) b.header("X-Requested-By", "pgha");
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aBrowserPageMayChangeStateOnlyFromTheApisOwnOriginWithTheMarkerHeader() throws Exception {
        start(withAuth().primary().lease());
        String own = "http://127.0.0.1:" + port;
        HttpResponse<String> evil = fromBrowser("/pause", "http://evil.example", "cross-site", true);
        assertThat(evil.statusCode()).isEqualTo(403);
        assertThat(evil.body()).contains("cross-site");
        assertThat(fromBrowser("/pause", "http://evil.example", null, true).statusCode())
                .as("an Origin other than the API's own")
                .isEqualTo(403);
        assertThat(fromBrowser("/pause", "null", null, true).statusCode()).isEqualTo(403);
        assertThat(fromBrowser("/pause", null, "same-site", true).statusCode())
                .as("another port or subdomain of the same site")
                .isEqualTo(403);
        assertThat(fromBrowser("/pause", "https://127.0.0.1:" + port, "same-origin", true)
                        .statusCode())
                .as("another scheme")
                .isEqualTo(403);
        HttpResponse<String> noMarker = fromBrowser("/pause", own, "same-origin", false);
        assertThat(noMarker.statusCode()).isEqualTo(403);
        assertThat(noMarker.body()).contains("X-Requested-By");
        assertThat(dcs.read().config().paused()).isFalse();

        assertThat(fromBrowser("/pause", own, "same-origin", true).statusCode()).isEqualTo(200);
        assertThat(dcs.read().config().paused()).isTrue();
        assertThat(fromBrowser("/resume", null, null, false).statusCode())
                .as("no Origin, no Sec-Fetch-Site: the CLI, agents, curl")
                .isEqualTo(200);
        assertThat(dcs.read().config().paused()).isFalse();
        assertThat(call("POST", "/pause", "", ADMIN).statusCode()).isEqualTo(200);
    }

    @Test
    void theCrossSiteRefusalComesBeforeTheCredentials() throws Exception {
        start(withAuth().primary().lease());
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/pause"))
                .timeout(CLIENT_TIMEOUT)
                .header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<String> refused = http.send(r, HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.headers().firstValue("WWW-Authenticate"))
                .as("no prompt for credentials on behalf of another site")
                .isEmpty();
    }

    @Test
    void routersAreReadFromTheDcs() throws Exception {
        start(view(Map.of()).primary().lease());
        assertThat(call("GET", "/routers", null, null).body()).isEqualTo("[]");
        dcs.publishRouter(
                new io.pgha.core.model.RouterStatus("r1", "10.0.0.5:6432", null, Map.of("n1", 3), 1, 42, NOW));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            HttpResponse<String> r = call("GET", "/routers", null, null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"name\":\"r1\"", "\"sessions\":{\"n1\":3}");
        });
        assertThat(call("OPTIONS", "/routers", null, null).body()).isEmpty();
    }

    @Test
    void backupsSayWhenTheNodeHasNoArchive() throws Exception {
        start(view(Map.of()).primary().lease());
        HttpResponse<String> r = call("GET", "/backups", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"configured\":false", "no archive: section");
    }

    @Test
    void aMemberActionOnAnotherMemberIsPassedOnToItsAgent() throws Exception {
        List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        int[] status = {202};
        io.pgha.http.HttpServer peer = io.pgha.http.HttpServer.start(
                "peer", "127.0.0.1", 0, io.pgha.core.config.ApiListener.PLAIN, 1024, r -> {
                    seen.add(r.method() + " " + r.path() + " " + r.header("Authorization") + " "
                            + new String(r.body(), StandardCharsets.UTF_8));
                    return java.util.concurrent.CompletableFuture.completedFuture(
                            status[0] == 202
                                    ? Response.json(
                                            202,
                                            "{\"message\":\"restart of n0 started\"}".getBytes(StandardCharsets.UTF_8))
                                    : Response.error(status[0], "not now"));
                });
        open.add(peer);
        FakeView v = withAuth().primary().lease();
        v.peerApiUrl = "http://127.0.0.1:" + peer.port();
        start(v);

        HttpResponse<String> r = call("POST", "/restart", "{\"member\": \"n0\"}", ADMIN);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(r.body()).contains("n0: restart of n0 started");
        assertThat(seen).containsExactly("POST /restart " + BasicAuth.header(ADMIN) + " {}");
        assertThat(v.restarts.get()).as("not this member").isZero();

        status[0] = 409;
        HttpResponse<String> refused = call("POST", "/reinitialize", "{\"member\": \"n0\"}", ADMIN);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("n0: not now");
        assertThat(seen).last().asString().startsWith("POST /reinitialize ");

        status[0] = 401;
        HttpResponse<String> creds = call("POST", "/restart", "{\"member\": \"n0\"}", ADMIN);
        assertThat(creds.statusCode()).as("the caller's credentials were fine").isEqualTo(502);
        assertThat(creds.body()).contains("refused this node's credentials");

        HttpResponse<String> unknown = call("POST", "/restart", "{\"member\": \"n7\"}", ADMIN);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("no member named 'n7'");
        int before = seen.size();
        assertThat(call("POST", "/restart", "{\"member\": \"n0\"}", null).statusCode())
                .as("authenticated here first")
                .isEqualTo(401);
        assertThat(seen).hasSize(before);

        HttpResponse<String> self = call("POST", "/restart", "{\"member\": \"n1\"}", ADMIN);
        assertThat(self.statusCode()).isEqualTo(202);
        assertThat(v.restarts.get()).isEqualTo(1);
        assertThat(seen).hasSize(before);
    }

    @Test
    void anUnreachableMemberIsReportedAsSuch() throws Exception {
        FakeView v = withAuth().primary().lease();
        v.peerApiUrl = "http://127.0.0.1:" + FreePorts.one();
        start(v);
        HttpResponse<String> r = call("POST", "/restart", "{\"member\": \"n0\"}", ADMIN);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("cannot reach the agent of n0 at http://127.0.0.1:");
    }

    private static Request request(boolean cert) {
        return new Request(
                "POST", "/pause", Map.of(), Map.of(), new byte[0], new InetSocketAddress("127.0.0.1", 1), cert);
    }

    @Test
    void resourcesAreShownToAllAndCleanedUpOnlyWithCredentials() throws Exception {
        FakeView v = withAuth().primary().lease();
        Map<String, Object> settings = new java.util.LinkedHashMap<>();
        settings.put("resources", Map.of("vip", Map.of("kind", "ip", "address", "10.0.0.100/24")));
        settings.put(
                "fencing",
                Map.of(
                        "mode",
                        "required",
                        "devices",
                        Map.of(
                                "ipmi",
                                Map.of(
                                        "agent",
                                        "/usr/sbin/fence_ipmilan",
                                        "options",
                                        Map.of("ip", "10.0.0.9", "password", "hunter2")))));
        v.dynamic = io.pgha.core.config.DynamicSettings.apply(v.dynamic, settings);
        start(v);
        HttpResponse<String> r = call("GET", "/resources", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body())
                .contains("\"name\":\"vip\"", "\"with\":\"primary\"", "\"target\":[\"n1\"]", "\"running_on\":[]");

        HttpResponse<String> config = call("GET", "/config", null, null);
        assertThat(config.body())
                .contains("\"ip\":\"10.0.0.9\"", "\"password\":\"******\"")
                .doesNotContain("hunter2");

        assertThat(call("POST", "/resources/cleanup", "{\"resource\":\"vip\"}", null)
                        .statusCode())
                .isEqualTo(401);
        HttpResponse<String> done = call("POST", "/resources/cleanup", "{\"resource\":\"vip\"}", ADMIN);
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(done.body()).contains("resource vip: failures cleared on n1");
        assertThat(v.cleanedUp).containsExactly("vip");
        HttpResponse<String> unknown = call("POST", "/resources/cleanup", "{\"resource\":\"nope\"}", ADMIN);
        assertThat(unknown.statusCode()).isEqualTo(409);
        assertThat(unknown.body()).contains("no resource named 'nope'");
        assertThat(call("POST", "/resources/cleanup", "{}", ADMIN).body()).contains("resource: is required");
    }
}
