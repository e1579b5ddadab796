package io.pgha.router.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pgha.router.sql.Classification.Pin;
import io.pgha.router.sql.Classification.Target;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The read/write split's classification, table-tested against PostgreSQL's own parser (libpg_query)
 * with the statements of {@code statements.txt}.
 */
class StatementClassifierTest {
    private static final StatementClassifier CLASSIFIER = new StatementClassifier(FunctionPolicy.defaults());

    record Row(int line, Target target, boolean begins, boolean session, Set<Pin> pins, String sql) {
        @Override
        public String toString() {
            return line + ": " + sql;
        }
    }

    static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        try (InputStream in = StatementClassifierTest.class.getResourceAsStream("statements.txt")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                if (line.isBlank() || line.startsWith("#")) continue;
                int bar = line.indexOf(" |");
                if (bar < 0) throw new IllegalStateException("statements.txt:" + (i + 1) + ": no ' | '");
                String[] words = line.substring(0, bar).trim().split("\\s+");
                String sql = line.substring(bar + 2);
                if (sql.startsWith(" ")) sql = sql.substring(1);
                sql = sql.replace("\\n", "\n");
                EnumSet<Pin> pins = EnumSet.noneOf(Pin.class);
                boolean begins = false;
                boolean session = false;
                for (int w = 1; w < words.length; w++) {
                    if (words[w].equals("begin")) begins = true;
                    else if (words[w].equals("session")) session = true;
                    else if (words[w].startsWith("pin=")) pins.add(Pin.valueOf(words[w].substring(4)));
                    else throw new IllegalStateException("statements.txt:" + (i + 1) + ": unknown word " + words[w]);
                }
                rows.add(new Row(
                        i + 1,
                        Target.valueOf(words[0].toUpperCase(java.util.Locale.ROOT)),
                        begins,
                        session,
                        pins,
                        sql));
            }
        }
        return rows;
    }

    static Stream<Arguments> table() throws IOException {
        return rows().stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void classifies(Row row) {
        Classification c = CLASSIFIER.classify(row.sql());
        assertThat(c.target()).as("target of %s (reason: %s)", row, c.reason()).isEqualTo(row.target());
        assertThat(c.beginsReadOnly())
                .as("opens a read-only transaction: %s", row)
                .isEqualTo(row.begins());
        assertThat(c.sessionState()).as("session state: %s", row).isEqualTo(row.session());
        assertThat(c.pins()).as("pins of %s", row).isEqualTo(row.pins());
        assertThat(c.reason()).isNotBlank();
    }

    @Test
    void theTableIsLargeAndCoversBothTargets() throws IOException {
        List<Row> rows = rows();
        assertThat(rows).hasSizeGreaterThan(300);
        assertThat(rows.stream().filter(r -> r.target() == Target.STANDBY)).hasSizeGreaterThan(100);
        assertThat(rows.stream().filter(r -> r.target() == Target.PRIMARY)).hasSizeGreaterThan(100);
    }

    @Test
    void reasonsNameWhatDecided() {
        assertThat(CLASSIFIER.classify("SELECT nextval('s')").reason()).contains("nextval");
        assertThat(CLASSIFIER.classify("SELECT * FROM t FOR UPDATE").reason()).contains("FOR UPDATE");
        assertThat(CLASSIFIER.classify("SELEC 1").reason()).contains("not parsed", "syntax error");
        assertThat(CLASSIFIER.classify("/* pgha:primary */ SELECT 1").reason()).isEqualTo("hint pgha:primary");
        assertThat(CLASSIFIER
                        .classify("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x")
                        .reason())
                .contains("Delete");
    }

    /** Which texts a pooler may replay on another connection (one session-level SET/RESET, not of a role). */
    @Test
    void replayableSettingsAreNamed() {
        assertThat(CLASSIFIER.classify("SET search_path = app, public").setting())
                .isEqualTo("search_path");
        assertThat(CLASSIFIER.classify("SET application_name TO 'x'").setting()).isEqualTo("application_name");
        assertThat(CLASSIFIER.classify("SET TIME ZONE 'UTC'").setting()).isEqualTo("timezone");
        assertThat(CLASSIFIER.classify("SET work_mem TO DEFAULT").setting()).isEqualTo("work_mem");
        assertThat(CLASSIFIER.classify("RESET statement_timeout").setting()).isEqualTo("statement_timeout");
        assertThat(CLASSIFIER.classify("SET myapp.tenant = '7'").setting()).isEqualTo("myapp.tenant");
        for (String notReplayed : List.of(
                "SET ROLE admin",
                "RESET ROLE",
                "SET SESSION AUTHORIZATION bob",
                "RESET ALL",
                "DISCARD ALL",
                "SET LOCAL work_mem = '1MB'",
                "SET work_mem = '1MB'; SET search_path = x",
                "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                "SELECT set_config('search_path', 'x', false)"))
            assertThat(CLASSIFIER.classify(notReplayed).setting())
                    .as(notReplayed)
                    .isNull();
    }

    @Test
    void configuredFunctionsAreHonoured() {
        StatementClassifier c = new StatementClassifier(FunctionPolicy.of(
                List.of("report_total", "app.lookup", "\"MixedCase\""), List.of("random", "app.now")));
        assertThat(c.classify("SELECT report_total()").target()).isEqualTo(Target.STANDBY);
        assertThat(c.classify("SELECT anyschema.report_total()").target()).isEqualTo(Target.STANDBY);
        assertThat(c.classify("SELECT app.lookup(1)").target()).isEqualTo(Target.STANDBY);
        assertThat(c.classify("SELECT lookup(1)").target())
                .as("app.lookup only with its schema")
                .isEqualTo(Target.PRIMARY);
        assertThat(c.classify("SELECT other.lookup(1)").target()).isEqualTo(Target.PRIMARY);
        assertThat(c.classify("SELECT \"MixedCase\"()").target()).isEqualTo(Target.STANDBY);
        assertThat(c.classify("SELECT mixedcase()").target()).isEqualTo(Target.PRIMARY);
        assertThat(c.classify("SELECT random()").target())
                .as("writers win over the built-ins")
                .isEqualTo(Target.PRIMARY);
        assertThat(c.classify("SELECT now()").target()).isEqualTo(Target.STANDBY);
        assertThat(c.classify("SELECT app.now()").target()).isEqualTo(Target.PRIMARY);
    }

    @Test
    void badFunctionNamesInTheConfigAreRefusedWithTheirName() {
        assertThatThrownBy(() -> FunctionPolicy.of(List.of("a.b.c"), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a.b.c'")
                .hasMessageContaining("read-only");
        assertThatThrownBy(() -> FunctionPolicy.of(List.of(), List.of(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("writing");
        assertThatThrownBy(() -> FunctionPolicy.of(List.of("app."), List.of())).hasMessageContaining("'app.'");
    }

    @Test
    void theCacheIsBounded() {
        StatementClassifier c = new StatementClassifier(FunctionPolicy.defaults());
        for (int i = 0; i < StatementClassifier.CACHE_LIMIT + 10; i++)
            assertThat(c.classify("SELECT " + i).target()).isEqualTo(Target.STANDBY);
        assertThat(c.cacheSize()).isLessThanOrEqualTo(StatementClassifier.CACHE_LIMIT);
    }

    /** Any text gets a classification with a reason: no exception, no crash in the native parser. */
    @FuzzTest(maxDuration = "30s")
    void classifyIsTotal(String sql) {
        if (sql == null) return;
        Classification c = new StatementClassifier(FunctionPolicy.defaults()).classify(sql);
        assertThat(c.reason()).isNotBlank();
        if (c.target() == Target.STANDBY && Hints.of(sql) == null)
            assertThat(c.reason()).doesNotStartWith("not parsed");
    }

    /** libpg_query parses in a memory context per thread: event-loop threads classify at once. */
    @Test
    void classifiesFromManyThreadsAtOnce() throws Exception {
        List<Row> rows = rows();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                done.add(pool.submit(() -> {
                    StatementClassifier own = new StatementClassifier(FunctionPolicy.defaults());
                    for (int round = 0; round < 5; round++)
                        for (int i = 0; i < rows.size(); i++) {
                            Row r = rows.get((i + offset * 37) % rows.size());
                            assertThat(own.classify(r.sql() + " ".repeat(round)).target())
                                    .as("%s", r)
                                    .isEqualTo(r.target());
                        }
                    return null;
                }));
            }
            for (var f : done) f.get();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aNulByteIsASyntaxErrorNotACrash() {
        assertThat(CLASSIFIER.classify("SELECT 1\0; DROP TABLE t").target()).isEqualTo(Target.PRIMARY);
        assertThatThrownBy(() -> PgQuery.parse("SELECT 1\0")).isInstanceOf(SqlSyntaxException.class);
    }

    @Test
    void syntaxErrorsCarryPostgresMessageAndPosition() {
        assertThatThrownBy(() -> PgQuery.parse("SELECT FROM WHERE"))
                .isInstanceOfSatisfying(SqlSyntaxException.class, e -> {
                    assertThat(e.getMessage()).contains("syntax error at or near \"WHERE\"");
                    assertThat(e.position()).isEqualTo(13);
                });
    }
}
