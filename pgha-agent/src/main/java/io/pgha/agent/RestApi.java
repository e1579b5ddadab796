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
 * them. A state-changing call that comes from a browser page must pass {@link SameOrigin} first.
 *
 * <p>{@code /ui} is the web dashboard ({@link Dashboard}: static files from this jar, from memory).
 * {@code GET /routers} and {@code GET /backups}, which the dashboard reads, may wait on the DCS or a
 * child process: they are answered from a cache or on a read thread of their own, never on the
 * event loop and never behind state-changing calls.
 */
final class RestApi implements AutoCloseable {
    static final int MAX_BODY = 64 * 1024;

    /** How stale {@code GET /routers} may be: dashboards polling together cost one DCS read a second. */
    static final long ROUTERS_FRESH_NANOS = 1_000_000_000L;

    private final AgentView agent;
    private final ClusterControl cluster;
    private final RestActions actions;
    private final AgentMetrics metrics;
    private final Dashboard dashboard = Dashboard.load();
    private final ExecutorService control = pool("rest-api-control", 2, 16);
    private final ExecutorService failsafe = pool("rest-api-failsafe", 1, 8);
    /** Reads that may wait on the DCS (the router list): never on the event loop, never behind changes. */
    private final ExecutorService reads = pool("rest-api-read", 1, 8);
    /** The background listing of backups (a child process of up to a minute): behind nothing else. */
    private final ExecutorService listing = pool("rest-api-backups", 1, 1);

    private final BackupList backups;
    private volatile Cached routers;
    private volatile PeerClient peers;
    private HttpServer server;

    /** An answer and when it was made ({@link System#nanoTime()}). */
    private record Cached(long atNanos, Response response) {}

    RestApi(AgentView agent, ClusterControl control) {
        this.agent = agent;
        this.cluster = control;
        this.actions = new RestActions(agent, control, this::peers);
        this.metrics = new AgentMetrics(agent);
        this.backups =
                new BackupList(agent::config, listing, BackupList.asOsUser(agent::config), System::currentTimeMillis);
    }

    /** The client for member actions passed on to other members, made on first use (with this node's TLS files). */
    private PeerClient peers() {
        PeerClient p = peers;
        if (p == null) {
            synchronized (this) {
                if (peers == null)
                    peers = new PeerClient(agent.config().restapi().listener());
                p = peers;
            }
        }
        return p;
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
        if (r.safe() && r.path().equals("/routers")) return routers(r);
        if (r.safe()) return CompletableFuture.completedFuture(read(r));
        Response refused =
                SameOrigin.check(r, agent.config().restapi().listener().tls());
        if (refused == null) refused = authenticate(r);
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
        if (Dashboard.handles(r.path()))
            return dashboard.serve(r, agent.config().restapi().auth());
        return switch (r.path()) {
            case "/status", "/patroni" ->
                agent.status() == null ? RestActions.json(503, Map.of("state", "starting")) : member(200);
            case "/cluster" ->
                RestActions.json(200, RestView.cluster(agent.config().cluster(), agent.cluster()));
            case "/history" -> RestActions.json(200, agent.cluster().history());
            case "/config" ->
                RestActions.json(
                        200, DynamicSettings.toDisplayMap(agent.cluster().config()));
            case "/resources" -> RestActions.json(200, RestView.resources(agent.cluster()));
            case "/sets" ->
                RestActions.json(
                        200,
                        agent.sets().stream()
                                .map(io.pgha.logical.SetStatus::toMap)
                                .toList());
            case "/metrics" -> Response.text(200, AgentMetrics.CONTENT_TYPE, metrics.scrape());
            case "/backups" -> RestActions.json(200, backups.current());
            default -> Response.error(404, "no such path: " + r.path());
        };
    }

    /**
     * {@code GET /routers}: the routers that follow this cluster, as they publish themselves in the
     * DCS. Reading them may wait on the DCS, so it runs on the read thread; an answer less than a
     * second old is given at once.
     */
    private CompletionStage<Response> routers(Request r) {
        Cached c = routers;
        if (c != null && System.nanoTime() - c.atNanos() < ROUTERS_FRESH_NANOS)
            return CompletableFuture.completedFuture(bodyFor(r, c.response()));
        return CompletableFuture.supplyAsync(
                () -> {
                    Cached again = routers;
                    if (again != null && System.nanoTime() - again.atNanos() < ROUTERS_FRESH_NANOS)
                        return bodyFor(r, again.response());
                    Response resp;
                    try {
                        resp = RestActions.json(200, cluster.routers());
                        routers = new Cached(System.nanoTime(), resp);
                    } catch (io.pgha.dcs.DcsException e) {
                        resp = Response.error(503, "cannot read the routers from the DCS: " + e.getMessage());
                    }
                    return bodyFor(r, resp);
                },
                reads);
    }

    private static Response bodyFor(Request r, Response full) {
        return r.method().equals("OPTIONS") ? full.withoutBody() : full;
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
        reads.shutdownNow();
        listing.shutdownNow();
        metrics.close();
    }
}
