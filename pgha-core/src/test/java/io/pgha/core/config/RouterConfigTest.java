package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouterConfigTest {
    private static Map<String, Object> standalone() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("cluster", "main");
        doc.put(
                "dcs",
                new LinkedHashMap<>(Map.of("zookeeper", new LinkedHashMap<>(Map.of("connect", "db1:2181,db2:2181")))));
        doc.put("router", new LinkedHashMap<>());
        return doc;
    }

    @Test
    void standaloneDefaults() {
        RouterConfig.File f = RouterConfig.File.read(standalone(), "router-host");
        assertThat(f.cluster()).isEqualTo("main");
        assertThat(f.dcs().connectString()).isEqualTo("db1:2181,db2:2181");
        RouterConfig r = f.router();
        assertThat(r.name()).isEqualTo("router-host");
        assertThat(r.listen()).isEqualTo("127.0.0.1");
        assertThat(r.port()).isEqualTo(6432);
        assertThat(r.readOnlyPort()).as("no read-only listener unless asked").isZero();
        assertThat(r.maxReplicaLagBytes()).isEqualTo(16L * 1024 * 1024);
        assertThat(r.readOnlyFallbackToPrimary()).isTrue();
        assertThat(r.waitTimeoutMs()).isEqualTo(10_000);
        assertThat(r.maxMessageSize()).isEqualTo(RouterConfig.DEFAULT_MAX_MESSAGE_SIZE);
        assertThat(r.tls()).isFalse();
        assertThat(r.apiPort()).isZero();
        assertThat(r.transport())
                .as("io_uring, epoll or NIO, whichever runs first")
                .isEqualTo("auto");
    }

    @Test
    void readsEveryKey() {
        Map<String, Object> doc = standalone();
        ConfigReaderTest.set(doc, "router.name", "app1");
        ConfigReaderTest.set(doc, "router.listen", "0.0.0.0");
        ConfigReaderTest.set(doc, "router.port", 7432);
        ConfigReaderTest.set(doc, "router.read_only_port", 7433);
        ConfigReaderTest.set(doc, "router.max_replica_lag", "1MB");
        ConfigReaderTest.set(doc, "router.read_only_fallback", "wait");
        ConfigReaderTest.set(doc, "router.wait_timeout", "30s");
        ConfigReaderTest.set(doc, "router.startup_timeout", "2s");
        ConfigReaderTest.set(doc, "router.max_message_size", "64MB");
        ConfigReaderTest.set(doc, "router.tls.certificate", "/etc/pgha/r.crt");
        ConfigReaderTest.set(doc, "router.tls.key", "/etc/pgha/r.key");
        ConfigReaderTest.set(doc, "router.api.port", 7434);
        ConfigReaderTest.set(doc, "router.transport", "epoll");
        RouterConfig r = RouterConfig.File.read(doc, "x").router();
        assertThat(r)
                .isEqualTo(new RouterConfig(
                                "app1",
                                "0.0.0.0",
                                7432,
                                7433,
                                1024 * 1024,
                                false,
                                30_000,
                                2_000,
                                64L * 1024 * 1024,
                                "/etc/pgha/r.crt",
                                "/etc/pgha/r.key",
                                "0.0.0.0",
                                7434)
                        .withTransport("epoll"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "router.port|0|router.port",
                "router.read_only_port|6432|router.read_only_port: 6432 is also router.port",
                "router.read_only_fallback|standby|router.read_only_fallback: 'standby' must be primary or wait",
                "router.wait_timeout|0s|router.wait_timeout: must be positive",
                "router.max_replica_lag|lots|router.max_replica_lag: 'lots' is not a size",
                "router.max_message_size|2GB|router.max_message_size",
                "router.tls.certificate|/etc/x.crt|router.tls.certificate and router.tls.key: give both or neither",
                "router.colour|blue|router.colour",
                "router.transport|kqueue|router.transport: 'kqueue' must be one of auto, io_uring, epoll, nio",
                "extra|1|extra",
            })
    void badValuesAreRefusedNamingTheKey(String key, String value, String message) {
        Map<String, Object> doc = standalone();
        ConfigReaderTest.set(doc, key, value);
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void aStandaloneRouterCannotJoinAnEmbeddedEnsemble() {
        Map<String, Object> doc = standalone();
        doc.put("dcs", new LinkedHashMap<>(Map.of("embedded", new LinkedHashMap<>(Map.of("my_id", 1)))));
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .hasMessageContaining("dcs.embedded: a router joins no ensemble");
    }

    @Test
    void aNodeConfigMayCarryARouterThatTheAgentRuns() {
        Map<String, Object> doc = ConfigReaderTest.valid();
        assertThat(ConfigReader.read(doc).router()).isNull();
        ConfigReaderTest.set(doc, "router.port", 6432);
        NodeConfig c = ConfigReader.read(doc);
        assertThat(c.router().name()).as("named after the node").isEqualTo("db1");
        ConfigReaderTest.set(doc, "router.port", 5432);
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageContaining("router.port: 5432 is also postgresql.port");
    }

    @Test
    void aPooledListenerWithDefaultsAndEveryKey() {
        Map<String, Object> doc = standalone();
        ConfigReaderTest.set(doc, "router.pool.port", 6435);
        ConfigReaderTest.set(doc, "router.pool.auth_file", "/etc/pgha/users.txt");
        PoolConfig p = RouterConfig.File.read(doc, "x").router().pool();
        assertThat(p)
                .isEqualTo(new PoolConfig(
                        6435,
                        PoolConfig.Mode.TRANSACTION,
                        "scram-sha-256",
                        "/etc/pgha/users.txt",
                        20,
                        1000,
                        600_000,
                        3_600_000,
                        120_000));
        ConfigReaderTest.set(doc, "router.pool.mode", "session");
        ConfigReaderTest.set(doc, "router.pool.auth_type", "md5");
        ConfigReaderTest.set(doc, "router.pool.pool_size", 5);
        ConfigReaderTest.set(doc, "router.pool.max_client_conn", 100);
        ConfigReaderTest.set(doc, "router.pool.server_idle_timeout", "1m");
        ConfigReaderTest.set(doc, "router.pool.server_lifetime", "10m");
        ConfigReaderTest.set(doc, "router.pool.query_wait_timeout", "5s");
        assertThat(RouterConfig.File.read(doc, "x").router().pool())
                .isEqualTo(new PoolConfig(
                        6435, PoolConfig.Mode.SESSION, "md5", "/etc/pgha/users.txt", 5, 100, 60_000, 600_000, 5_000));
        assertThat(RouterConfig.File.read(standalone(), "x").router().pool())
                .as("none unless asked")
                .isNull();
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "port|6432|router.pool.port: 6432 is already one of the router's other ports",
                "mode|single|router.pool.mode: 'single' must be session, transaction or statement",
                "min_pool_size|-1|router.pool.min_pool_size",
                "reserve_pool_timeout|0s|router.pool.reserve_pool_timeout: must be positive",
                "databases|3|router.pool.databases: expected a mapping",
                "auth_type|password|router.pool.auth_type: 'password' must be scram-sha-256, md5, cert or trust",
                "auth_type|cert|router.pool.auth_type: cert needs client_tls_sslmode: require and client_tls_ca_file",
                "client_tls_sslmode|maybe|router.pool.client_tls_sslmode: 'maybe' must be one of disable, allow, require",
                "server_tls_sslmode|verify-full|router.pool.server_tls_ca_file: is required with server_tls_sslmode verify-full",
                "client_tls_sslmode|require|router.pool.client_tls_sslmode: require needs the router's certificate",
                "pool_size|0|router.pool.pool_size",
                "query_wait_timeout|0s|must be positive",
                "colour|blue|router.pool.colour",
                "read_your_writes|maybe|router.pool.read_your_writes",
                "read_your_writes_wait|soon|router.pool.read_your_writes_wait",
                "standby_weights|3|router.pool.standby_weights: expected a mapping",
            })
    void badPoolKeysAreNamed(String key, String value, String message) {
        Map<String, Object> doc = standalone();
        ConfigReaderTest.set(doc, "router.pool.port", 6435);
        ConfigReaderTest.set(doc, "router.pool.auth_file", "/etc/pgha/users.txt");
        ConfigReaderTest.set(doc, "router.pool." + key, value.matches("\\d+") ? Integer.parseInt(value) : value);
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void poolSizesAndSettingsPerDatabaseAndUser() {
        Map<String, Object> doc = standalone();
        ConfigReaderTest.set(doc, "router.pool.port", 6435);
        ConfigReaderTest.set(doc, "router.pool.auth_file", "/etc/pgha/users.txt");
        assertThat(RouterConfig.File.read(doc, "x").router().pool().pools()).isEqualTo(PoolConfig.Pools.DEFAULT);
        ConfigReaderTest.set(doc, "router.pool.pool_size", 10);
        ConfigReaderTest.set(doc, "router.pool.min_pool_size", 2);
        ConfigReaderTest.set(doc, "router.pool.reserve_pool_size", 3);
        ConfigReaderTest.set(doc, "router.pool.reserve_pool_timeout", "2s");
        ConfigReaderTest.set(doc, "router.pool.standby_weights", Map.of("db2", 1));
        ConfigReaderTest.set(
                doc,
                "router.pool.databases",
                Map.of("reports", Map.of("mode", "statement", "pool_size", 40, "standby_weights", Map.of("db2", 0))));
        ConfigReaderTest.set(
                doc,
                "router.pool.users",
                Map.of("batch", Map.of("mode", "session", "pool_size", 2, "min_pool_size", 5)));
        PoolConfig p = RouterConfig.File.read(doc, "x").router().pool();
        assertThat(p.pools().reservePoolTimeoutMs()).isEqualTo(2000);
        assertThat(p.pool("app", "web"))
                .as("the listener's settings")
                .isEqualTo(new PoolConfig.Effective(PoolConfig.Mode.TRANSACTION, 10, 2, 3, Map.of("db2", 1)));
        assertThat(p.pool("reports", "web"))
                .as("the database's")
                .isEqualTo(new PoolConfig.Effective(PoolConfig.Mode.STATEMENT, 40, 2, 3, Map.of("db2", 0)));
        assertThat(p.pool("reports", "batch"))
                .as("the user's win; min_pool_size is at most pool_size")
                .isEqualTo(new PoolConfig.Effective(PoolConfig.Mode.SESSION, 2, 2, 3, Map.of("db2", 0)));
        assertThat(p.pool("reports", "web").weight("db3")).isEqualTo(1);
        ConfigReaderTest.set(doc, "router.pool.users", Map.of("batch", Map.of("pool_size", 0)));
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .hasMessageContaining("router.pool.users.batch.pool_size");
        ConfigReaderTest.set(doc, "router.pool.users", Map.of("batch", Map.of("colour", "blue")));
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .hasMessageContaining("router.pool.users.batch.colour: unknown key");
        ConfigReaderTest.set(doc, "router.pool.users", Map.of("batch", Map.of("mode", "single")));
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .hasMessageContaining(
                        "router.pool.users.batch.mode: 'single' must be session, transaction or statement");
    }

    @Test
    void theReadWriteSplitWithDefaultsAndEveryKey() {
        Map<String, Object> doc = standalone();
        ConfigReaderTest.set(doc, "router.pool.port", 6435);
        ConfigReaderTest.set(doc, "router.pool.auth_file", "/etc/pgha/users.txt");
        assertThat(RouterConfig.File.read(doc, "x").router().pool().split())
                .as("off unless asked")
                .isEqualTo(PoolConfig.Split.OFF);
        ConfigReaderTest.set(doc, "router.pool.load_balance", true);
        assertThat(RouterConfig.File.read(doc, "x").router().pool().split())
                .isEqualTo(new PoolConfig.Split(true, true, 100, false, Map.of()));
        ConfigReaderTest.set(doc, "router.pool.read_your_writes", false);
        ConfigReaderTest.set(doc, "router.pool.read_your_writes_wait", "2s");
        ConfigReaderTest.set(doc, "router.pool.lsn_token", true);
        ConfigReaderTest.set(doc, "router.pool.standby_weights", Map.of("db2", 3, "db3", 0));
        PoolConfig.Split sp = RouterConfig.File.read(doc, "x").router().pool().split();
        assertThat(sp).isEqualTo(new PoolConfig.Split(true, false, 2000, true, Map.of("db2", 3, "db3", 0)));
        assertThat(sp.weight("db4")).as("a member not named").isEqualTo(1);
        ConfigReaderTest.set(doc, "router.pool.standby_weights", Map.of("db2", -1));
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .hasMessageContaining("router.pool.standby_weights.db2: '-1' must be a whole number from 0 to 1000");
        ConfigReaderTest.set(doc, "router.pool.standby_weights", Map.of());
        ConfigReaderTest.set(doc, "router.pool.mode", "session");
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .hasMessageContaining("router.pool.load_balance: needs mode transaction");
    }

    @Test
    void theConsoleUsersAndTheLimits() {
        Map<String, Object> doc = standalone();
        ConfigReaderTest.set(doc, "router.pool.port", 6435);
        ConfigReaderTest.set(doc, "router.pool.auth_file", "/etc/pgha/users.txt");
        PoolConfig p = RouterConfig.File.read(doc, "x").router().pool();
        assertThat(p.admin()).isEqualTo(PoolConfig.Admin.NONE);
        assertThat(p.limits()).isEqualTo(new PoolConfig.Limits(0, 0, 100, 60_000));
        ConfigReaderTest.set(doc, "router.pool.admin_users", java.util.List.of("ops"));
        ConfigReaderTest.set(doc, "router.pool.stats_users", java.util.List.of("grafana", "nagios"));
        ConfigReaderTest.set(doc, "router.pool.max_client_conn_per_address", 50);
        ConfigReaderTest.set(doc, "router.pool.max_connections_per_second", 200);
        ConfigReaderTest.set(doc, "router.pool.max_unauthenticated", 20);
        ConfigReaderTest.set(doc, "router.pool.client_login_timeout", "5s");
        p = RouterConfig.File.read(doc, "x").router().pool();
        assertThat(p.admin().mayChange("ops")).isTrue();
        assertThat(p.admin().mayShow("nagios")).isTrue();
        assertThat(p.admin().mayChange("nagios")).isFalse();
        assertThat(p.admin().mayShow("app")).isFalse();
        assertThat(p.limits()).isEqualTo(new PoolConfig.Limits(50, 200, 20, 5_000));
        ConfigReaderTest.set(doc, "router.pool.max_unauthenticated", 0);
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .hasMessageContaining("router.pool.max_unauthenticated");
    }

    @Test
    void aPooledListenerNeedsAnAuthFile() {
        Map<String, Object> doc = standalone();
        ConfigReaderTest.set(doc, "router.pool.port", 6435);
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "x"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("router.pool.auth_file: is required");
    }
}
