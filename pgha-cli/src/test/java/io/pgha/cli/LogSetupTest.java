package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgha.core.config.LogConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A config's {@code log:} section applied to the running logback, and the text lines' timestamp. */
class LogSetupTest {
    private final LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private OutputStreamAppender<ILoggingEvent> capture;

    /** An appender on the root logger that writes into {@link #out}, beside the test config's own. */
    private void capture() {
        capture = new OutputStreamAppender<>();
        capture.setName("capture");
        capture.setContext(ctx);
        ch.qos.logback.classic.encoder.PatternLayoutEncoder text =
                new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
        text.setContext(ctx);
        text.setPattern("TEXT %level %logger: %msg%n");
        text.start();
        capture.setEncoder(text);
        capture.setOutputStream(out);
        capture.start();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(capture);
    }

    private String captured() {
        String s = out.toString(StandardCharsets.UTF_8);
        out.reset();
        return s;
    }

    @AfterEach
    void restore() {
        LogSetup.apply(LogConfig.DEFAULT, "pgha");
        if (capture != null) {
            ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(capture);
            capture.stop();
        }
    }

    @Test
    void setsLevelsPerLoggerAndPutsBackWhatALaterConfigDrops() {
        Level rootBefore = ctx.getLogger(Logger.ROOT_LOGGER_NAME).getLevel();
        Map<String, String> loggers = new LinkedHashMap<>();
        loggers.put("io.pgha.dcs", "ERROR");
        loggers.put("io.pgha.agent.Executor", "DEBUG");
        LogSetup.apply(new LogConfig(LogConfig.Format.TEXT, "INFO", loggers), "node1");
        assertThat(ctx.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
        assertThat(ctx.getLogger("io.pgha.dcs").getLevel()).isEqualTo(Level.ERROR);
        assertThat(ctx.getLogger("io.pgha.dcs.ZooKeeperDcs").getEffectiveLevel())
                .as("a package's level reaches its classes")
                .isEqualTo(Level.ERROR);
        assertThat(ctx.getLogger("io.pgha.agent.Executor").isDebugEnabled()).isTrue();
        assertThat(ctx.getLogger("io.pgha.agent.Agent").isDebugEnabled()).isFalse();
        // the test config sets org.apache.zookeeper OFF; a reload that overrides it, then one that does not
        LogSetup.apply(new LogConfig(LogConfig.Format.TEXT, null, Map.of("org.apache.zookeeper", "WARN")), "node1");
        assertThat(ctx.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(rootBefore);
        assertThat(ctx.getLogger("io.pgha.dcs").getLevel())
                .as("dropped: inherited again")
                .isNull();
        assertThat(ctx.getLogger("io.pgha.agent.Executor").getLevel()).isNull();
        assertThat(ctx.getLogger("org.apache.zookeeper").getLevel()).isEqualTo(Level.WARN);
        LogSetup.apply(LogConfig.DEFAULT, "node1");
        assertThat(ctx.getLogger("org.apache.zookeeper").getLevel())
                .as("back to logback's own config")
                .isEqualTo(Level.OFF);
    }

    @Test
    void switchesTheAppendersToJsonLinesAndBack() throws Exception {
        capture();
        LogSetup.apply(new LogConfig(LogConfig.Format.JSON, "INFO", Map.of()), "node7");
        LoggerFactory.getLogger("io.pgha.agent.Agent").info("elected: {}", "node7 \"first\"");
        String line = captured();
        assertThat(line.lines()).hasSize(1);
        JsonNode n = new ObjectMapper().readTree(line);
        assertThat(n.get("message").asText()).isEqualTo("elected: node7 \"first\"");
        assertThat(n.get("node").asText()).isEqualTo("node7");
        assertThat(n.get("logger").asText()).isEqualTo("io.pgha.agent.Agent");
        assertThat(n.get("level").asText()).isEqualTo("INFO");
        LogSetup.apply(new LogConfig(LogConfig.Format.TEXT, "INFO", Map.of()), "node7");
        LoggerFactory.getLogger("io.pgha.agent.Agent").info("plain again");
        assertThat(captured()).isEqualTo("TEXT INFO io.pgha.agent.Agent: plain again\n");
    }

    @Test
    void theShippedConfigWritesAFullTimestampWithTheOffset() throws Exception {
        LoggerContext shipped = new LoggerContext();
        shipped.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        shipped.putProperty("pgha.node", "node3");
        LogDefaults.apply(shipped);
        shipped.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.INFO);
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            shipped.getLogger("io.pgha.agent.Agent").info("agent node3 started");
            assertThat(((OutputStreamAppender<ILoggingEvent>)
                                    shipped.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("OUT"))
                            .getEncoder())
                    .isInstanceOf(LayoutWrappingEncoder.class);
        } finally {
            System.setErr(err);
            shipped.stop();
        }
        String line = buf.toString(StandardCharsets.UTF_8);
        assertThat(line)
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d INFO  \\[node3\\] Agent:"
                        + " agent node3 started\\R");
        assertThat(OffsetDateTime.parse(line.substring(0, line.indexOf(' ')))).isNotNull();
    }

    @Test
    void theShippedDefaultsQuietTheLibrariesAndTakeTheLevelsFromSystemProperties() {
        LoggerContext shipped = new LoggerContext();
        String zk = System.getProperty("pgha.zk.log.level");
        System.setProperty("pgha.zk.log.level", "INFO");
        try {
            LogDefaults.apply(shipped);
            assertThat(shipped.getLogger("org.apache.zookeeper").getLevel()).isEqualTo(Level.INFO);
            assertThat(shipped.getLogger("org.apache.curator").getLevel()).isEqualTo(Level.INFO);
            assertThat(shipped.getLogger("org.apache.zookeeper.server.quorum").getLevel())
                    .isEqualTo(Level.OFF);
            assertThat(shipped.getLogger("io.etcd.jetcd").getLevel()).isEqualTo(Level.ERROR);
            assertThat(shipped.getLogger(Logger.ROOT_LOGGER_NAME).getEffectiveLevel())
                    .isEqualTo(Level.toLevel(System.getProperty("pgha.log.level"), Level.WARN));
        } finally {
            if (zk == null) System.clearProperty("pgha.zk.log.level");
            else System.setProperty("pgha.zk.log.level", zk);
            shipped.stop();
        }
    }

    @Test
    void aNodeNameIsLiteralTextOfThePattern() {
        assertThat(LogDefaults.literal("node-1")).isEqualTo("node-1");
        assertThat(LogDefaults.literal("a%b(c)\\d")).isEqualTo("a\\%b\\(c\\)\\\\d");
    }

    @Test
    void logbackFindsTheDefaultsAsAServiceAndTheyStepAsideForAUsersFileOrATestFile() throws Exception {
        try (var in =
                LogSetupTest.class.getResourceAsStream("/META-INF/services/ch.qos.logback.classic.spi.Configurator")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim())
                    .isEqualTo(LogDefaults.class.getName());
        }
        LoggerContext fresh = new LoggerContext();
        // this class path carries logback-test.xml: the tests' own file is used
        assertThat(new LogDefaults().configure(fresh)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(fresh.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("OUT")).isNull();
        System.setProperty("pgha.log.defaults", "true");
        try {
            assertThat(new LogDefaults().configure(fresh))
                    .isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
            assertThat(fresh.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("OUT"))
                    .isNotNull();
            System.setProperty("logback.configurationFile", "/etc/pgha/logback.xml");
            assertThat(new LogDefaults().configure(new LoggerContext()))
                    .isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
        } finally {
            System.clearProperty("pgha.log.defaults");
            System.clearProperty("logback.configurationFile");
            fresh.stop();
        }
    }
}
