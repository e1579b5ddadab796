package io.pgha.core.config;

import static io.pgha.core.config.ConfigReaderTest.set;
import static io.pgha.core.config.ConfigReaderTest.valid;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a SIGHUP takes from the config file read again, and what it leaves for a restart. */
class ReloadTest {
    @Test
    void tagsCredentialsAndPostgresParametersChangeEverythingElseWaitsForARestart() {
        NodeConfig old = ConfigReader.read(valid());
        Map<String, Object> doc = valid();
        set(doc, "tags.nofailover", true);
        set(doc, "restapi.authentication.username", "admin");
        set(doc, "restapi.authentication.password", "a-new-password");
        set(doc, "postgresql.parameters.work_mem", "64MB");
        set(doc, "timing.ttl", "5s");
        set(doc, "postgresql.port", 5999);
        NodeConfig.Reload r = old.reloaded(ConfigReader.read(doc));
        assertThat(r.applied()).containsExactlyInAnyOrder("tags", "restapi.authentication", "postgresql.parameters");
        assertThat(r.needRestart())
                .as("the watchdog timeout follows the ttl")
                .containsExactlyInAnyOrder("timing", "watchdog", "postgresql.listen/connect_address/port");
        assertThat(r.config().tags().noFailover()).isTrue();
        assertThat(r.config().restapi().auth().password()).isEqualTo("a-new-password");
        assertThat(r.config().postgresql().parameters()).containsEntry("work_mem", "64MB");
        assertThat(r.config().timing()).as("kept until a restart").isEqualTo(old.timing());
        assertThat(r.config().postgresql().port()).isEqualTo(old.postgresql().port());
    }

    @Test
    void theSameFileChangesNothing() {
        NodeConfig old = ConfigReader.read(valid());
        NodeConfig.Reload r = old.reloaded(ConfigReader.read(valid()));
        assertThat(r.applied()).isEmpty();
        assertThat(r.needRestart()).isEmpty();
        assertThat(r.config()).isEqualTo(old);
    }
}
