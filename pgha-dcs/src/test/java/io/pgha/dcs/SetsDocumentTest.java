package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.pgha.core.config.ConfigException;
import io.pgha.core.config.DynamicSettings;
import io.pgha.core.config.SetsSettings;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.Journal;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The replication_sets document: what is accepted, the errors that name the key, and the round trip
 * through the settings and through the DCS's stored form.
 */
class SetsDocumentTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static final String DOC = """
            sequence_sync_interval: 5s
            nodes:
              main: {cluster: main, password: s3cret}
              report: {dsn: "host=127.0.0.1 port=5433", user: repl}
              archive: {dsn: "host=10.0.0.7,10.0.0.8 port=5432 target_session_attrs=read-write"}
            sets:
              orders:
                database: app
                origin: main
                tables:
                  - public.orders
                  - items
                  - {table: public.customers, columns: [id, name], where: "region = 'eu'"}
                schemas: [sales]
                sequences: [public.invoice_no]
                subscribers:
                  report: {}
                  archive: {provider: report}
            """;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> doc(String yaml) {
        try {
            return YAML.readValue(yaml, LinkedHashMap.class);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static SetsConfig parse(String yaml) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(SetsSettings.SETS, doc(yaml));
        return DynamicSettings.apply(DynamicConfig.DEFAULT, m).sets();
    }

    @Test
    void aFullDocumentParsesAndSurvivesTheRoundTrip() throws Exception {
        SetsConfig c = parse(DOC);
        assertThat(c.sequenceSyncMs()).isEqualTo(5000);
        assertThat(c.nodes()).containsOnlyKeys("main", "report", "archive");
        assertThat(c.nodes().get("main").isCluster()).isTrue();
        assertThat(c.nodes().get("main").user()).isEqualTo("postgres");
        assertThat(c.nodes().get("report").user()).isEqualTo("repl");
        ReplicationSet s = c.sets().get("orders");
        assertThat(s.database()).isEqualTo("app");
        assertThat(s.tables())
                .extracting(SetsConfig.TableSpec::qualified)
                .containsExactly("public.orders", "public.items", "public.customers");
        assertThat(s.tables().get(2).columns()).containsExactly("id", "name");
        assertThat(s.tables().get(2).where()).isEqualTo("region = 'eu'");
        assertThat(s.providerOf("report")).isEqualTo("main");
        assertThat(s.providerOf("archive")).isEqualTo("report");
        assertThat(s.ownedSequences()).isTrue();
        assertThat(s.protect()).isTrue();

        DynamicConfig d = DynamicConfig.DEFAULT.withSets(c.withJournal(
                "orders", new Journal("move", "main", "report", "lock", false, 42, Map.of("lsn", "0/3000000"))));
        DynamicConfig back = DynamicSettings.apply(DynamicConfig.DEFAULT, DynamicSettings.toMap(d));
        assertThat(back.sets()).isEqualTo(d.sets());
        DynamicConfig stored = ClusterDecoder.config(Json.bytes(d));
        assertThat(stored.sets()).isEqualTo(d.sets());
    }

    @Test
    void passwordsAreMaskedForShowingOnly() {
        DynamicConfig d = DynamicConfig.DEFAULT.withSets(parse(DOC));
        assertThat(String.valueOf(DynamicSettings.toDisplayMap(d)))
                .doesNotContain("s3cret")
                .contains("******");
        assertThat(String.valueOf(DynamicSettings.toMap(d))).contains("s3cret");
    }

    @Test
    void changingOtherSettingsKeepsTheSetsAndTheJournal() {
        SetsConfig c = parse(DOC).withJournal("orders", new Journal("move", "main", "report", "lock", true, 1, null));
        DynamicConfig d = DynamicConfig.DEFAULT.withSets(c);
        assertThat(DynamicSettings.apply(d, Map.of("pause", true)).sets()).isEqualTo(c);
    }

    static Stream<Arguments> badDocuments() {
        return Stream.of(
                Arguments.of(
                        DOC.replace("      - items\n", "      - items\n      - public.orders\n"),
                        "replication_sets.sets.orders.tables[2]: names public.orders twice"),
                Arguments.of(
                        DOC.replace("origin: main", "origin: nowhere"),
                        "replication_sets.sets.orders.origin: 'nowhere' is not a node (known: main, report, archive)"),
                Arguments.of(
                        DOC.replace("report: {}", "elsewhere: {}"),
                        "replication_sets.sets.orders.subscribers.elsewhere: 'elsewhere' is not a node"),
                Arguments.of(
                        DOC.replace("schemas: [sales]", "schemas: [public]"),
                        "public.orders is already in the set through schemas: public"),
                Arguments.of(
                        DOC.replace("{provider: report}", "{provider: archive}"),
                        "replication_sets.sets.orders.subscribers.archive.provider: the providers form a loop"),
                Arguments.of(
                        DOC.replace("report: {}", "main: {}"),
                        "replication_sets.sets.orders.subscribers.main: main is the set's origin"),
                Arguments.of(
                        DOC.replace("port=5433\"", "port=5433 dbname=app\""),
                        "replication_sets.nodes.report.dsn: may not set dbname"),
                Arguments.of(
                        DOC.replace("port=5433\"", "port=5433 password=x\""),
                        "replication_sets.nodes.report.dsn: may not set password"),
                Arguments.of(
                        DOC.replace("{cluster: main, password: s3cret}", "{password: s3cret}"),
                        "replication_sets.nodes.main: give exactly one of cluster"),
                Arguments.of(
                        DOC.replace("  orders:\n", "  Orders:\n"), "replication_sets.sets.Orders: a set name must be"),
                Arguments.of(
                        DOC.replace("columns: [id, name]", "columns: [id, id]"),
                        "replication_sets.sets.orders.tables[2].columns: names id twice"),
                Arguments.of(
                        DOC.replace("sequence_sync_interval: 5s", "sequence_sync_interval: 10ms"),
                        "replication_sets.sequence_sync_interval: 10ms is out of range"),
                Arguments.of(
                        DOC.replace("database: app", "database: app\n    colour: blue"),
                        "replication_sets.sets.orders.colour: unknown key"),
                Arguments.of(
                        DOC + "  more:\n    origin: report\n    tables: [public.orders]\n",
                        "public.orders is already in set orders; a table belongs to one set"),
                Arguments.of(DOC + "  more:\n    origin: report\n", "replication_sets.sets.more: names no tables"));
    }

    @ParameterizedTest
    @MethodSource("badDocuments")
    void badDocumentsAreRefusedWithTheKeyAndNothingIsKept(String yaml, String message) {
        DynamicConfig before = DynamicConfig.DEFAULT.withSets(parse(DOC));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(SetsSettings.SETS, doc(yaml));
        assertThatThrownBy(() -> DynamicSettings.apply(before, m))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message);
        assertThat(before.sets()).isEqualTo(parse(DOC));
    }
}
