package io.pgha.core.config;

import static io.pgha.core.config.ConfigReaderTest.set;
import static io.pgha.core.config.ConfigReaderTest.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code log:} section of a node's and a router's file. */
class LogConfigTest {

    @Test
    void withoutASectionTheProcessKeepsItsDefaults() {
        assertThat(ConfigReader.read(valid()).log()).isEqualTo(LogConfig.DEFAULT);
        assertThat(LogConfig.DEFAULT.format()).isEqualTo(LogConfig.Format.TEXT);
        assertThat(LogConfig.DEFAULT.level()).isNull();
    }

    @Test
    void readsFormatRootLevelAndLoggersInTheirOrder() {
        Map<String, Object> doc = valid();
        Map<String, Object> loggers = new LinkedHashMap<>();
        loggers.put("io.pgha.dcs", "warn");
        loggers.put("io.pgha.agent.Executor", "DEBUG");
        loggers.put("org.apache.zookeeper", false); // YAML reads a bare `off` as false
        set(doc, "log.format", "JSON");
        set(doc, "log.level", "info");
        set(doc, "log.loggers", loggers);
        LogConfig l = ConfigReader.read(doc).log();
        assertThat(l.format()).isEqualTo(LogConfig.Format.JSON);
        assertThat(l.level()).isEqualTo("INFO");
        assertThat(l.loggers())
                .containsExactly(
                        Map.entry("io.pgha.dcs", "WARN"),
                        Map.entry("io.pgha.agent.Executor", "DEBUG"),
                        Map.entry("org.apache.zookeeper", "OFF"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "log.format | xml | log.format: 'xml' is not one of text, json",
                "log.level | LOUD | log.level: 'LOUD' is not one of TRACE, DEBUG, INFO, WARN, ERROR, OFF",
                "log.loggers.io.pgha.dcs | verbose | log.loggers.io.pgha.dcs: 'verbose' is not one of TRACE",
                "log.colour | on | log.colour: unknown key",
            })
    void rejectsBadValuesNamingTheKey(String key, String value, String message) {
        Map<String, Object> doc = valid();
        if (key.startsWith("log.loggers.")) {
            set(doc, "log.loggers", Map.of(key.substring("log.loggers.".length()), value));
        } else {
            set(doc, key, value);
        }
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource({"io..pgha", "io.pgha.", "9io.pgha", "io pgha", "io/pgha", "io-pgha"})
    void rejectsLoggerNamesThatAreNotDottedIdentifiers(String name) {
        Map<String, Object> doc = valid();
        set(doc, "log.loggers", Map.of(name, "DEBUG"));
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("log.loggers." + name + ": '" + name + "' is not a logger name");
    }

    @Test
    void aLoggerWithoutALevelAndANestedMappingAreRefused() {
        Map<String, Object> doc = valid();
        Map<String, Object> loggers = new LinkedHashMap<>();
        loggers.put("io.pgha.dcs", null);
        set(doc, "log.loggers", loggers);
        assertThatThrownBy(() -> ConfigReader.read(doc)).hasMessageContaining("log.loggers.io.pgha.dcs: needs a level");
        Map<String, Object> nested = valid();
        set(nested, "log.loggers", Map.of("io", Map.of("pgha", "DEBUG")));
        assertThatThrownBy(() -> ConfigReader.read(nested))
                .hasMessageContaining("log.loggers.io: expected a text value");
    }

    @Test
    void aRouterFileTakesTheSameSection() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("cluster", "main");
        doc.put("dcs", Map.of("zookeeper", Map.of("connect", "zk1:2181")));
        doc.put("router", Map.of("port", 6432));
        doc.put("log", Map.of("format", "json", "loggers", Map.of("io.pgha.router", "DEBUG")));
        RouterConfig.File f = RouterConfig.File.read(doc, "r1");
        assertThat(f.log().format()).isEqualTo(LogConfig.Format.JSON);
        assertThat(f.log().loggers()).containsEntry("io.pgha.router", "DEBUG");
        doc.put("log", Map.of("level", "chatty"));
        assertThatThrownBy(() -> RouterConfig.File.read(doc, "r1")).hasMessageContaining("log.level: 'chatty'");
    }
}
