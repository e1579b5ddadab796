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
        set(doc, "control_socket", "/run/ops/db1.sock");
        NodeConfig.Reload r = old.reloaded(ConfigReader.read(doc));
        assertThat(r.applied()).containsExactlyInAnyOrder("tags", "restapi.authentication", "postgresql.parameters");
        assertThat(r.needRestart())
                .as("the watchdog timeout follows the ttl")
                .containsExactlyInAnyOrder(
                        "timing.ttl/safety_margin",
                        "watchdog",
                        "postgresql.listen/connect_address/port",
                        "control_socket");
        assertThat(r.config().controlSocket()).as("the socket served stays").isEqualTo(old.controlSocket());
        assertThat(r.config().tags().noFailover()).isTrue();
        assertThat(r.config().restapi().auth().password()).isEqualTo("a-new-password");
        assertThat(r.config().postgresql().parameters()).containsEntry("work_mem", "64MB");
        assertThat(r.config().timing()).as("kept until a restart").isEqualTo(old.timing());
        assertThat(r.config().postgresql().port()).isEqualTo(old.postgresql().port());
    }

    /** The router's pooled listener takes its own settings at a SIGHUP; the rest of the router waits for a restart. */
    @Test
    void thePooledListenersSettingsApplyTheRestOfTheRouterNeedsARestart() {
        Map<String, Object> doc = valid();
        set(doc, "router.port", 6000);
        set(doc, "router.pool.port", 6432);
        set(doc, "router.pool.auth_file", "/etc/pgha/users.txt");
        NodeConfig old = ConfigReader.read(doc);

        set(doc, "router.pool.pool_size", 7);
        NodeConfig.Reload r = old.reloaded(ConfigReader.read(doc));
        assertThat(r.applied()).containsExactly("router.pool");
        assertThat(r.needRestart()).isEmpty();
        assertThat(r.config().router().pool().poolSize()).isEqualTo(7);
        assertThat(r.config().router().port()).isEqualTo(6000);

        assertThat(old.reloaded(old).applied()).as("nothing changed").isEmpty();

        set(doc, "router.port", 6001);
        NodeConfig.Reload r2 = old.reloaded(ConfigReader.read(doc));
        assertThat(r2.needRestart()).containsExactly("router");
        assertThat(r2.applied()).doesNotContain("router.pool");
        assertThat(r2.config().router()).isEqualTo(old.router());

        Map<String, Object> none = valid();
        assertThat(old.reloaded(ConfigReader.read(none)).needRestart())
                .as("a router removed")
                .containsExactly("router");
    }

    @Test
    void timeoutsThatTheLeaseDoesNotDependOnChangeWithinTheRunningTtl() {
        NodeConfig old = ConfigReader.read(valid());
        Map<String, Object> doc = valid();
        set(doc, "timing.loop_wait", "500ms");
        set(doc, "primary_start_timeout", "90s");
        set(doc, "remove_data_directory_on_rewind_failure", true);
        NodeConfig.Reload r = old.reloaded(ConfigReader.read(doc));
        assertThat(r.applied())
                .containsExactlyInAnyOrder(
                        "timing.loop_wait", "primary_start_timeout", "remove_data_directory_on_rewind_failure");
        assertThat(r.needRestart()).isEmpty();
        assertThat(r.config().timing().loopWaitMs()).isEqualTo(500);
        assertThat(r.config().timing().ttlMs()).isEqualTo(old.timing().ttlMs());
        assertThat(r.config().primaryStartTimeoutMs()).isEqualTo(90_000);
        assertThat(r.config().recloneOnRewindFailure()).isTrue();

        // a loop_wait that only a longer ttl allows waits for the restart with that ttl
        Map<String, Object> longer = valid();
        set(longer, "timing.ttl", "10s");
        set(longer, "timing.loop_wait", "8s");
        NodeConfig.Reload r2 = old.reloaded(ConfigReader.read(longer));
        assertThat(r2.applied()).doesNotContain("timing.loop_wait");
        assertThat(r2.needRestart()).contains("timing.ttl/safety_margin", "timing.loop_wait (beyond the running ttl)");
        assertThat(r2.config().timing()).isEqualTo(old.timing());
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
