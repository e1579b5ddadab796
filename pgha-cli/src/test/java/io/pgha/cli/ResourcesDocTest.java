package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.core.config.ConfigReader;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.DynamicConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every YAML example of docs/resources.md is accepted as it is written: the cluster-wide ones by
 * the validation of {@code pgha edit-config}, the node file's by the node config reader.
 */
class ResourcesDocTest {
    private static final Path DOC = Path.of("..", "docs", "resources.md");
    private static final Set<String> CLUSTER_WIDE = Set.of("resources", "fencing", "maintenance", "primary_placement");

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> yamlBlocks() throws Exception {
        String text = Files.readString(DOC);
        Matcher m = Pattern.compile("(?ms)^```yaml\\n(.*?)^```").matcher(text);
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<Map<String, Object>> out = new ArrayList<>();
        while (m.find()) out.add(yaml.readValue(m.group(1), Map.class));
        return out;
    }

    @Test
    void everyClusterWideExampleIsAccepted() throws Exception {
        int checked = 0;
        for (Map<String, Object> block : yamlBlocks()) {
            if (!CLUSTER_WIDE.containsAll(block.keySet())) continue;
            DynamicConfig c = DynamicSettings.apply(DynamicConfig.DEFAULT, block);
            if (block.containsKey("resources"))
                assertThat(c.resources().resources().keySet())
                        .as("%s", block)
                        .containsExactlyElementsOf(((Map<?, ?>) block.get("resources"))
                                .keySet().stream().map(String::valueOf).toList());
            checked++;
        }
        assertThat(checked).as("cluster-wide examples in " + DOC).isGreaterThanOrEqualTo(7);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theNodeFileExampleIsAccepted() throws Exception {
        int checked = 0;
        for (Map<String, Object> block : yamlBlocks()) {
            if (!block.containsKey("postgresql")) continue;
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("cluster", "main");
            doc.put("name", "db1");
            doc.put("data_dir", "/var/lib/pgha/db1");
            doc.put("dcs", Map.of("zookeeper", Map.of("connect", "127.0.0.1:2181")));
            doc.putAll(block);
            NodeConfig cfg = ConfigReader.read(doc);
            assertThat(cfg.postgresql().listen()).isEqualTo("0.0.0.0");
            assertThat(cfg.postgresql().connectAddress()).isEqualTo("10.0.0.11");
            assertThat(cfg.postgresql().socketDirectory()).isEqualTo("/tmp");
            Map<String, Object> pg = new LinkedHashMap<>((Map<String, Object>) block.get("postgresql"));
            pg.put("socket_directory", "/var/run/postgresql");
            doc.put("postgresql", pg);
            assertThat(ConfigReader.read(doc).postgresql().socketDirectory()).isEqualTo("/var/run/postgresql");
            checked++;
        }
        assertThat(checked).isEqualTo(1);
    }
}
