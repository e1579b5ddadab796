package io.pgha.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.config.ConfigException;
import io.pgha.core.config.ConfigReader;
import io.pgha.core.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a node's YAML config file. Environment variables {@code PGHA_<KEY>} (upper case, dots as
 * double underscores, e.g. {@code PGHA_RESTAPI__PORT}) override keys of the file, so that secrets
 * can stay out of it; only variables naming a config key count ({@code PGHA_CONFIG} does not). The result is validated once; errors name the key.
 */
public final class ConfigLoader {
    /** Duplicate keys are errors: YAML would otherwise let the last one silently replace the first. */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ConfigLoader() {}

    public static NodeConfig load(Path file) {
        return load(file, System.getenv());
    }

    /** Reads a standalone router's file ({@code cluster}, {@code dcs.zookeeper}, {@code router}). */
    public static io.pgha.core.config.RouterConfig.File loadRouter(
            Path file, Map<String, String> env, String defaultName) {
        return io.pgha.core.config.RouterConfig.File.read(applyEnv(document(file), env), defaultName);
    }

    public static NodeConfig load(Path file, Map<String, String> env) {
        return ConfigReader.read(applyEnv(document(file), env));
    }

    /**
     * Reads a file that CLI commands find the cluster with: a node's config (read as {@link #load}
     * reads it) or a client config, a file with neither {@code name} nor {@code data_dir} ({@link
     * ClientConfig#read}). The environment overrides keys of either, a client config's only for its
     * own keys ({@code PGHA_DCS__AUTH__PASSWORD}, {@code PGHA_POSTGRESQL__AUTHENTICATION__...}).
     */
    public static ClientConfig loadClient(Path file, Map<String, String> env) {
        Map<?, ?> doc = document(file);
        Map<String, Object> node = applyEnv(doc, env);
        if (!ClientConfig.isClientDocument(node)) return ClientConfig.of(ConfigReader.read(node));
        return ClientConfig.read(applyEnv(doc, env, ClientConfig.TOP_LEVEL_KEYS));
    }

    public static ClientConfig loadClient(Path file) {
        return loadClient(file, System.getenv());
    }

    private static Map<?, ?> document(Path file) {
        if (!Files.isReadable(file)) {
            throw new ConfigException("config file " + file + " does not exist or is not readable");
        }
        Object doc;
        try {
            doc = YAML.readValue(file.toFile(), Object.class);
        } catch (IOException e) {
            throw new ConfigException("config file " + file + " is not valid YAML: " + firstLine(e.getMessage()));
        }
        if (!(doc instanceof Map<?, ?> map)) {
            throw new ConfigException("config file " + file + " must be a YAML mapping of keys to values");
        }
        return map;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.split("\n")[0];
    }

    static Map<String, Object> applyEnv(Map<?, ?> doc, Map<String, String> env) {
        return applyEnv(doc, env, ConfigReader.TOP_LEVEL_KEYS);
    }

    /** {@code doc} with the variables {@code PGHA_<KEY>} applied whose first level is one of {@code keys}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> applyEnv(Map<?, ?> doc, Map<String, String> env, java.util.Set<String> keys) {
        Map<String, Object> root = deepCopy(doc);
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (!e.getKey().startsWith("PGHA_")) continue;
            String[] path =
                    e.getKey().substring(5).toLowerCase(java.util.Locale.ROOT).split("__");
            if (!keys.contains(path[0])) continue; // PGHA_CONFIG, PGHA_JAVA_OPTS, ...
            Map<String, Object> m = root;
            for (int i = 0; i < path.length - 1; i++) {
                Object next = m.get(path[i]);
                if (!(next instanceof Map)) {
                    next = new LinkedHashMap<String, Object>();
                    m.put(path[i], next);
                }
                m = (Map<String, Object>) next;
            }
            m.put(path[path.length - 1], e.getValue());
        }
        return root;
    }

    private static Map<String, Object> deepCopy(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v instanceof Map<?, ?> sub ? deepCopy(sub) : v));
        return out;
    }
}
