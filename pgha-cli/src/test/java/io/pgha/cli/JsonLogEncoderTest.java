package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code log.format: json}: one valid JSON object a line, whatever the message holds. */
class JsonLogEncoderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final LoggerContext ctx = new LoggerContext();
    private final Logger logger = ctx.getLogger("io.pgha.agent.Executor");

    private String encode(String message, Throwable t) {
        JsonLogEncoder enc = new JsonLogEncoder();
        enc.setContext(ctx);
        enc.setNode("node1");
        enc.start();
        LoggingEvent e = new LoggingEvent("fqcn", logger, Level.WARN, message, t, null);
        e.setThreadName("loop \"main\"");
        return new String(enc.encode(e), StandardCharsets.UTF_8);
    }

    @Test
    void writesEveryFieldOnOneLine() throws Exception {
        String line = encode("promoted: primary holding the leader lease", null);
        assertThat(line).endsWith("}\n");
        assertThat(line.substring(0, line.length() - 1)).doesNotContain("\n");
        JsonNode n = JSON.readTree(line);
        assertThat(n.get("level").asText()).isEqualTo("WARN");
        assertThat(n.get("logger").asText()).isEqualTo("io.pgha.agent.Executor");
        assertThat(n.get("node").asText()).isEqualTo("node1");
        assertThat(n.get("thread").asText()).isEqualTo("loop \"main\"");
        assertThat(n.get("message").asText()).isEqualTo("promoted: primary holding the leader lease");
        assertThat(n.has("exception")).isFalse();
        // a full timestamp with the offset, e.g. 2026-11-30T00:41:07.123+00:00
        String ts = n.get("timestamp").asText();
        assertThat(ts).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d\\d:\\d\\d");
        assertThat(OffsetDateTime.parse(ts)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "a \"quoted\" name and a back\\slash",
                "two\nlines\r\nand a\ttab",
                "control \u0000 \u0001 \u001f \u007f characters",
                "unicode: é ß 中文 😀 and \u2028 \u2029",
                "lone surrogates \ud800 and \udc00 survive",
                "{\"looks\": \"like json\"}",
                ""
            })
    void escapesAnyMessageSoThatItParsesBackUnchanged(String message) throws Exception {
        String line = encode(message, null);
        assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
        assertThat(JSON.readTree(line).get("message").asText()).isEqualTo(message);
    }

    @Test
    void carriesTheExceptionWithItsCauseAsOneString() throws Exception {
        Exception e = new IllegalStateException("outer \"x\"", new java.io.IOException("inner\nline"));
        String line = encode("cycle failed", e);
        assertThat(line.indexOf('\n')).isEqualTo(line.length() - 1);
        String ex = JSON.readTree(line).get("exception").asText();
        assertThat(ex)
                .startsWith("java.lang.IllegalStateException: outer \"x\"")
                .contains("Caused by: java.io.IOException: inner\nline")
                .contains("\tat io.pgha.cli.JsonLogEncoderTest");
    }

    @Test
    void escapingIsJsonsOwn() {
        StringBuilder b = new StringBuilder();
        JsonLogEncoder.escape(b, "\"\\\n\u0001\u2028é");
        assertThat(b).hasToString("\\\"\\\\\\n\\u0001\\u2028é");
    }
}
