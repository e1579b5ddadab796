package io.pgha.core.config;

import static io.pgha.core.config.ConfigReaderTest.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.StandbyCluster;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code standby_cluster}: in the dynamic config and in a node file, every mistake named by its key. */
class StandbySettingsTest {
    private static DynamicConfig set(Object value) {
        Map<String, Object> change = new HashMap<>();
        change.put("standby_cluster", value);
        return DynamicSettings.apply(DynamicConfig.DEFAULT, change);
    }

    @Test
    void readsEverySourceAndShowsItAsWritten() {
        Map<String, Object> v = Map.of(
                "hosts", "10.0.0.1:5432,10.0.0.2",
                "primary_cluster", Map.of("name", "east", "zookeeper", "zk1:2181"),
                "archive", "true",
                "primary_slot_name", "west");
        StandbyCluster sc = set(v).standbyCluster();
        assertThat(sc.hostList()).hasSize(2);
        assertThat(sc.hostList().get(1).port()).isEqualTo(5432);
        assertThat(sc.primaryCluster().name()).isEqualTo("east");
        assertThat(sc.primaryCluster().namespace()).isEqualTo("/pgha");
        assertThat(sc.archive()).isTrue();
        assertThat(sc.primarySlotName()).isEqualTo("west");
        assertThat(sc.describe())
                .isEqualTo("cluster east (ZooKeeper zk1:2181), then 10.0.0.1:5432,10.0.0.2, then the WAL archive");
        Map<String, Object> shown = DynamicSettings.toMap(set(v));
        assertThat(set(shown.get("standby_cluster")).standbyCluster()).isEqualTo(sc);
    }

    @Test
    void anEmptyValueMakesAPrimaryCluster() {
        DynamicConfig standby = set(Map.of("archive", true));
        assertThat(standby.standby()).isTrue();
        for (Object none : new Object[] {null, "", "null"}) {
            Map<String, Object> change = new HashMap<>();
            change.put("standby_cluster", none);
            assertThat(DynamicSettings.apply(standby, change).standby()).isFalse();
        }
        assertThat(DynamicSettings.toMap(DynamicConfig.DEFAULT).get("standby_cluster"))
                .isNull();
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> set(Map.of())).hasMessageContaining("standby_cluster: give at least one source");
        assertThatThrownBy(() -> set("east")).hasMessageContaining("standby_cluster: expected a mapping");
        assertThatThrownBy(() -> set(Map.of("hosts", "a:b"))).hasMessageContaining("standby_cluster.hosts:");
        assertThatThrownBy(() -> set(Map.of("primary_cluster", Map.of("name", "east"))))
                .hasMessageContaining(
                        "standby_cluster.primary_cluster.zookeeper or standby_cluster.primary_cluster.etcd");
        assertThatThrownBy(() -> set(Map.of("archive", true, "primary_slot_name", "West")))
                .hasMessageContaining("standby_cluster.primary_slot_name: 'West' is not a slot name");
        assertThatThrownBy(() -> set(Map.of("archive", true, "color", "red"))).hasMessageContaining("color");
    }

    @Test
    void aNodeFileSeedsIt() {
        Map<String, Object> doc = valid();
        doc.put("standby_cluster", Map.of("hosts", "10.0.0.1:5432"));
        assertThat(ConfigReader.read(doc).standbyCluster().hosts()).isEqualTo("10.0.0.1:5432");
        doc.put("standby_cluster", Map.of("archive", true));
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageContaining("standby_cluster.archive: needs an archive: section");
        assertThat(ConfigReader.read(valid()).standbyCluster()).isNull();
    }
}
