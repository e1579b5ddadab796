package io.pgha.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.SyncMode;
import io.pgha.core.model.SyncState;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** Entry-by-entry decoding of a DCS read: what stands in for each kind of bad entry. */
class ClusterDecoderTest {
    private final ClusterDecoder decoder = new ClusterDecoder("/pgha/c");
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(ClusterDecoder.class)).addAppender(log);
    }

    @AfterEach
    void releaseLog() {
        ((Logger) LoggerFactory.getLogger(ClusterDecoder.class)).detachAppender(log);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A read with the given members and config/sync/failover/optime/history bytes (null: absent). */
    private ClusterState read(
            Map<String, byte[]> members, byte[] config, byte[] sync, byte[] failover, byte[] optime, byte[] history) {
        return decoder.decode(
                new ClusterDecoder.Raw(b("7312"), b("db1"), members, config, failover, optime, history, sync));
    }

    private ClusterState readConfig(byte[] config) {
        return read(Map.of(), config, null, null, null, null);
    }

    @Test
    void aBadMemberIsSkippedAndTheOthersKept() {
        Map<String, byte[]> members = new HashMap<>();
        members.put("db1", Json.bytes(DcsContract.member("db1")));
        members.put("db2", b("{not json"));
        members.put("db3", b("{}"));
        members.put("db4", Json.bytes(DcsContract.member("db9")));
        ClusterState c = read(members, null, null, null, null, null);
        assertThat(c.members()).containsOnlyKeys("db1");
        assertThat(c.members().get("db1")).isEqualTo(DcsContract.member("db1"));
        assertThat(c.unreadable()).containsExactly("members/db2", "members/db3", "members/db4");
        assertThat(c.leader()).isEqualTo("db1");
        assertThat(c.initialize()).isEqualTo("7312");
    }

    @Test
    void aStandbyClusterIsReadBackAsItWasWritten() throws Exception {
        DynamicConfig c = DynamicConfig.DEFAULT.withStandbyCluster(new io.pgha.core.model.StandbyCluster(
                "10.0.0.1:5432",
                new io.pgha.core.model.StandbyCluster.PrimaryCluster("east", null, "e1:2379", "/pgha"),
                true,
                "west_slot"));
        assertThat(ClusterDecoder.config(Json.bytes(c))).isEqualTo(c);
        DynamicConfig archiveOnly =
                DynamicConfig.DEFAULT.withStandbyCluster(new io.pgha.core.model.StandbyCluster(null, null, true, null));
        assertThat(ClusterDecoder.config(Json.bytes(archiveOnly))).isEqualTo(archiveOnly);
    }

    @Test
    void clusterWidePostgresSettingsAreReadBackAsTheyWereWritten() throws Exception {
        DynamicConfig c = DynamicConfig.DEFAULT.withPostgresql(new DynamicConfig.Postgres(
                java.util.Map.of("work_mem", "64MB", "maxConnections", "x", "pg_stat_statements.max", "10000"),
                List.of("host all all 10.0.0.0/8 scram-sha-256")));
        assertThat(ClusterDecoder.config(Json.bytes(c))).isEqualTo(c);
    }

    @Test
    void everyStoredConfigIsReadBackAsItWasWritten() throws Exception {
        DynamicConfig c = new DynamicConfig(true, 77, SyncMode.QUORUM, true, 3, true, 4500L);
        assertThat(ClusterDecoder.config(Json.bytes(c))).isEqualTo(c);
        assertThat(ClusterDecoder.config(Json.bytes(DynamicConfig.DEFAULT))).isEqualTo(DynamicConfig.DEFAULT);
        DynamicConfig slots = DynamicConfig.DEFAULT.withSlots(
                90_000,
                java.util.Map.of(
                        "cdc",
                        io.pgha.core.model.PermanentSlot.logical("app", "pgoutput"),
                        "archiver",
                        io.pgha.core.model.PermanentSlot.PHYSICAL));
        assertThat(ClusterDecoder.config(Json.bytes(slots)))
                .as("slot settings survive")
                .isEqualTo(slots);
        assertThat(ClusterDecoder.config(b("{\"paused\":true,\"fieldOfANewerVersion\":1}")))
                .isEqualTo(DynamicConfig.DEFAULT.withPaused(true));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{not json",
                "[1,2]",
                "null",
                "{\"synchronousNodeCount\": 99}",
                "{\"synchronousNodeCount\": 0}",
                "{\"synchronousMode\": \"maybe\"}",
                "{\"switchoverDrainTimeoutMs\": -5}",
                "{\"switchoverDrainTimeoutMs\": 99999999999}",
                "{\"maximumLagOnFailover\": -1}",
                "{\"maximumLagOnFailover\": 99999999999999999999}",
                "{\"paused\": \"perhaps\"}"
            })
    void aConfigThatDoesNotValidateKeepsTheLastValidOne(String bad) {
        DynamicConfig good = DynamicConfig.DEFAULT.withSynchronous(SyncMode.QUORUM, true, 2);
        assertThat(readConfig(Json.bytes(good)).config()).isEqualTo(good);
        ClusterState c = readConfig(b(bad));
        assertThat(c.config()).isEqualTo(good);
        assertThat(c.unreadable()).containsExactly("config");
        assertThat(readConfig(null).config())
                .as("a deleted config node means the defaults")
                .isEqualTo(DynamicConfig.DEFAULT);
    }

    @Test
    void aClientThatNeverReadAValidConfigAssumesSynchronousReplication() {
        ClusterState c = readConfig(b("{\"synchronousNodeCount\": 99}"));
        assertThat(c.config()).isEqualTo(ClusterDecoder.CONFIG_STAND_IN);
        assertThat(c.config().synchronous())
                .as("failover then needs the synchronous record")
                .isTrue();
        assertThat(c.config().paused())
                .as("a paused agent leaves PostgreSQL running when it stops")
                .isFalse();
    }

    @Test
    void aBadSyncRecordIsNeverReplacedByAnOlderOne() {
        SyncState rec = SyncState.of("db1", 1, List.of("db2"));
        assertThat(read(Map.of(), null, Json.bytes(rec), null, null, null).sync())
                .isEqualTo(rec);
        for (String bad : List.of(
                "{oops",
                "{\"leader\":\"db1\",\"quorum\":3,\"members\":[\"db2\"]}",
                "{\"quorum\":1,\"members\":[\"db2\"]}",
                "7")) {
            ClusterState c = read(Map.of(), null, b(bad), null, null, null);
            assertThat(c.sync()).as(bad).isEqualTo(SyncState.UNREADABLE);
            assertThat(c.sync().contains("db2")).isFalse();
            assertThat(c.unreadable()).containsExactly("sync");
        }
        assertThat(read(Map.of(), null, null, null, null, null).sync()).isEqualTo(SyncState.EMPTY);
    }

    @Test
    void aBadFailoverRequestIsNotActedOn() {
        FailoverRequest fr = new FailoverRequest("db1", "db2", 0, 1, null);
        assertThat(read(Map.of(), null, null, Json.bytes(fr), null, null).failover())
                .isEqualTo(fr);
        ClusterState c = read(Map.of(), null, null, b("{\"candidate\": [}"), null, null);
        assertThat(c.failover()).isNull();
        assertThat(c.unreadable()).containsExactly("failover");
    }

    @Test
    void aBadOptimeOrHistoryKeepsTheLastValueRead() {
        List<HistoryEntry> h = List.of(new HistoryEntry(1, Lsn.parse("0/100"), "failover", 5, "db2"));
        ClusterState good = read(Map.of(), null, null, null, b("0/3000000"), Json.bytes(h));
        assertThat(good.leaderOptime()).isEqualTo(Lsn.parse("0/3000000"));
        assertThat(good.history()).isEqualTo(h);
        ClusterState bad = read(Map.of(), null, null, null, b("soon"), b("[{\"timeline\":0}]"));
        assertThat(bad.leaderOptime()).isEqualTo(Lsn.parse("0/3000000"));
        assertThat(bad.history()).isEqualTo(h);
        assertThat(bad.unreadable()).containsExactly("history", "optime");
    }

    @Test
    void eachBadValueIsLoggedOnceNotEveryCycle() {
        for (int i = 0; i < 5; i++) readConfig(b("{broken"));
        assertThat(log.list).hasSize(1);
        assertThat(log.list.get(0).getFormattedMessage())
                .contains("/pgha/c/config")
                .contains("keeping the last valid config");
        readConfig(b("{broken differently"));
        assertThat(log.list).as("another bad value is news").hasSize(2);
        readConfig(null);
        readConfig(b("{broken differently"));
        assertThat(log.list).as("bad again after being repaired").hasSize(3);
    }
}
