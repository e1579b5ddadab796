package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigReaderTest {

    /** A minimal valid document, as YAML would parse it, that each test changes in one place. */
    static Map<String, Object> valid() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("cluster", "main");
        doc.put("name", "db1");
        doc.put("data_dir", "/var/lib/pgha/db1/data");
        doc.put(
                "dcs",
                new LinkedHashMap<>(Map.of("zookeeper", new LinkedHashMap<>(Map.of("connect", "zk1:2181,zk2:2181")))));
        return doc;
    }

    @SuppressWarnings("unchecked")
    static void set(Map<String, Object> doc, String dotted, Object value) {
        String[] keys = dotted.split("\\.");
        Map<String, Object> m = doc;
        for (int i = 0; i < keys.length - 1; i++) {
            m = (Map<String, Object>) m.computeIfAbsent(keys[i], k -> new LinkedHashMap<String, Object>());
        }
        m.put(keys[keys.length - 1], value);
    }

    @Test
    void readsDefaults() {
        NodeConfig c = ConfigReader.read(valid());
        assertThat(c.cluster()).isEqualTo("main");
        assertThat(c.postgresql().port()).isEqualTo(5432);
        assertThat(c.restapi().port()).isEqualTo(8008);
        assertThat(c.restapi().auth()).isNull();
        assertThat(c.timing()).isEqualTo(Timing.DEFAULT);
        assertThat(c.osUser()).isEqualTo("postgres");
        assertThat(c.postgresql().walSegmentSizeMb()).isEqualTo(4);
        assertThat(c.postgresql().pgHba()).allMatch(l -> l.startsWith("local") || l.endsWith("scram-sha-256"));
        assertThat(c.dcs().connectString()).isEqualTo("zk1:2181,zk2:2181");
    }

    @Test
    void theControlSocketDefaultsToARunDirectoryPerUserAndCanBeMovedOrTurnedOff() {
        NodeConfig c = ConfigReader.read(valid());
        String hash = String.format("%08x", "/var/lib/pgha/db1/data".hashCode());
        String dir = "root".equals(System.getProperty("user.name"))
                ? "/run/pgha"
                : "/tmp/pgha-" + System.getProperty("user.name");
        assertThat(c.controlSocket()).isEqualTo(dir + "/main.db1." + hash + ".sock");

        Map<String, Object> doc = valid();
        doc.put("data_dir", "/srv/other/data");
        assertThat(ConfigReader.read(doc).controlSocket())
                .as("another data directory, another socket: two clusters of one name on a machine")
                .isNotEqualTo(c.controlSocket());

        doc = valid();
        doc.put("control_socket", "/run/ops/db1.sock");
        assertThat(ConfigReader.read(doc).controlSocket()).isEqualTo("/run/ops/db1.sock");
        for (Object off : List.of("off", false, "OFF")) {
            doc.put("control_socket", off);
            assertThat(ConfigReader.read(doc).controlSocket())
                    .as(String.valueOf(off))
                    .isNull();
        }

        String longName = "c".repeat(60);
        assertThat(ControlSocketPath.defaultFor(longName, "n".repeat(60), "/d")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .as("a default too long for a socket falls back to a hash of the names")
                .hasSizeLessThanOrEqualTo(ControlSocketPath.MAX_BYTES);
    }

    @Test
    void walLevelLogicalIsAcceptedForLogicalSlots() {
        Map<String, Object> doc = valid();
        set(doc, "postgresql.parameters.wal_level", "logical");
        assertThat(ConfigReader.read(doc).postgresql().parameters()).containsEntry("wal_level", "logical");
    }

    @Test
    void readsAnEmbeddedEnsemble() {
        Map<String, Object> doc = valid();
        doc.put(
                "dcs",
                new LinkedHashMap<>(Map.of(
                        "embedded",
                        new LinkedHashMap<>(Map.of(
                                "my_id",
                                2,
                                "data_dir",
                                "/var/lib/pgha/zk",
                                "peers",
                                List.of(
                                        "1=10.0.0.1:2181:2888:3888",
                                        "2=10.0.0.2:2181:2888:3888",
                                        "3=10.0.0.3:2181:2888:3888"))))));
        NodeConfig c = ConfigReader.read(doc);
        assertThat(c.dcs().embedded().myId()).isEqualTo(2);
        assertThat(c.dcs().connectString()).isEqualTo("10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181");
    }

    @Test
    void readsDurationsAndTags() {
        Map<String, Object> doc = valid();
        set(doc, "timing.ttl", "6s");
        set(doc, "timing.loop_wait", "1500ms");
        set(doc, "tags.nofailover", "yes");
        set(doc, "tags.priority", 3);
        NodeConfig c = ConfigReader.read(doc);
        assertThat(c.timing().ttlMs()).isEqualTo(6000);
        assertThat(c.timing().loopWaitMs()).isEqualTo(1500);
        assertThat(c.timing().safetyMarginMs()).isEqualTo(2000);
        assertThat(c.tags().noFailover()).isTrue();
        assertThat(c.tags().priority()).isEqualTo(3);
        assertThat(c.watchdog().mode()).isEqualTo(WatchdogConfig.Mode.OFF);
    }

    @Test
    void readsTheWatchdogWithATimeoutThatFitsTheLease() {
        Map<String, Object> doc = valid();
        set(doc, "watchdog.mode", "required");
        set(doc, "tags.nosync", true);
        set(doc, "tags.sync_priority", 2);
        NodeConfig c = ConfigReader.read(doc);
        assertThat(c.watchdog().mode()).isEqualTo(WatchdogConfig.Mode.REQUIRED);
        assertThat(c.watchdog().device()).isEqualTo("/dev/watchdog");
        assertThat(c.watchdog().timeoutSeconds())
                .as("lease validity 1.67 s rounded up, below the 2.5 s ttl")
                .isEqualTo(2);
        assertThat(c.tags().noSync()).isTrue();
        assertThat(c.tags().syncPriority()).isEqualTo(2);
        set(doc, "timing.ttl", "30s");
        assertThat(ConfigReader.read(doc).watchdog().timeoutSeconds()).isEqualTo(20);
        set(doc, "timing.ttl", "2500ms");
        set(doc, "watchdog.timeout", 5);
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageContaining("watchdog.timeout: 5 s would let a frozen primary outlive its lease");
        set(doc, "watchdog.timeout", 1);
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageContaining("watchdog.timeout: 1 s is shorter than the lease validity");
        set(doc, "timing.ttl", "2s");
        doc.get("watchdog");
        ((Map<?, ?>) doc.get("watchdog")).remove("timeout");
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageContaining("raise timing.ttl or timing.safety_margin");
    }

    @Test
    void credentialsNeverPrintTheirPassword() {
        Map<String, Object> doc = valid();
        set(doc, "postgresql.authentication.superuser.password", "s3cret-pw");
        NodeConfig c = ConfigReader.read(doc);
        assertThat(c.postgresql().superuser().password()).isEqualTo("s3cret-pw");
        assertThat(c.toString()).doesNotContain("s3cret-pw");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "cluster|               |cluster: is required",
                "name|bad name!         |name: 'bad name!' must be",
                "data_dir|relative/dir  |data_dir: 'relative/dir' must be an absolute path",
                "postgresql.port|70000  |postgresql.port: 70000 is not a TCP port",
                "postgresql.port|abc    |postgresql.port: 'abc' is not a whole number",
                "restapi.port|5432      |restapi.port: 5432 is also postgresql.port",
                "postgresql.parameters.port|5555|postgresql.parameters.port: is managed by pgha",
                "timing.ttl|1s          |timing.ttl: 1000 ms is below the minimum",
                "timing.ttl|soon        |timing.ttl: 'soon' is not a duration",
                "timing.safety_margin|100ms|timing.safety_margin: 100 ms leaves too little time",
                "timing.safety_margin|2s|timing.safety_margin: 2000 ms must be at most half of timing.ttl",
                "timing.loop_wait|5s    |timing.loop_wait: 5000 ms must be positive and at most timing.ttl",
                "tags.nofailover|maybe  |tags.nofailover: 'maybe' is not true or false",
                "postgresql.wal_segment_size|3|postgresql.wal_segment_size: 3 MB must be a power of 2",
                "postgresql.wal_segment_size|2048|postgresql.wal_segment_size: 2048 MB must be a power of 2",
                "postgresql.listne|x    |postgresql.listne: unknown key",
                "typo_key|x             |typo_key: unknown key",
                "dcs.embedded.my_id|1   |dcs.zookeeper, dcs.embedded or dcs.etcd: exactly one must be given",
                "postgresql.parameters.synchronous_standby_names|*|is managed by pgha",
                "postgresql.parameters.wal_level|minimal|postgresql.parameters.wal_level: 'minimal' is not one of replica, logical",
                "tags.nosync|perhaps     |tags.nosync: 'perhaps' is not true or false",
                "watchdog.mode|sometimes |watchdog.mode: 'sometimes' is not one of off, automatic, required",
                "watchdog.device|dev/wd  |watchdog.device: 'dev/wd' must be an absolute path",
                "control_socket|run/x.sock|control_socket: 'run/x.sock' must be an absolute path (or off)",
                "control_socket|/run/pgha/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock"
                        + "|is longer than a Unix socket's path may be (107 bytes)"
            })
    void rejectsBadInputNamingTheKey(String key, String value, String message) {
        Map<String, Object> doc = valid();
        set(doc, key, value == null ? null : value.trim());
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message.trim());
    }

    @Test
    void rejectsAnEnsembleOfTwoAndUnknownMyId() {
        Map<String, Object> doc = valid();
        doc.put(
                "dcs",
                new LinkedHashMap<>(Map.of(
                        "embedded",
                        new LinkedHashMap<>(
                                Map.of("my_id", 1, "data_dir", "/zk", "peers", List.of("1=a:1:2:3", "2=b:1:2:3"))))));
        assertThatThrownBy(() -> ConfigReader.read(doc)).hasMessageContaining("dcs.embedded.peers: an ensemble of 2");
        doc.put(
                "dcs",
                new LinkedHashMap<>(Map.of(
                        "embedded",
                        new LinkedHashMap<>(Map.of("my_id", 4, "data_dir", "/zk", "peers", List.of("1=a:1:2:3"))))));
        assertThatThrownBy(() -> ConfigReader.read(doc)).hasMessageContaining("dcs.embedded.my_id: 4 is not the id");
        doc.put(
                "dcs",
                new LinkedHashMap<>(Map.of(
                        "embedded",
                        new LinkedHashMap<>(Map.of("my_id", 1, "data_dir", "/zk", "peers", List.of("1=a:1:2"))))));
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageContaining("is not of the form id=host:client_port:peer_port:election_port");
    }
}
