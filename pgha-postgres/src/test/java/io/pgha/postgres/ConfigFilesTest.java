package io.pgha.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.ConfigReader;
import io.pgha.core.config.NodeConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What pgha writes into pgha.conf: its defaults, the user's parameters over them, its managed ones last. */
class ConfigFilesTest {

    private static ConfigFiles files(Map<String, Object> parameters) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("cluster", "main");
        doc.put("name", "db1");
        doc.put("data_dir", "/var/lib/pgha/db1/data");
        doc.put("dcs", Map.of("zookeeper", Map.of("connect", "zk1:2181")));
        doc.put("postgresql", Map.of("parameters", parameters));
        NodeConfig cfg = ConfigReader.read(doc);
        return new ConfigFiles(cfg, new OsCommand(cfg.osUser()), Path.of("/var/lib/pgha/db1/data.pgpass"));
    }

    @Test
    void theServerLogIsRotatedIntoADirectoryBesideTheDataDirectory() {
        Map<String, String> p = files(Map.of()).parameters(null);
        assertThat(p)
                .containsEntry("logging_collector", "on")
                .containsEntry("log_directory", "/var/lib/pgha/db1/data.log.d")
                .containsEntry("log_filename", "postgresql-%a.log")
                .containsEntry("log_truncate_on_rotation", "on")
                .containsEntry("log_rotation_age", "1d")
                .containsEntry("log_rotation_size", "0");
        assertThat(ConfigFiles.logDirectory(Path.of("/srv/pg/15/main"))).isEqualTo(Path.of("/srv/pg/15/main.log.d"));
    }

    @Test
    void theUsersParametersOverrideTheLogDefaults() {
        Map<String, String> p = files(Map.of(
                        "logging_collector", "off",
                        "log_directory", "/var/log/postgresql",
                        "log_filename", "postgresql-%Y-%m-%d_%H.log",
                        "log_rotation_size", "100MB"))
                .parameters(null);
        assertThat(p)
                .containsEntry("logging_collector", "off")
                .containsEntry("log_directory", "/var/log/postgresql")
                .containsEntry("log_filename", "postgresql-%Y-%m-%d_%H.log")
                .containsEntry("log_rotation_size", "100MB")
                .containsEntry("log_truncate_on_rotation", "on");
        assertThat(p).containsEntry("hot_standby", "on").containsEntry("port", "5432");
    }
}
