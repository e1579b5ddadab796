package io.pgha.core.config;

import static io.pgha.core.config.ConfigReaderTest.set;
import static io.pgha.core.config.ConfigReaderTest.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.DynamicConfig;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every number of a node config and of the dynamic settings is checked for range and overflow with
 * the key named (never wrapped, never clamped), and IPv6 literals work wherever an address is.
 */
class NumbersAndAddressesTest {

    /** key, value as YAML would give it (text, Integer, Long, BigInteger, Double), expected message. */
    static List<Arguments> badNumbers() {
        return List.of(
                Arguments.of("timing.ttl", "99999999999999999999s", "timing.ttl: 99999999999999999999 is out of range"),
                Arguments.of("timing.ttl", "9999999999999999s", "timing.ttl: '9999999999999999s' is too long"),
                Arguments.of("timing.ttl", "153722867280913m", "timing.ttl: '153722867280913m' is too long"),
                Arguments.of("timing.ttl", -3000, "timing.ttl: '-3000' is negative"),
                Arguments.of("timing.ttl", "-3s", "timing.ttl: '-3s' is negative"),
                Arguments.of(
                        "timing.ttl",
                        new BigInteger("99999999999999999999"),
                        "timing.ttl: 99999999999999999999 is out of range"),
                Arguments.of("timing.ttl", 9.3e18, "timing.ttl: 9300000000000000000 is out of range"),
                Arguments.of("timing.ttl", 2500.5, "timing.ttl: '2500.5' is not a whole number"),
                Arguments.of("timing.loop_wait", -1, "timing.loop_wait: '-1' is negative"),
                Arguments.of("primary_start_timeout", -1, "primary_start_timeout: '-1' is negative"),
                Arguments.of("primary_start_timeout", "-5m", "primary_start_timeout: '-5m' is negative"),
                Arguments.of(
                        "tags.priority",
                        3_000_000_000L,
                        "tags.priority: 3000000000 is out of range (-2147483648 to 2147483647)"),
                Arguments.of("tags.priority", "3000000000", "tags.priority: 3000000000 is out of range"),
                Arguments.of("tags.sync_priority", -3_000_000_000L, "tags.sync_priority: -3000000000 is out of range"),
                Arguments.of(
                        "tags.priority", "99999999999999999999", "tags.priority: 99999999999999999999 is out of range"),
                Arguments.of("postgresql.port", 4_294_972_728L, "postgresql.port: 4294972728 is not a TCP port"),
                Arguments.of(
                        "postgresql.wal_segment_size",
                        "99999999999999999999",
                        "postgresql.wal_segment_size: 99999999999999999999 is out of range"),
                Arguments.of(
                        "watchdog.timeout",
                        9_223_372_036_854_776L,
                        "watchdog.timeout: 9223372036854776 is out of range (1 to 3600)"),
                Arguments.of("watchdog.timeout", 0, "watchdog.timeout: 0 is out of range"),
                Arguments.of(
                        "router.max_replica_lag",
                        "9999999999999TB",
                        "router.max_replica_lag: '9999999999999TB' is too large"),
                Arguments.of(
                        "router.max_replica_lag",
                        "99999999999999999999",
                        "router.max_replica_lag: '99999999999999999999' is too large"),
                Arguments.of("router.max_replica_lag", -1, "router.max_replica_lag: must not be negative"),
                Arguments.of("router.wait_timeout", "-1s", "router.wait_timeout: '-1s' is negative"),
                Arguments.of(
                        "router.wait_timeout",
                        "99999999999999h",
                        "router.wait_timeout: '99999999999999h' is too long"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badNumbers")
    void aNumberOutOfRangeIsAnErrorNamingTheKey(String key, Object value, String message) {
        Map<String, Object> doc = valid();
        set(doc, key, value);
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    static List<Arguments> badSettings() {
        return List.of(
                Arguments.of(
                        "maximum_lag_on_failover",
                        "9999999999999TB",
                        "maximum_lag_on_failover: '9999999999999TB' is too large"),
                Arguments.of(
                        "maximum_lag_on_failover",
                        "99999999999999999999",
                        "maximum_lag_on_failover: '99999999999999999999' is too large"),
                Arguments.of(
                        "maximum_lag_on_failover",
                        new BigInteger("99999999999999999999"),
                        "maximum_lag_on_failover: 99999999999999999999 is out of range"),
                Arguments.of("maximum_lag_on_failover", -1, "maximum_lag_on_failover: must not be negative"),
                Arguments.of(
                        "synchronous_node_count",
                        4_294_967_297L,
                        "synchronous_node_count: 4294967297 is out of range (1 to 32)"),
                Arguments.of(
                        "synchronous_node_count",
                        "99999999999999999999",
                        "synchronous_node_count: 99999999999999999999 is out of range"),
                Arguments.of("switchover_drain_timeout", "-1s", "switchover_drain_timeout: '-1s' is negative"),
                Arguments.of(
                        "switchover_drain_timeout",
                        "99999999999999999999s",
                        "switchover_drain_timeout: 99999999999999999999 is out of range"),
                Arguments.of(
                        "switchover_drain_timeout",
                        "9999999999999999s",
                        "switchover_drain_timeout: '9999999999999999s' is too long"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badSettings")
    void aDynamicSettingOutOfRangeIsAnErrorNamingTheKey(String key, Object value, String message) {
        assertThatThrownBy(() -> DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of(key, value)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void largestValuesThatFitAreAccepted() {
        Map<String, Object> doc = valid();
        set(doc, "tags.priority", Integer.MAX_VALUE);
        set(doc, "tags.sync_priority", "-2147483648");
        set(doc, "primary_start_timeout", "0s");
        NodeConfig c = ConfigReader.read(doc);
        assertThat(c.tags().priority()).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.tags().syncPriority()).isEqualTo(Integer.MIN_VALUE);
        assertThat(DynamicSettings.apply(DynamicConfig.DEFAULT, Map.of("maximum_lag_on_failover", "8388607TB"))
                        .maximumLagOnFailover())
                .isEqualTo(8_388_607L << 40);
    }

    @Test
    void ipv6AddressesAreBracketedInUrlsAndPairs() {
        Map<String, Object> doc = valid();
        set(doc, "postgresql.listen", "::");
        set(doc, "postgresql.connect_address", "[fd00::11]");
        set(doc, "restapi.listen", "::1");
        set(
                doc,
                "dcs",
                new LinkedHashMap<>(Map.of(
                        "zookeeper",
                        new LinkedHashMap<>(Map.of("connect", "[fd00::1]:2181,[fd00::2],zk3:2181/chroot")))));
        NodeConfig c = ConfigReader.read(doc);
        assertThat(c.postgresql().connectAddress())
                .as("kept bare for libpq host= and listen_addresses")
                .isEqualTo("fd00::11");
        assertThat(c.restapi().url()).isEqualTo("http://[::1]:8008");
        assertThat(c.dcs().connectString()).isEqualTo("[fd00::1]:2181,[fd00::2],zk3:2181/chroot");
    }

    @Test
    void aWildcardListenOfEitherFamilyNeedsAConnectAddress() {
        for (String wildcard : List.of("0.0.0.0", "*", "::", "[::]")) {
            for (String section : List.of("postgresql", "restapi")) {
                Map<String, Object> doc = valid();
                set(doc, section + ".listen", wildcard);
                assertThatThrownBy(() -> ConfigReader.read(doc))
                        .as(section + " " + wildcard)
                        .hasMessageContaining(section + ".connect_address: is required when listen is a wildcard");
            }
        }
    }

    @Test
    void anEmbeddedEnsembleOnIpv6() {
        Map<String, Object> doc = valid();
        doc.put(
                "dcs",
                new LinkedHashMap<>(Map.of(
                        "embedded",
                        new LinkedHashMap<>(Map.of(
                                "my_id",
                                1,
                                "data_dir",
                                "/var/lib/pgha/zk",
                                "peers",
                                List.of(
                                        "1=[fd00::1]:2181:2888:3888",
                                        "2=[fd00::2]:2181:2888:3888",
                                        "3=zk3:2181:2888:3888"))))));
        DcsConfig dcs = ConfigReader.read(doc).dcs();
        assertThat(dcs.embedded().peers().get(0).host()).isEqualTo("fd00::1");
        assertThat(dcs.embedded().peers().get(0)).hasToString("1=[fd00::1]:2181:2888:3888");
        assertThat(dcs.connectString()).isEqualTo("[fd00::1]:2181,[fd00::2]:2181,zk3:2181");
    }

    static List<Arguments> badAddresses() {
        return List.of(
                Arguments.of(
                        "dcs.zookeeper.connect",
                        "::1:2181",
                        "dcs.zookeeper.connect: '::1:2181': write an IPv6 address in brackets"),
                Arguments.of(
                        "dcs.zookeeper.connect", "[::1:2181", "dcs.zookeeper.connect: '[::1:2181' has no closing ']'"),
                Arguments.of(
                        "dcs.zookeeper.connect", "zk1:99999", "dcs.zookeeper.connect: port 99999 is not a TCP port"),
                Arguments.of(
                        "dcs.zookeeper.connect",
                        "zk1:2181,,zk2",
                        "dcs.zookeeper.connect: 'zk1:2181,,zk2' has an empty entry"),
                Arguments.of("dcs.zookeeper.connect", "zk1:x", "dcs.zookeeper.connect: port 'x' is not a number"),
                Arguments.of(
                        "postgresql.connect_address",
                        "db1/24",
                        "postgresql.connect_address: 'db1/24' is not a host name or address"),
                Arguments.of("restapi.listen", "[[::1]]", "restapi.listen: '[[::1]]' is not a host name or address"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badAddresses")
    void aBadAddressIsAnErrorNamingTheKey(String key, String value, String message) {
        Map<String, Object> doc = valid();
        set(doc, key, value);
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void embeddedPeersOnIpv6MustBeBracketedAndIdsFitZooKeeper() {
        assertThatThrownBy(() -> DcsConfig.Peer.parse("dcs.embedded.peers", "1=fd00::1:2181:2888:3888"))
                .hasMessageContaining("dcs.embedded.peers: '1=fd00::1:2181:2888:3888'")
                .hasMessageContaining("IPv6 address in brackets");
        assertThatThrownBy(() -> DcsConfig.Peer.parse("dcs.embedded.peers", "4294967297=a:1:2:3"))
                .hasMessageContaining("the id must be a number from 1 to 255");
        assertThatThrownBy(() -> DcsConfig.Peer.parse("dcs.embedded.peers", "1=a:1:2:70000"))
                .hasMessageContaining("port 70000 is not a TCP port");
    }

    @Test
    void aRouterListensOnIpv6() {
        Map<String, Object> doc = valid();
        set(doc, "router.listen", "[::1]");
        set(doc, "router.api.listen", "::");
        RouterConfig r = ConfigReader.read(doc).router();
        assertThat(r.listen()).isEqualTo("::1");
        assertThat(r.apiListen()).isEqualTo("::");
    }
}
