package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.config.ConfigException;
import io.pgha.core.config.LogConfig;
import io.pgha.core.config.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final Path EXAMPLE = Path.of("..", "docs", "examples", "node.yml");

    @Test
    void theDocumentedExampleIsValid() {
        NodeConfig c = ConfigLoader.load(EXAMPLE, Map.of());
        assertThat(c.name()).isEqualTo("db1");
        assertThat(c.postgresql().replication().username()).isEqualTo("replicator");
        assertThat(c.restapi().auth()).isNotNull();
    }

    @Test
    void theDcsPasswordComesFromTheEnvironmentToo() {
        assertThat(ConfigLoader.load(EXAMPLE, Map.of()).dcs().auth().password())
                .isEqualTo("change-me-to-a-long-random-secret");
        NodeConfig c = ConfigLoader.load(EXAMPLE, Map.of("PGHA_DCS__AUTH__PASSWORD", "from-the-environment"));
        assertThat(c.dcs().auth()).isEqualTo(new io.pgha.core.config.Credentials("pgha", "from-the-environment"));
    }

    @Test
    void aNodeConfigReadAsAClientIsTheNodesAndAFileWithoutNameOrDataDirIsAClientConfig(@TempDir Path dir)
            throws Exception {
        var asClient = ConfigLoader.loadClient(EXAMPLE, Map.of());
        assertThat(asClient.isNodeConfig()).isTrue();
        assertThat(asClient.node()).isEqualTo(ConfigLoader.load(EXAMPLE, Map.of()));
        assertThat(asClient.superuser()).isEqualTo(asClient.node().postgresql().superuser());
        assertThat(asClient.restapi().auth())
                .isEqualTo(asClient.node().restapi().auth());

        Path client = Files.writeString(dir.resolve("client.yml"), """
                cluster: main
                dcs:
                  zookeeper: {connect: "zk1:2181"}
                  auth: {username: ops, password: ops-password-1}
                """);
        var c = ConfigLoader.loadClient(client, Map.of());
        assertThat(c.isNodeConfig()).isFalse();
        assertThat(c.dcs().auth().username()).isEqualTo("ops");
        // a name from the environment makes it a node's file again, with a node's requirements
        assertThatThrownBy(() -> ConfigLoader.loadClient(client, Map.of("PGHA_NAME", "db1")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("data_dir: is required");
        assertThatThrownBy(() -> ConfigLoader.load(client, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("name: is required");
    }

    @Test
    void environmentVariablesOverrideKeys() {
        NodeConfig c = ConfigLoader.load(
                EXAMPLE,
                Map.of(
                        "PGHA_POSTGRESQL__PORT", "6543",
                        "PGHA_RESTAPI__AUTHENTICATION__PASSWORD", "from-env",
                        "PGHA_TAGS__NOFAILOVER", "true",
                        "PGHA_JAVA_OPTS", "-Xmx1g",
                        "PGHA_CONFIG", "/etc/pgha.yml",
                        "HOME", "/root"));
        assertThat(c.postgresql().port()).isEqualTo(6543);
        assertThat(c.restapi().auth().password()).isEqualTo("from-env");
        assertThat(c.tags().noFailover()).isTrue();
    }

    @Test
    void aBadEnvironmentValueNamesTheKey() {
        assertThatThrownBy(() -> ConfigLoader.load(EXAMPLE, Map.of("PGHA_RESTAPI__PORT", "http")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("restapi.port: 'http' is not a whole number");
    }

    @Test
    void unreadableOrMalformedFilesAreClearErrors(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yml"), Map.of()))
                .hasMessageContaining("does not exist or is not readable");
        Path bad = Files.writeString(dir.resolve("bad.yml"), "cluster: [unclosed\n");
        assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of())).hasMessageContaining("is not valid YAML");
        Path dup = Files.writeString(
                dir.resolve("dup.yml"), "cluster: a\npostgresql: {port: 5432}\npostgresql: {port: 5433}\n");
        assertThatThrownBy(() -> ConfigLoader.load(dup, Map.of())).hasMessageContaining("Duplicate field 'postgresql'");
        Path list = Files.writeString(dir.resolve("list.yml"), "- a\n- b\n");
        assertThatThrownBy(() -> ConfigLoader.load(list, Map.of())).hasMessageContaining("must be a YAML mapping");
    }

    @Test
    void theLogSectionFromYamlAndTheEnvironment(@TempDir Path dir) throws Exception {
        NodeConfig example = ConfigLoader.load(EXAMPLE, Map.of("PGHA_LOG__FORMAT", "json"));
        assertThat(example.log().format()).isEqualTo(LogConfig.Format.JSON);
        assertThat(example.log().level()).isEqualTo("INFO");
        assertThat(example.log().loggers()).containsExactly(Map.entry("io.pgha.dcs", "WARN"));
        Path f = Files.writeString(
                dir.resolve("n1.yml"),
                "cluster: main\nname: n1\ndata_dir: /var/lib/pgha/n1\n"
                        + "dcs: {zookeeper: {connect: '127.0.0.1:2181'}}\n"
                        + "log:\n  level: debug\n  loggers:\n    org.apache.zookeeper: off\n"
                        + "    io.pgha.agent.Executor: trace\n");
        NodeConfig c = ConfigLoader.load(f, Map.of());
        assertThat(c.log().format()).isEqualTo(LogConfig.Format.TEXT);
        assertThat(c.log().level()).isEqualTo("DEBUG");
        assertThat(c.log().loggers())
                .as("YAML's bare off is a boolean; it still means OFF")
                .containsExactly(
                        Map.entry("org.apache.zookeeper", "OFF"), Map.entry("io.pgha.agent.Executor", "TRACE"));
        Path bad = Files.writeString(dir.resolve("bad.yml"), Files.readString(f).replace("trace", "loud"));
        assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("log.loggers.io.pgha.agent.Executor: 'loud' is not one of");
    }
}
