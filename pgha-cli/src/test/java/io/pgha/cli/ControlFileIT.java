package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.ControlState;
import io.pgha.postgres.ControlData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pgha reads pg_control's bytes itself (no pg_controldata process during a switchover): what it
 * reads from a real PostgreSQL 15's file must be what pg_controldata prints, in every state the
 * agent meets.
 */
class ControlFileIT {
    private static PlainPostgres pg;
    private static Path data;

    @BeforeAll
    static void init() throws Exception {
        pg = PlainPostgres.in("pgha-controlfile");
        data = pg.dir().resolve("data");
        pg.initdb(data);
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) pg.stopAll();
    }

    private static void sameAsPgControldata(ControlState expected) throws Exception {
        ControlData fromFile = ControlData.fromControlFile(Files.readAllBytes(data.resolve("global/pg_control")));
        ControlData fromTool = ControlData.parse(
                PlainPostgres.asPostgres(PlainPostgres.BIN + "pg_controldata", "-D", data.toString()));
        assertThat(fromFile).isNotNull().isEqualTo(fromTool);
        assertThat(fromFile.state()).isEqualTo(expected);
    }

    @Test
    void readsWhatPgControldataPrints() throws Exception {
        sameAsPgControldata(ControlState.SHUT_DOWN);
        int port = io.pgha.testkit.FreePorts.one();
        pg.start(data, port, true);
        PlainPostgres.asPostgres(
                "/usr/lib/postgresql/15/bin/psql",
                "-h",
                pg.dir().toString(),
                "-p",
                String.valueOf(port),
                "-U",
                "postgres",
                "-c",
                "CREATE TABLE t AS SELECT generate_series(1, 1000) AS i",
                "-c",
                "CHECKPOINT");
        sameAsPgControldata(ControlState.IN_PRODUCTION);
        PlainPostgres.asPostgres(PlainPostgres.BIN + "pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "stop");
        sameAsPgControldata(ControlState.SHUT_DOWN);
        // a standby's file: in archive recovery, then shut down in recovery, with a minimum recovery point
        Files.writeString(data.resolve("standby.signal"), "");
        pg.start(data, port, true);
        sameAsPgControldata(ControlState.IN_ARCHIVE_RECOVERY);
        PlainPostgres.asPostgres(PlainPostgres.BIN + "pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "stop");
        sameAsPgControldata(ControlState.SHUT_DOWN_IN_RECOVERY);
    }
}
