package io.pgha.router.pool;

import io.pgha.core.config.PoolConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * Runs the admin console's commands ({@link AdminCommand}) against the pooled listener, on its event
 * loop, and answers with PostgreSQL result sets as PgBouncer's console does.
 */
final class AdminConsole {
    private AdminConsole() {}

    /**
     * What a command answers: protocol messages (without the final ReadyForQuery), sent once {@code
     * until} holds (PAUSE and WAIT_CLOSE wait; everything else answers at once).
     */
    record Reply(List<Frame> frames, BooleanSupplier until) {
        static Reply now(List<Frame> frames) {
            return new Reply(frames, () -> true);
        }
    }

    /** One result column: text, or a number (int8). */
    private record Col(String name, boolean number) {}

    static Reply run(PoolListener l, AdminCommand c) {
        String db = c.argument();
        return switch (c.verb()) {
            case SHOW -> Reply.now(show(l, c.argument()));
            case PAUSE -> {
                l.pause(db);
                yield new Reply(List.of(complete("PAUSE")), () -> l.pausedAndDrained(db));
            }
            case RESUME -> {
                l.resume(db);
                yield Reply.now(List.of(complete("RESUME")));
            }
            case RELOAD -> {
                l.reload();
                yield Reply.now(List.of(complete("RELOAD")));
            }
            case KILL -> {
                int n = l.kill(db);
                yield Reply.now(List.of(notice(n + " client(s) disconnected"), complete("KILL")));
            }
            case RECONNECT -> {
                l.reconnect(db);
                yield Reply.now(List.of(complete("RECONNECT")));
            }
            case WAIT_CLOSE -> new Reply(List.of(complete("WAIT_CLOSE")), () -> l.retiredClosed(db));
        };
    }

    private static List<Frame> show(PoolListener l, String what) {
        List<Col> cols = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        switch (what) {
            case "HELP" -> {
                cols.add(new Col("command", false));
                cols.add(new Col("does", false));
                for (String[] r : new String[][] {
                    {"SHOW POOLS", "server connections and waiting clients per database, user and target"},
                    {"SHOW CLIENTS", "one row per client"},
                    {"SHOW SERVERS", "one row per server connection"},
                    {"SHOW STATS", "transactions, queries and where reads ran, per database"},
                    {"SHOW CONFIG", "the pooled listener's settings"},
                    {"SHOW LISTS", "how many of each: databases, users, pools, clients, servers"},
                    {"SHOW VERSION", "the router's version"},
                    {"PAUSE [db]", "lend no more servers; answers once every server is back, then closes them"},
                    {"RESUME [db]", "lend servers again"},
                    {"RELOAD", "read the auth file again"},
                    {"KILL [db]", "disconnect the clients and close the servers now"},
                    {"RECONNECT [db]", "close each server connection when it comes back"},
                    {"WAIT_CLOSE [db]", "answer once the server connections RECONNECT retired are closed"},
                }) rows.add(List.of(r[0], r[1]));
            }
            case "POOLS" -> {
                for (String n : List.of("database", "user", "target")) cols.add(new Col(n, false));
                for (String n : List.of("cl_active", "cl_waiting", "sv_active", "sv_idle", "sv_total"))
                    cols.add(new Col(n, true));
                cols.add(new Col("pool_mode", false));
                cols.add(new Col("paused", false));
                cols.add(new Col("pool_size", true));
                cols.add(new Col("reserve_used", true));
                Map<String, int[]> active = new TreeMap<>();
                for (PooledClient c : l.clientList())
                    if (c.server != null) active.computeIfAbsent(key(c.server.key), k -> new int[1])[0]++;
                var stats = new TreeMap<String, Object[]>();
                l.pool().stats().forEach((k, v) -> stats.put(key(k), new Object[] {k, v}));
                for (Object[] e : stats.values()) {
                    PoolKey k = (PoolKey) e[0];
                    int[] v = (int[]) e[1];
                    PoolConfig.Effective pc = l.config().pool(k.database(), k.user());
                    rows.add(List.of(
                            k.database(),
                            k.user(),
                            k.member() == null ? "primary" : "standby " + k.member(),
                            active.getOrDefault(key(k), new int[1])[0],
                            v[2],
                            v[1] - v[0],
                            v[0],
                            v[1],
                            pc.mode().name().toLowerCase(java.util.Locale.ROOT),
                            l.paused(k.database()) ? "yes" : "no",
                            pc.poolSize(),
                            v[3]));
                }
            }
            case "CLIENTS" -> {
                for (String n : List.of("user", "database", "state", "addr")) cols.add(new Col(n, false));
                cols.add(new Col("port", true));
                for (String n : List.of("connect_time", "server", "pinned", "read_lsn", "pid"))
                    cols.add(new Col(n, false));
                for (PooledClient c : l.clientList()) {
                    var a = c.address();
                    rows.add(List.of(
                            String.valueOf(c.user),
                            String.valueOf(c.database),
                            c.state(),
                            a == null ? "" : a.getAddress().getHostAddress(),
                            a == null ? 0 : a.getPort(),
                            Instant.ofEpochMilli(c.connectedAt).toString(),
                            c.server == null ? "" : c.server.member,
                            c.pinned == null ? "" : c.pinned,
                            c.readLsn(),
                            c.key == null ? "" : String.valueOf(c.key.processId())));
                }
            }
            case "SERVERS" -> {
                for (String n : List.of("user", "database", "member", "role", "state", "addr"))
                    cols.add(new Col(n, false));
                cols.add(new Col("port", true));
                cols.add(new Col("age_s", true));
                cols.add(new Col("prepared", true));
                cols.add(new Col("retired", false));
                cols.add(new Col("tls", false));
                List<ServerConn> lent = new ArrayList<>();
                for (PooledClient c : l.clientList()) if (c.server != null) lent.add(c.server);
                for (ServerConn s : lent) rows.add(serverRow(s, "active"));
                for (ServerConn s : l.pool().idle()) rows.add(serverRow(s, "idle"));
            }
            case "STATS" -> {
                cols.add(new Col("database", false));
                for (String n : List.of(
                        "total_xact_count",
                        "total_query_count",
                        "reads_on_standbys",
                        "reads_on_primary",
                        "replay_waits_replayed",
                        "replay_waits_primary")) cols.add(new Col(n, true));
                l.statsByDatabase().forEach((db, v) -> {
                    List<Object> r = new ArrayList<>();
                    r.add(db);
                    for (long x : v) r.add(x);
                    rows.add(r);
                });
            }
            case "CONFIG" -> {
                cols.add(new Col("key", false));
                cols.add(new Col("value", false));
                cols.add(new Col("reload", false));
                PoolConfig p = l.config();
                PoolConfig.Split sp = p.split();
                PoolConfig.Limits lim = p.limits();
                Object[][] cfg = {
                    {"port", p.port(), "restart"},
                    {"mode", p.mode().name().toLowerCase(java.util.Locale.ROOT), "restart"},
                    {"auth_type", p.authType(), "restart"},
                    {"auth_file", p.authFile(), "SIGHUP"},
                    {"pool_size", p.poolSize(), "SIGHUP"},
                    {"min_pool_size", p.pools().minPoolSize(), "SIGHUP"},
                    {"reserve_pool_size", p.pools().reservePoolSize(), "SIGHUP"},
                    {"reserve_pool_timeout", p.pools().reservePoolTimeoutMs() + "ms", "SIGHUP"},
                    {"databases", p.pools().databases(), "SIGHUP (mode: for new clients)"},
                    {"users", p.pools().users(), "SIGHUP (mode: for new clients)"},
                    {"max_client_conn", p.maxClientConn(), "SIGHUP"},
                    {"server_idle_timeout", p.serverIdleTimeoutMs() + "ms", "SIGHUP"},
                    {"server_lifetime", p.serverLifetimeMs() + "ms", "SIGHUP"},
                    {"query_wait_timeout", p.queryWaitTimeoutMs() + "ms", "SIGHUP"},
                    {"load_balance", sp.loadBalance(), "SIGHUP"},
                    {"read_your_writes", sp.readYourWrites(), "SIGHUP"},
                    {"read_your_writes_wait", sp.readYourWritesWaitMs() + "ms", "SIGHUP"},
                    {"lsn_token", sp.lsnToken(), "SIGHUP"},
                    {"standby_weights", sp.weights(), "SIGHUP"},
                    {"admin_users", String.join(",", p.admin().adminUsers()), "SIGHUP"},
                    {"stats_users", String.join(",", p.admin().statsUsers()), "SIGHUP"},
                    {"max_client_conn_per_address", lim.maxClientConnPerAddress(), "SIGHUP"},
                    {"max_connections_per_second", lim.maxConnectionsPerSecond(), "SIGHUP"},
                    {"max_unauthenticated", lim.maxUnauthenticated(), "SIGHUP"},
                    {"client_login_timeout", lim.clientLoginTimeoutMs() + "ms", "SIGHUP"},
                };
                for (Object[] r : cfg) rows.add(List.of(r[0], String.valueOf(r[1]), r[2]));
            }
            case "LISTS" -> {
                cols.add(new Col("list", false));
                cols.add(new Col("items", true));
                var stats = l.pool().stats();
                java.util.Set<String> dbs = new java.util.TreeSet<>();
                int idle = 0;
                int total = 0;
                for (var e : stats.entrySet()) {
                    dbs.add(e.getKey().database());
                    idle += e.getValue()[0];
                    total += e.getValue()[1];
                }
                int login = 0;
                int used = 0;
                for (PooledClient c : l.clientList()) {
                    if (c.phase == PooledClient.Phase.STARTUP || c.phase == PooledClient.Phase.AUTH) login++;
                    else used++;
                }
                rows.add(List.of("databases", dbs.size()));
                rows.add(List.of("users", l.userCount()));
                rows.add(List.of("pools", stats.size()));
                rows.add(List.of("used_clients", used));
                rows.add(List.of("login_clients", login));
                rows.add(List.of("free_servers", idle));
                rows.add(List.of("used_servers", total - idle));
            }
            case "VERSION" -> {
                cols.add(new Col("version", false));
                rows.add(List.of("pgha " + io.pgha.core.PghaVersion.current()));
            }
            default -> throw new IllegalArgumentException(what);
        }
        List<Frame> out = new ArrayList<>();
        out.add(rowDescription(cols));
        for (List<Object> r : rows) out.add(dataRow(r));
        out.add(complete("SHOW"));
        return out;
    }

    private static List<Object> serverRow(ServerConn s, String state) {
        return List.of(
                s.key.user(),
                s.key.database(),
                s.member,
                s.key.member() == null ? "primary" : "standby",
                state,
                s.backend.getHostString(),
                s.backend.getPort(),
                (System.nanoTime() - s.created) / 1_000_000_000L,
                s.prepared.size(),
                s.retired ? "yes" : "no",
                s.tls);
    }

    private static String key(PoolKey k) {
        return k.database() + "\u0000" + k.user() + "\u0000" + (k.member() == null ? "" : k.member());
    }

    private static Frame rowDescription(List<Col> cols) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int16(b, cols.size());
        for (Col c : cols) {
            b.writeBytes(Frame.cstringBytes(c.name()));
            int32(b, 0);
            int16(b, 0);
            int32(b, c.number() ? 20 : 25);
            int16(b, c.number() ? 8 : -1);
            int32(b, -1);
            int16(b, 0);
        }
        return Frame.of('T', b.toByteArray());
    }

    private static Frame dataRow(List<Object> values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int16(b, values.size());
        for (Object v : values) {
            byte[] t = String.valueOf(v).getBytes(StandardCharsets.UTF_8);
            int32(b, t.length);
            b.writeBytes(t);
        }
        return Frame.of('D', b.toByteArray());
    }

    static Frame complete(String tag) {
        return Frame.of('C', Frame.cstringBytes(tag));
    }

    private static Frame notice(String message) {
        io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
        new io.pgha.wire.backend.ErrorResponse("NOTICE", "00000", message, null).encodeAsNotice(b);
        byte[] body = new byte[b.readableBytes() - 5];
        b.getBytes(5, body);
        return Frame.of('N', body);
    }

    private static void int16(ByteArrayOutputStream b, int v) {
        b.write((v >>> 8) & 0xff);
        b.write(v & 0xff);
    }

    private static void int32(ByteArrayOutputStream b, int v) {
        b.write((v >>> 24) & 0xff);
        b.write((v >>> 16) & 0xff);
        b.write((v >>> 8) & 0xff);
        b.write(v & 0xff);
    }
}
