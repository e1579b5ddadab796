package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * docs/sets.md as it is written: every {@code replication_sets} example is accepted by the
 * validation of {@code pgha sets apply -f} and {@code pgha edit-config}, and every subcommand of
 * {@code pgha sets} is described there.
 */
class SetsDocTest {
    private static final Path DOC = Path.of("..", "docs", "sets.md");

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> yamlBlocks() throws Exception {
        String text = Files.readString(DOC);
        Matcher m = Pattern.compile("(?ms)^```yaml\\n(.*?)^```").matcher(text);
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<Map<String, Object>> out = new ArrayList<>();
        while (m.find()) out.add(yaml.readValue(m.group(1), Map.class));
        return out;
    }

    private static List<String> keys(Object map) {
        return ((Map<?, ?>) map).keySet().stream().map(String::valueOf).toList();
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyReplicationSetsExampleIsAcceptedAndYieldsItsSetsAndNodes() throws Exception {
        int checked = 0;
        for (Map<String, Object> block : yamlBlocks()) {
            if (!block.containsKey("replication_sets")) continue;
            assertThat(block.keySet()).as("%s", block).containsExactly("replication_sets");
            Map<String, Object> doc = (Map<String, Object>) block.get("replication_sets");
            SetsConfig c = DynamicSettings.apply(DynamicConfig.DEFAULT, block).sets();
            assertThat(c.nodes().keySet()).as("%s", block).containsExactlyElementsOf(keys(doc.get("nodes")));
            Map<String, Object> sets = (Map<String, Object>) doc.get("sets");
            assertThat(c.sets().keySet()).as("%s", block).containsExactlyElementsOf(keys(sets));
            for (ReplicationSet s : c.sets().values()) {
                Map<String, Object> written = (Map<String, Object>) sets.get(s.name());
                assertThat(s.origin()).isEqualTo(written.get("origin"));
                assertThat(s.database()).isEqualTo(written.getOrDefault("database", "postgres"));
                assertThat(s.tables()).hasSize(((List<?>) written.getOrDefault("tables", List.of())).size());
                assertThat(s.schemas()).isEqualTo(written.getOrDefault("schemas", List.of()));
                assertThat(s.subscribers().keySet())
                        .containsExactlyElementsOf(
                                written.containsKey("subscribers") ? keys(written.get("subscribers")) : List.of());
                assertThat(c.nodes().keySet())
                        .contains(s.origin())
                        .containsAll(s.subscribers().keySet());
            }
            checked++;
        }
        assertThat(checked).as("replication_sets examples in " + DOC).isGreaterThanOrEqualTo(3);
    }

    @Test
    void theFirstExampleIsReadAsTheDocumentSaysIt() throws Exception {
        Map<String, Object> first = yamlBlocks().stream()
                .filter(b -> b.containsKey("replication_sets"))
                .findFirst()
                .orElseThrow();
        SetsConfig c = DynamicSettings.apply(DynamicConfig.DEFAULT, first).sets();
        assertThat(c.sequenceSyncMs()).isEqualTo(10_000);
        assertThat(c.nodes().get("main").cluster()).isEqualTo("main");
        assertThat(c.nodes().get("reports").user()).isEqualTo("repl");
        assertThat(c.nodes().get("archive").user()).isEqualTo("postgres");
        ReplicationSet shop = c.sets().get("shop");
        assertThat(shop.tables().get(2).columns()).containsExactly("id", "name", "country");
        assertThat(shop.tables().get(2).where()).isEqualTo("country <> 'test'");
        assertThat(shop.sequences()).containsExactly("public.invoice_no");
        assertThat(shop.providerOf("reports")).isEqualTo("main");
        assertThat(shop.providerOf("archive")).isEqualTo("reports");
        assertThat(shop.protect()).isTrue();
    }

    @Test
    void everySubcommandOfPghaSetsIsDescribed() throws Exception {
        String text = Files.readString(DOC);
        CommandLine sets = Main.commandLine().getSubcommands().get("sets");
        assertThat(sets).isNotNull();
        List<String> names = new ArrayList<>();
        sets.getSubcommands().forEach((name, sub) -> {
            if (name.equals(sub.getCommandName())) names.add(name); // not an alias
        });
        assertThat(names).contains("apply", "subscribe", "move", "failover", "execute-script");
        List<String> missing = names.stream()
                .filter(n -> !Pattern.compile("pgha sets " + Pattern.quote(n) + "(?![\\w-])")
                        .matcher(text)
                        .find())
                .toList();
        assertThat(missing)
                .as("subcommands of pgha sets that " + DOC + " does not mention")
                .isEmpty();
    }
}
