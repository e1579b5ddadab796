package io.pgha.router.sql;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QueryShapeTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "SELECT abalance FROM pgbench_accounts WHERE aid = 42 | SELECT abalance FROM pgbench_accounts WHERE aid = $0",
                "SELECT * FROM t WHERE a = 'x' AND b = 1.5e3 | SELECT * FROM t WHERE a = $0 AND b = $0",
                "SELECT 'it''s', 2 | SELECT $0, $0",
                "SELECT * FROM t1 WHERE c2 = $1 | SELECT * FROM t1 WHERE c2 = $1",
                "SELECT a$1 FROM t | SELECT a$1 FROM t",
                "SELECT \"col 1\" FROM \"t\"\"x\" WHERE a = 3 | SELECT \"col 1\" FROM \"t\"\"x\" WHERE a = $0",
                "SELECT $$ 5 'x' $$, 5 | SELECT $$ 5 'x' $$, $0",
                "SELECT $q$ 5 $q$, 5 | SELECT $q$ 5 $q$, $0",
                "/* 5 'x' */ SELECT 5 -- 6 'y' | /* 5 'x' */ SELECT $0 -- 6 'y'",
                "/* a /* nested 5 */ b */ SELECT 7 | /* a /* nested 5 */ b */ SELECT $0",
                "SELECT 1..5 | SELECT $0..$0",
                "SELECT 0x1F | SELECT $0x1F",
                "SELECT -3 | SELECT -$0",
                "SELECT E'\\x41', 5 | SELECT E'\\x41', 5",
                "SELECT U&'\\0041', 5 | SELECT U&'\\0041', 5",
                "SELECT B'101', 5 | SELECT B'101', 5",
                "SELECT 'unterminated, 5 | SELECT 'unterminated, 5",
                "SELECT $$unterminated, 5 | SELECT $$unterminated, 5",
                "SELECT /* unterminated 5 | SELECT /* unterminated 5",
                "SELECT \"unterminated, 5 | SELECT \"unterminated, 5",
                "SELECT a FROM t | SELECT a FROM t",
                "SELECT $'x', 5 | SELECT $'x', 5",
            })
    void replacesPlainConstantsOnly(String sql, String shape) {
        assertThat(QueryShape.of(sql)).isEqualTo(shape);
    }

    @Test
    void textsThatDifferOnlyInConstantsShareOneCacheEntry() {
        StatementClassifier c = new StatementClassifier(FunctionPolicy.defaults());
        for (int i = 0; i < 1000; i++) c.classify("SELECT abalance FROM pgbench_accounts WHERE aid = " + i);
        assertThat(c.cacheSize()).isEqualTo(1);
    }

    /** Every statement of the classifier's table classifies the same whether its shape is cached or not. */
    @Test
    void theShapeClassifiesAsTheText() throws IOException {
        for (StatementClassifierTest.Row row : StatementClassifierTest.rows()) {
            StatementClassifier viaShape = new StatementClassifier(FunctionPolicy.defaults());
            // the shape's classification fills the cache; a text with other constants then reads it
            Classification first = viaShape.classify(row.sql());
            String other = row.sql().replace("1", "9").replace("'x'", "'other'");
            if (QueryShape.of(other).equals(QueryShape.of(row.sql())))
                assertThat(viaShape.classify(other)).as("%s", row).isEqualTo(first);
            assertThat(first.target()).as("%s", row).isEqualTo(row.target());
        }
    }

    /** Never throws, is idempotent, and a shape that differs from its text has a {@code $0} in it. */
    @FuzzTest(maxDuration = "30s")
    void shapeIsTotalAndIdempotent(String sql) {
        if (sql == null) return;
        String shape = QueryShape.of(sql);
        assertThat(QueryShape.of(shape)).isEqualTo(shape);
        if (!shape.equals(sql)) assertThat(shape).contains("$0");
    }
}
