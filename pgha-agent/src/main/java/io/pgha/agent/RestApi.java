package io.pgha.agent;

import io.pgha.core.config.ApiListener;
import io.pgha.core.config.Credentials;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.Member;
import io.pgha.http.BasicAuth;
import io.pgha.http.HttpServer;
import io.pgha.http.Request;
import io.pgha.http.Response;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The agent's REST API, with Patroni's health paths so that existing HAProxy, Kubernetes and
 * monitoring checks work unchanged (see {@link HealthChecks} and docs/rest-api.md).
 *
 * <p>GET, HEAD and OPTIONS read the agent's latest view and are answered on the server's event
 * loop at once, whatever other clients do; HEAD and OPTIONS answer with the status code only.
 * State-changing calls (POST, PATCH /config, DELETE /switchover) need every configured credential
 * (basic auth from {@code restapi.authentication}, a client certificate when {@code
 * restapi.verify_client} is not none); without any configured they are refused with 401. They may
 * wait on the DCS, so they run on two worker threads with a short queue (503 when it is full);
 * {@code POST /failsafe} has its own thread so that a primary's confirmations never wait behind
 * them.
 */
final class RestApi implements AutoCloseable {
    static final int MAX_BODY = 64 * 1024;

    private final AgentView agent;
    private final RestActions actions;
    private final AgentMetrics metrics;
    private final ExecutorService control = pool("rest-api-control", 2, 16);
    private final ExecutorService failsafe = pool("rest-api-failsafe", 1, 8);
    private HttpServer server;

    RestApi(AgentView agent, ClusterControl control) {
        this.agent = agent;
        this.actions = new RestActions(agent, control);
        this.metrics = new AgentMetrics(agent);
    }

    /** Listens on {@code restapi.listen:port}. */
    void start() throws IOException {
        NodeConfig.RestApi api = agent.config().restapi();
        server = HttpServer.start("rest-api", api.listen(), api.port(), api.listener(), MAX_BODY, this::handle);
    }

    int port() {
        return server.port();
    }

    CompletionStage<Response> handle(Request r) {
        if (r.safe()) return CompletableFuture.completedFuture(read(r));
        Response refused = authenticate(r);
        if (refused != null) return CompletableFuture.completedFuture(refused);
        ExecutorService pool = r.path().equals("/failsafe") ? failsafe : control;
        return CompletableFuture.supplyAsync(() -> actions.handle(r), pool);
    }

    // ------------------------------------------------------------------ GET, HEAD, OPTIONS

    /** The answer to a GET, HEAD or OPTIONS; never blocks. */
    Response read(Request r) {
        Response full = get(r);
        return r.method().equals("OPTIONS") ? full.withoutBody() : full;
    }

    private Response get(Request r) {
        int health = HealthChecks.status(r, agent);
        if (health != 0) return member(health);
        return switch (r.path()) {
            case "/status", "/patroni" ->
                agent.status() == null ? RestActions.json(503, Map.of("state", "starting")) : member(200);
            case "/cluster" ->
                RestActions.json(200, RestView.cluster(agent.config().cluster(), agent.cluster()));
            case "/history" -> RestActions.json(200, agent.cluster().history());
            case "/config" ->
                RestActions.json(200, DynamicSettings.toMap(agent.cluster().config()));
            case "/metrics" -> Response.text(200, AgentMetrics.CONTENT_TYPE, metrics.scrape());
            default -> Response.error(404, "no such path: " + r.path());
        };
    }

    private Response member(int status) {
        Member me = agent.status();
        return RestActions.json(status, me == null ? Map.of("state", "unknown") : me);
    }

    // ------------------------------------------------------------------ authentication

    /** Null when {@code r} carries every configured credential; otherwise the 401 to answer. */
    private Response authenticate(Request r) {
        Credentials auth = agent.config().restapi().auth();
        boolean certNeeded = agent.config().restapi().listener().verifyClient() != ApiListener.VerifyClient.NONE;
        if (auth == null && !certNeeded) {
            return unauthorized("state-changing calls are disabled: no restapi.authentication in this node's config");
        }
        if (certNeeded && !r.clientCertificate())
            return unauthorized("a client certificate signed by restapi.cafile is required");
        if (auth != null && !BasicAuth.matches(r.header("Authorization"), auth))
            return unauthorized("authentication required");
        return null;
    }

    private static Response unauthorized(String why) {
        return Response.error(401, why).withHeader("WWW-Authenticate", "Basic realm=\"pgha\"");
    }

    private static ExecutorService pool(String name, int threads, int queue) {
        return new ThreadPoolExecutor(
                threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
    }

    @Override
    public void close() {
        if (server != null) server.close();
        control.shutdownNow();
        failsafe.shutdownNow();
        metrics.close();
    }
}
