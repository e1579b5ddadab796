package io.pgha.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** libpq's keyword=value connection strings, read and written as libpq does. */
class ConninfoTest {

    static Stream<Arguments> parsed() {
        return Stream.of(
                Arguments.of("host=db1 port=5432", Map.of("host", "db1", "port", "5432")),
                Arguments.of("  host = db1\tport =5432  ", Map.of("host", "db1", "port", "5432")),
                Arguments.of(
                        "host=10.0.0.31,10.0.0.32 port=5432 target_session_attrs=read-write",
                        Map.of("host", "10.0.0.31,10.0.0.32", "port", "5432", "target_session_attrs", "read-write")),
                Arguments.of(
                        "application_name='my app' user=repl", Map.of("application_name", "my app", "user", "repl")),
                Arguments.of("options='-c search_path=a,b'", Map.of("options", "-c search_path=a,b")),
                Arguments.of("password='it\\'s' user=x", Map.of("password", "it's", "user", "x")),
                Arguments.of("password='a\\\\b'", Map.of("password", "a\\b")),
                Arguments.of("password='a\\\\'", Map.of("password", "a\\")),
                Arguments.of("password=a\\ b", Map.of("password", "a b")),
                Arguments.of("password=it\\'s", Map.of("password", "it's")),
                Arguments.of("password='' user=x", Map.of("password", "", "user", "x")),
                Arguments.of("password=''", Map.of("password", "")),
                Arguments.of(
                        "sslmode=require password='has = and ;'",
                        Map.of("sslmode", "require", "password", "has = and ;")),
                Arguments.of("", Map.of()),
                Arguments.of("   ", Map.of()));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("parsed")
    void parsesAsLibpqDoes(String conninfo, Map<String, String> expected) {
        assertThat(Conninfo.parse(conninfo)).containsExactlyInAnyOrderEntriesOf(expected);
    }

    @Test
    void keepsTheOrderOfTheKeywords() {
        assertThat(Conninfo.parse("port=5432 host=db1 user=u"))
                .containsExactly(entry("port", "5432"), entry("host", "db1"), entry("user", "u"));
    }

    @ParameterizedTest(name = "[{0}]")
    @ValueSource(strings = {"host", "host db1", "host=db1 port", "host=db1 port 5432", "=db1"})
    void aKeywordWithoutEqualsIsAnError(String conninfo) {
        assertThatThrownBy(() -> Conninfo.parse(conninfo))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not followed by '='");
    }

    @Test
    void theErrorNamesTheKeyword() {
        assertThatThrownBy(() -> Conninfo.parse("host=db1 port 5432")).hasMessageStartingWith("'port' is not followed");
    }

    static Stream<Arguments> unclosed() {
        return Stream.of(
                Arguments.of("password='abc", "password"),
                Arguments.of("password='abc\\'", "password"),
                Arguments.of("host=db1 application_name='my app", "application_name"));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("unclosed")
    void anUnclosedQuoteIsAnError(String conninfo, String keyword) {
        assertThatThrownBy(() -> Conninfo.parse(conninfo))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the value of '" + keyword + "' has no closing quote");
    }

    @Test
    void quotesOnlyWhatNeedsIt() {
        assertThat(Conninfo.quote("db1")).isEqualTo("db1");
        assertThat(Conninfo.quote("a=b,c")).isEqualTo("a=b,c");
        assertThat(Conninfo.quote("")).isEqualTo("''");
        assertThat(Conninfo.quote("my app")).isEqualTo("'my app'");
        assertThat(Conninfo.quote("tab\there")).isEqualTo("'tab\there'");
        assertThat(Conninfo.quote("it's")).isEqualTo("'it\\'s'");
        assertThat(Conninfo.quote("a\\b")).isEqualTo("'a\\\\b'");
    }

    @Test
    void formatsInOrder() {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("host", "db1");
        kv.put("port", "5432");
        kv.put("application_name", "my app");
        kv.put("password", "");
        assertThat(Conninfo.format(kv)).isEqualTo("host=db1 port=5432 application_name='my app' password=''");
        assertThat(Conninfo.format(Map.of())).isEmpty();
    }

    @Test
    void whatIsFormattedParsesBackToTheSameValues() {
        List<String> values = List.of(
                "plain",
                "",
                " ",
                "two words",
                " leading and trailing ",
                "it's",
                "''",
                "\\",
                "a\\b\\",
                "\\'",
                "a=b",
                "key='quoted' x=y",
                "tab\tand\nnewline",
                "ünïcödé €");
        Map<String, String> kv = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) kv.put("k" + i, values.get(i));
        String s = Conninfo.format(kv);
        assertThat(Conninfo.parse(s)).containsExactlyEntriesOf(kv);
        for (String v : values)
            assertThat(Conninfo.parse("x=" + Conninfo.quote(v))).as("[%s]", v).containsExactly(entry("x", v));
    }
}
