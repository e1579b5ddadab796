package io.pgha.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.agent.ClusterControl;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.config.ConfigException;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.model.DynamicConfig;
import io.pgha.dcs.Dcs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgha edit-config}: change the cluster-wide settings kept in the DCS, at run time. */
@Command(
        mixinStandardHelpOptions = true,
        name = "edit-config",
        description = {
            "Change the cluster-wide settings (synchronous_mode, synchronous_node_count, ...) at run time.",
            "Without --set, opens $EDITOR on the current settings. Changes are shown and confirmed before they are written."
        })
final class EditConfigCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = {
                "change one setting without an editor (repeatable);",
                "a mapping is written in YAML flow style: slots={cdc: {type: logical, database: app, plugin: pgoutput}}"
            })
    List<String> sets = List.of();

    @Option(names = "--force", description = "do not ask for confirmation")
    boolean force;

    @Option(
            names = "--skip-check",
            description = "write PostgreSQL parameters without checking them against a running member's pg_settings")
    boolean skipCheck;

    @Override
    public Integer call() throws Exception {
        ClientConfig cfg = cluster.client();
        Map<String, Object> wanted = new LinkedHashMap<>();
        for (String s : sets) {
            var kv = DynamicSettings.assignment(s);
            wanted.put(kv.getKey(), value(kv.getKey(), kv.getValue()));
        }
        try (Dcs dcs = cluster.connect(cfg)) {
            DynamicConfig current = dcs.read().config();
            if (sets.isEmpty()) wanted = edit(current);
            DynamicConfig next;
            try {
                next = DynamicSettings.apply(current, wanted);
            } catch (ConfigException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            Map<String, Object> before = DynamicSettings.toMap(current);
            Map<String, Object> after = DynamicSettings.toMap(next);
            Map<String, Object> changes = new LinkedHashMap<>();
            StringBuilder diff = new StringBuilder();
            for (String k : after.keySet()) {
                if (!Objects.equals(before.get(k), after.get(k))) {
                    changes.put(k, after.get(k));
                    diff.append("  ")
                            .append(k)
                            .append(": ")
                            .append(before.get(k))
                            .append(" -> ")
                            .append(after.get(k))
                            .append('\n');
                }
            }
            if (changes.isEmpty()) {
                System.out.println("No changes.");
                return 0;
            }
            String restartNote = "";
            Map<String, String> newParameters = changedParameters(current, next);
            if (!newParameters.isEmpty() && !skipCheck) {
                var catalog = ParameterCatalog.read(cfg.superuser(), dcs.read());
                List<String> problems = io.pgha.core.config.ParameterCheck.problems(newParameters, catalog);
                if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
                List<String> restart = newParameters.keySet().stream()
                        .filter(n -> catalog.containsKey(n) && catalog.get(n).needsRestart())
                        .toList();
                if (!restart.isEmpty()) {
                    restartNote = "Needs a restart of PostgreSQL to take effect: " + String.join(", ", restart)
                            + " ('pgha list' marks members pending a restart).\n";
                }
            }
            System.out.print("Changes to cluster " + cfg.cluster() + ":\n" + diff);
            if (!Confirm.ask("Apply these changes?", force)) {
                System.out.println("Nothing changed.");
                return 1;
            }
            new ClusterControl(dcs, System::currentTimeMillis).updateConfig(changes);
            System.out.println("Applied; the agents act on it within one cycle.");
            System.out.print(restartNote);
        }
        return 0;
    }

    /** The cluster-wide PostgreSQL parameters that {@code next} adds or changes. */
    private static Map<String, String> changedParameters(DynamicConfig current, DynamicConfig next) {
        Map<String, String> out = new LinkedHashMap<>();
        next.postgresql().parameters().forEach((k, v) -> {
            if (!v.equals(current.postgresql().parameters().get(k))) out.put(k, v);
        });
        return out;
    }

    /** A --set value: text as written, or a mapping when written in YAML flow style ({@code {...}}). */
    private static Object value(String key, String text) {
        if (!text.startsWith("{")) return text;
        try {
            return new ObjectMapper(new YAMLFactory()).readValue(text, Object.class);
        } catch (Exception e) {
            throw new IllegalArgumentException(
                    key + ": '" + text + "' is not a YAML mapping: "
                            + e.getMessage().split("\n")[0],
                    e);
        }
    }

    private static Map<String, Object> edit(DynamicConfig current) throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Path file = Files.createTempFile("pgha-config-", ".yaml");
        try {
            Files.writeString(
                    file,
                    "# Cluster-wide settings of pgha; see docs/configuration.md.\n"
                            + yaml.writeValueAsString(DynamicSettings.toMap(current))
                                    .replaceFirst("^---\\s*\n", ""));
            String editor =
                    System.getenv().getOrDefault("VISUAL", System.getenv().getOrDefault("EDITOR", "vi"));
            int rc = new ProcessBuilder("sh", "-c", editor + " \"$0\"", file.toString())
                    .inheritIO()
                    .start()
                    .waitFor();
            if (rc != 0) throw new IllegalStateException("the editor exited with status " + rc + ": nothing changed");
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Object parsed = yaml.readValue(text.isBlank() ? "{}" : text, Object.class);
            if (parsed == null) return Map.of();
            if (!(parsed instanceof Map<?, ?> m))
                throw new IllegalArgumentException("the edited settings are not a YAML mapping");
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), v));
            return out;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
