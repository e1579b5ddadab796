package io.pgha.core.config;

import static io.pgha.core.config.ConfigReaderTest.set;
import static io.pgha.core.config.ConfigReaderTest.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code dcs.etcd}: its endpoints, its lease timing, and every mistake named by its key. */
class EtcdConfigTest {
    private static Map<String, Object> etcd(Object endpoints) {
        Map<String, Object> doc = valid();
        doc.put("dcs", new LinkedHashMap<>(Map.of("etcd", new LinkedHashMap<>(Map.of("endpoints", endpoints)))));
        return doc;
    }

    @Test
    void readsTheEndpointsAsAListOrOneString() {
        DcsConfig list =
                ConfigReader.read(etcd(List.of("e1:2379", "[fd00::2]:2379"))).dcs();
        assertThat(list.kind()).isEqualTo(DcsConfig.Kind.ETCD);
        assertThat(list.etcd().endpoints()).containsExactly("e1:2379", "[fd00::2]:2379");
        DcsConfig text = ConfigReader.read(etcd("e1:2379, e2:2379")).dcs();
        assertThat(text.etcd().endpoints()).containsExactly("e1:2379", "e2:2379");
        assertThat(text.connectString()).isEqualTo("e1:2379,e2:2379");
        assertThat(text.via("127.0.0.1:9").etcd().endpoints()).containsExactly("127.0.0.1:9");
    }

    @Test
    void theTtlDefaultsToWholeSecondsAndMustBeWholeSeconds() {
        NodeConfig defaults = ConfigReader.read(etcd("e1:2379"));
        assertThat(defaults.timing().ttlMs()).isEqualTo(3000);
        assertThat(defaults.timing().safetyMarginMs())
                .as(
                        "the validity (1.5 s) leaves 500 ms to stop PostgreSQL before the whole-second watchdog timeout (2 s)")
                .isEqualTo(1500);
        assertThat(defaults.watchdog().timeoutSeconds()).isEqualTo(2);
        Map<String, Object> doc = etcd("e1:2379");
        set(doc, "timing.ttl", "2500ms");
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("timing.ttl: 2500 ms is not a whole number of seconds")
                .hasMessageContaining("3000 ms");
        set(doc, "timing.ttl", "4s");
        assertThat(ConfigReader.read(doc).timing().ttlMs()).isEqualTo(4000);
    }

    @Test
    void badEndpointsAreNamed() {
        assertThatThrownBy(() -> ConfigReader.read(etcd("http://e1:2379")))
                .hasMessageContaining("dcs.etcd.endpoints: 'http://e1:2379': give host:port without a scheme");
        assertThatThrownBy(() -> ConfigReader.read(etcd(List.of())))
                .hasMessageContaining("dcs.etcd.endpoints: at least one endpoint is required");
        assertThatThrownBy(() -> ConfigReader.read(etcd("e1:99999"))).hasMessageContaining("dcs.etcd.endpoints:");
        Map<String, Object> both = etcd("e1:2379");
        set(both, "dcs.zookeeper.connect", "zk1:2181");
        assertThatThrownBy(() -> ConfigReader.read(both)).hasMessageContaining("exactly one must be given");
    }
}
