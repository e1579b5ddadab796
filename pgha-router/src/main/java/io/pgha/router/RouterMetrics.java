package io.pgha.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The router's meters, exposed in Prometheus text format ({@link #scrape()}). All names start
 * with {@code pgha_router_}; the tag {@code listener} is read-write or read-only.
 */
public final class RouterMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter fromClient;
    private final Counter fromServer;
    private final Map<String, AtomicInteger> sessions = new ConcurrentHashMap<>();

    RouterMetrics(Router router) {
        fromClient = Counter.builder("pgha.router.bytes")
                .tag("direction", "client_to_server")
                .description("bytes relayed")
                .register(registry);
        fromServer = Counter.builder("pgha.router.bytes")
                .tag("direction", "server_to_client")
                .description("bytes relayed")
                .register(registry);
        Gauge.builder("pgha.router.sessions.waiting", router, Router::waitingSessions)
                .description("sessions waiting at the router for a backend")
                .register(registry);
    }

    /** The pooled listener's meters: clients, server connections, refused logins, pins by reason. */
    void pool(io.pgha.router.pool.PoolListener pool) {
        Gauge.builder("pgha.router.pool.clients", pool, io.pgha.router.pool.PoolListener::clients)
                .description("clients connected to the pooled listener")
                .register(registry);
        Gauge.builder(
                        "pgha.router.pool.server.connections",
                        pool,
                        p -> p.pools().values().stream().mapToInt(v -> v[1]).sum())
                .description("server connections of the pooled listener (idle and lent)")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder(
                        "pgha.router.pool.auth.failures", pool, io.pgha.router.pool.PoolListener::authFailures)
                .description("clients refused at the pooled listener: wrong password or unknown user")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder(
                        "pgha.router.pool.reads.retried", pool, p -> p.readsRetried())
                .description("reads that ran again because their server went away before answering")
                .register(registry);
        for (int i = 0; i < 2; i++) {
            int at = i;
            io.micrometer.core.instrument.FunctionCounter.builder("pgha.router.pool.reads", pool, p -> p.reads()[at])
                    .tag("on", at == 0 ? "standby" : "primary")
                    .description("transactions that only read, by where the read/write split ran them")
                    .register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder(
                            "pgha.router.pool.replay.waits", pool, p -> p.replayWaits()[at])
                    .tag("outcome", at == 0 ? "replayed" : "primary")
                    .description("reads that waited for a standby to replay the client's last commit:"
                            + " it did in time, or the read ran on the primary")
                    .register(registry);
        }
    }

    /** A pooled client was pinned to its server connection. */
    void pinned(String reason) {
        Counter.builder("pgha.router.pool.pins")
                .tag("reason", reason)
                .description("clients pinned to one server connection, by the session state that pinned them")
                .register(registry)
                .increment();
    }

    void fromClient(int bytes) {
        fromClient.increment(bytes);
    }

    void fromServer(int bytes) {
        fromServer.increment(bytes);
    }

    void decision(Target target, Route r) {
        String to = r instanceof Route.Backend b ? b.member() : "wait";
        Counter.builder("pgha.router.routing.decisions")
                .tag("listener", target.label())
                .tag("backend", to)
                .description("routing decisions for new sessions (backend 'wait': no backend qualified)")
                .register(registry)
                .increment();
    }

    /** A session started (+1) or stopped (-1) relaying to {@code member}. */
    void attached(Target target, String member, int delta) {
        sessions.computeIfAbsent(target.label() + "\u0000" + member, k -> {
                    AtomicInteger n = new AtomicInteger();
                    Gauge.builder("pgha.router.sessions", n, AtomicInteger::get)
                            .tag("listener", target.label())
                            .tag("backend", member)
                            .description("sessions relayed to each backend")
                            .register(registry);
                    return n;
                })
                .addAndGet(delta);
    }

    void waited(Target target, long nanos) {
        Timer.builder("pgha.router.wait")
                .tag("listener", target.label())
                .description("time new sessions waited for a backend")
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    void waitTimedOut(Target target) {
        Counter.builder("pgha.router.wait.timeouts")
                .tag("listener", target.label())
                .description("sessions refused after waiting too long")
                .register(registry)
                .increment();
    }

    void closed(String reason) {
        Counter.builder("pgha.router.sessions.closed")
                .tag("reason", reason)
                .description(
                        "sessions the router closed itself (switchover, lease_lost, protocol_violation, wait_timeout, refused)")
                .register(registry)
                .increment();
    }

    void connectFailed(String member) {
        Counter.builder("pgha.router.connect.failures")
                .tag("backend", member)
                .description("failed connections to a backend")
                .register(registry)
                .increment();
    }

    void cancel(boolean forwarded) {
        Counter.builder("pgha.router.cancel.requests")
                .tag("result", forwarded ? "forwarded" : "unknown_key")
                .description("cancel requests")
                .register(registry)
                .increment();
    }

    /** Every meter in Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        registry.close();
    }
}
