package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.RouterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a SIGHUP to a standalone router reports as needing a restart. */
class RouterCommandTest {
    @TempDir
    Path dir;

    private RouterConfig.File load(String yaml) throws IOException {
        Path f = Files.writeString(dir.resolve("router-" + yaml.hashCode() + ".yml"), yaml);
        return ConfigLoader.loadRouter(f, Map.of(), "router-test");
    }

    private static final String BASE =
            "cluster: main\ndcs:\n  zookeeper:\n    connect: 127.0.0.1:2181\nrouter:\n  port: 6432\n";

    @Test
    void onlyTheLogSectionChangedNeedsNoRestart() throws IOException {
        RouterConfig.File running = load(BASE);
        RouterConfig.File fresh = load(BASE + "log:\n  level: DEBUG\n");
        assertThat(RouterCommand.needRestart(running, fresh)).isEmpty();
    }

    @Test
    void thePooledListenersOwnChangesAreItsToTake() throws IOException {
        String pool = "  pool:\n    port: 6435\n    auth_file: /etc/pgha/users.txt\n";
        RouterConfig.File running = load(BASE + pool);
        RouterConfig.File fresh = load(BASE + pool + "    pool_size: 5\n    load_balance: true\n");
        assertThat(RouterCommand.needRestart(running, fresh)).isEmpty();
        assertThat(RouterCommand.needRestart(running, load(BASE.replace("6432", "7432") + pool)))
                .containsExactly("router");
    }

    @Test
    void otherSectionsAreNamed() throws IOException {
        RouterConfig.File running = load(BASE);
        RouterConfig.File fresh = load(BASE.replace("2181", "2182").replace("6432", "7432"));
        assertThat(RouterCommand.needRestart(running, fresh)).containsExactly("dcs", "router");
    }
}
