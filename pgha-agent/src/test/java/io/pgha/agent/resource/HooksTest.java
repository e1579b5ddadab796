package io.pgha.agent.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.postgres.OsCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HooksTest {
    @TempDir
    Path dir;

    private final ExecutorService executor = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    private Path recorder(String name, String extra) throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        return Scripts.write(dir.resolve(name), """
                echo "$@" >> "$0.args"
                id -un >> "$0.user"
                %s
                """.formatted(extra));
    }

    @Test
    void aHookGetsEventRoleAndClusterInPatronisOrder() throws IOException {
        Path script = recorder("on_role_change.sh", "exit 0");
        Hooks hooks = new Hooks(Map.of("on_role_change", script), null, 10_000, executor);

        hooks.fire("on_role_change", "primary", "pgha-demo");
        hooks.fire("on_start", "replica", "pgha-demo"); // no script: nothing runs

        assertThat(hooks.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(Scripts.lines(Path.of(script + ".args"))).containsExactly("on_role_change primary pgha-demo");
        assertThat(hooks.calls()).isEqualTo(1);
        assertThat(hooks.failures()).isZero();
        assertThat(hooks.callsByEvent()).isEqualTo(Map.of("on_role_change", 1L));
    }

    @Test
    void fireReturnsAtOnceWhileTheHookRuns() throws IOException {
        Path marker = dir.resolve("finished");
        Path script = recorder("slow.sh", "sleep 1; touch " + marker);
        Hooks hooks = new Hooks(Map.of("on_start", script), null, 10_000, executor);

        long start = System.nanoTime();
        hooks.fire("on_start", "replica", "c1");
        long firedMs = (System.nanoTime() - start) / 1_000_000;

        assertThat(marker).doesNotExist(); // the hook sleeps a second: fire did not wait for it
        assertThat(firedMs).isLessThan(1000);
        assertThat(hooks.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(marker).exists();
        assertThat(hooks.failures()).isZero();
    }

    @Test
    void failingAndHangingHooksAreCountedNeverThrown() throws Exception {
        Path failing = recorder("fail.sh", "exit 3");
        Path pidFile = dir.resolve("pids");
        Path hanging = recorder("hang.sh", "sleep 60 & echo $$ > %1$s; echo $! >> %1$s; wait".formatted(pidFile));
        Hooks hooks = new Hooks(
                Map.of("on_stop", failing, "on_restart", hanging, "on_reload", dir.resolve("absent.sh")),
                null,
                700,
                executor);

        hooks.fire("on_stop", "primary", "c1");
        hooks.fire("on_restart", "primary", "c1");
        hooks.fire("on_reload", "primary", "c1");

        assertThat(hooks.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(hooks.calls()).isEqualTo(3);
        assertThat(hooks.failures()).isEqualTo(3);
        assertThat(hooks.failuresByEvent()).isEqualTo(Map.of("on_stop", 1L, "on_restart", 1L, "on_reload", 1L));
        for (long pid : Scripts.pids(pidFile)) {
            assertThat(io.pgha.postgres.Processes.awaitExit(pid, 5000)).isTrue();
        }
    }

    @Test
    void aRefusingExecutorCountsAFailure() throws IOException {
        ExecutorService closed = Executors.newSingleThreadExecutor();
        closed.shutdown();
        Hooks hooks = new Hooks(Map.of("on_start", recorder("x.sh", "")), null, 1000, closed);
        hooks.fire("on_start", "replica", "c1");
        assertThat(hooks.failures()).isEqualTo(1);
        assertThat(hooks.awaitIdle(Duration.ofMillis(100))).isTrue();
    }

    @Test
    void hooksRunAsTheGivenUser() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(OsCommand.runningAsRoot(), "switching users needs root");
        Path script = recorder("as.sh", "");
        Hooks hooks = new Hooks(Map.of("on_start", script), "nobody", 10_000, executor);
        hooks.fire("on_start", "replica", "c1");
        assertThat(hooks.awaitIdle(Duration.ofSeconds(10))).isTrue();
        assertThat(hooks.failures()).isZero();
        assertThat(Scripts.lines(Path.of(script + ".user"))).containsExactly("nobody");
    }

    @Test
    void unknownEventsAreProgrammingErrors() {
        assertThatThrownBy(() -> new Hooks(Map.of("on_promote", dir.resolve("x")), null, 1000, executor))
                .hasMessageContaining("'on_promote'")
                .hasMessageContaining("on_role_change");
        Hooks hooks = new Hooks(Map.of(), null, 1000, executor);
        assertThatThrownBy(() -> hooks.fire("onstart", "primary", "c")).hasMessageContaining("'onstart'");
    }
}
