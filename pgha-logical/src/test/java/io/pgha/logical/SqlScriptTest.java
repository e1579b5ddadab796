package io.pgha.logical;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** How execute-script cuts a file into statements: at semicolons that are code, as psql does. */
class SqlScriptTest {

    static Stream<Arguments> scripts() {
        return Stream.of(
                Arguments.of("plain statements", "SELECT 1; SELECT 2;", List.of("SELECT 1", "SELECT 2")),
                Arguments.of("the last one needs no semicolon", "SELECT 1;\nSELECT 2", List.of("SELECT 1", "SELECT 2")),
                Arguments.of(
                        "surrounding whitespace is stripped",
                        "  \n\tSELECT 1  ;\n\n  SELECT 2\n",
                        List.of("SELECT 1", "SELECT 2")),
                Arguments.of(
                        "a semicolon in a string",
                        "INSERT INTO t VALUES ('a;b'); SELECT 2",
                        List.of("INSERT INTO t VALUES ('a;b')", "SELECT 2")),
                Arguments.of(
                        "a doubled quote does not end the string",
                        "SELECT 'it''s; fine'; SELECT 2",
                        List.of("SELECT 'it''s; fine'", "SELECT 2")),
                Arguments.of(
                        "a backslash escapes nothing in a standard string",
                        "SELECT 'C:\\'; SELECT 2",
                        List.of("SELECT 'C:\\'", "SELECT 2")),
                Arguments.of(
                        "in an E'' string a backslash escapes the quote",
                        "SELECT E'it\\'s; fine'; SELECT 2",
                        List.of("SELECT E'it\\'s; fine'", "SELECT 2")),
                Arguments.of("e'' too", "SELECT e'a\\';b'; SELECT 2", List.of("SELECT e'a\\';b'", "SELECT 2")),
                Arguments.of(
                        "an escaped backslash before the closing quote",
                        "SELECT E'\\\\'; SELECT 2",
                        List.of("SELECT E'\\\\'", "SELECT 2")),
                Arguments.of(
                        "a keyword ending in E before a quote does not make an E'' string",
                        "SELECT CASE WHEN x THEN 'a' ELSE'C:\\' END; SELECT 2",
                        List.of("SELECT CASE WHEN x THEN 'a' ELSE'C:\\' END", "SELECT 2")),
                Arguments.of(
                        "a semicolon in a quoted identifier",
                        "CREATE TABLE \"a;b\" (x int); SELECT 2",
                        List.of("CREATE TABLE \"a;b\" (x int)", "SELECT 2")),
                Arguments.of(
                        "a doubled double quote in an identifier",
                        "CREATE TABLE \"a\"\";b\" (x int); SELECT 2",
                        List.of("CREATE TABLE \"a\"\";b\" (x int)", "SELECT 2")),
                Arguments.of(
                        "a function body in $$",
                        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$; SELECT 2",
                        List.of("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$", "SELECT 2")),
                Arguments.of(
                        "a tagged dollar quote holding $$ and quotes",
                        "DO $body$ BEGIN EXECUTE $$SELECT ';'$$; PERFORM 1; END $body$; SELECT 2",
                        List.of("DO $body$ BEGIN EXECUTE $$SELECT ';'$$; PERFORM 1; END $body$", "SELECT 2")),
                Arguments.of(
                        "a dollar quote ends only at its own tag",
                        "SELECT $a$ x $b$ ; $a$; SELECT 2",
                        List.of("SELECT $a$ x $b$ ; $a$", "SELECT 2")),
                Arguments.of(
                        "$1 is a parameter, not a dollar quote",
                        "PREPARE p(int, int) AS SELECT $1 + $2; EXECUTE p(1, 2); SELECT 3",
                        List.of("PREPARE p(int, int) AS SELECT $1 + $2", "EXECUTE p(1, 2)", "SELECT 3")),
                Arguments.of(
                        "$ inside an identifier opens nothing",
                        "SELECT a$b$c FROM t; SELECT 2",
                        List.of("SELECT a$b$c FROM t", "SELECT 2")),
                Arguments.of(
                        "a semicolon in a line comment",
                        "SELECT 1 -- not; a split\n; SELECT 2",
                        List.of("SELECT 1 -- not; a split", "SELECT 2")),
                Arguments.of(
                        "a quote in a line comment opens no string",
                        "SELECT 1 -- don't\n; SELECT 2",
                        List.of("SELECT 1 -- don't", "SELECT 2")),
                Arguments.of(
                        "nested block comments",
                        "SELECT /* a /* b; */ still; */ 1; SELECT 2",
                        List.of("SELECT /* a /* b; */ still; */ 1", "SELECT 2")),
                Arguments.of(
                        "a quote in a block comment opens no string",
                        "SELECT /* it's */ 1; SELECT 2",
                        List.of("SELECT /* it's */ 1", "SELECT 2")),
                Arguments.of(
                        "comment markers inside strings are text",
                        "SELECT '--'; SELECT '/*'; SELECT 2",
                        List.of("SELECT '--'", "SELECT '/*'", "SELECT 2")),
                Arguments.of("empty statements are dropped", ";;; SELECT 1;;\n ;", List.of("SELECT 1")),
                Arguments.of(
                        "a line comment alone is dropped",
                        "-- add a column\n-- to orders\n;\nALTER TABLE t ADD c int;\n-- done\n",
                        List.of("ALTER TABLE t ADD c int")),
                Arguments.of(
                        "a comment before a statement stays with it",
                        "-- add a column\nALTER TABLE t ADD c int;",
                        List.of("-- add a column\nALTER TABLE t ADD c int")),
                Arguments.of(
                        "a block comment alone is dropped",
                        "SELECT 1; /* the end;\n of the script */\n",
                        List.of("SELECT 1")),
                Arguments.of("nothing at all", "  \n-- only\n/* comments */ ; ", List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void splitsAtSemicolonsThatAreCode(String what, String script, List<String> statements) {
        assertThat(SqlScript.split(script)).as(what).containsExactlyElementsOf(statements);
    }

    @Test
    void theScriptOfTheIntegrationTest() {
        assertThat(SqlScript.split("-- a column and a table; the subscribers commit first\n"
                        + "ALTER TABLE orders ADD COLUMN discount numeric(5,2) NOT NULL DEFAULT 0;\n"
                        + "CREATE TABLE coupons (code text PRIMARY KEY, pct int NOT NULL CHECK (pct > 0));\n"
                        + "COMMENT ON TABLE coupons IS 'semicolons; in $$quotes$$ and ''strings''';\n"))
                .containsExactly(
                        "-- a column and a table; the subscribers commit first\n"
                                + "ALTER TABLE orders ADD COLUMN discount numeric(5,2) NOT NULL DEFAULT 0",
                        "CREATE TABLE coupons (code text PRIMARY KEY, pct int NOT NULL CHECK (pct > 0))",
                        "COMMENT ON TABLE coupons IS 'semicolons; in $$quotes$$ and ''strings'''");
    }

    @Test
    void anUnclosedQuoteOrCommentRunsToTheEnd() {
        assertThat(SqlScript.split("SELECT 'a; SELECT 2")).containsExactly("SELECT 'a; SELECT 2");
        assertThat(SqlScript.split("SELECT $$a; SELECT 2")).containsExactly("SELECT $$a; SELECT 2");
        assertThat(SqlScript.split("SELECT 1 /* a; SELECT 2")).containsExactly("SELECT 1 /* a; SELECT 2");
    }
}
