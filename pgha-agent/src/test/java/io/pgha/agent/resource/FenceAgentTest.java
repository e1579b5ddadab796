package io.pgha.agent.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgha.postgres.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class FenceAgentTest {
    private static final String PASSWORD = "pa55-w0rd!";

    @TempDir
    Path dir;

    /** A fence agent that records its argument count and standard input, and exits with {@code rc}. */
    private Path agent(String name, int rc) throws IOException {
        return Scripts.write(dir.resolve(name), """
                echo $# > "%1$s.argc"
                cat > "%1$s.stdin"
                echo "Status: done"
                exit %2$d
                """.formatted(dir.resolve(name), rc));
    }

    private Map<String, String> options() {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("ip", "10.0.0.9");
        o.put("username", "admin");
        o.put("password", PASSWORD);
        o.put("lanplus", "1");
        return o;
    }

    @Test
    void optionsActionAndTargetGoToStandardInputNotTheCommandLine() throws IOException {
        Path fence = agent("fence_rec", 0);
        FenceAgent.FenceResult r = new FenceAgent().run(fence, options(), "off", "node2", 10_000);

        assertThat(r.ok()).isTrue();
        assertThat(r.exitCode()).isZero();
        assertThat(r.timedOut()).isFalse();
        assertThat(r.output()).contains("Status: done");
        assertThat(Scripts.lines(Path.of(fence + ".argc"))).containsExactly("0");
        assertThat(Scripts.lines(Path.of(fence + ".stdin")))
                .containsExactly(
                        "ip=10.0.0.9",
                        "username=admin",
                        "password=" + PASSWORD,
                        "lanplus=1",
                        "action=off",
                        "port=node2");
    }

    @Test
    void theTargetOptionCanBeNamedAndIsLeftOutForDeviceWideActions() throws IOException {
        Path fence = agent("fence_rec", 0);
        new FenceAgent("plug").run(fence, Map.of("ip", "10.0.0.9"), "reboot", "vm-7", 10_000);
        assertThat(Scripts.lines(Path.of(fence + ".stdin")))
                .containsExactly("ip=10.0.0.9", "action=reboot", "plug=vm-7");
        new FenceAgent().run(fence, Map.of("ip", "10.0.0.9"), "monitor", null, 10_000);
        assertThat(Scripts.lines(Path.of(fence + ".stdin"))).containsExactly("ip=10.0.0.9", "action=monitor");
    }

    @Test
    void aNonZeroExitFails() throws IOException {
        FenceAgent.FenceResult r = new FenceAgent().run(agent("fence_bad", 1), options(), "off", "node2", 10_000);
        assertThat(r.ok()).isFalse();
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.describe()).startsWith("failed (exit 1) after ").endsWith(": Status: done");
    }

    @Test
    void statusReadsZeroAsOnAndTwoAsOff() throws IOException {
        FenceAgent fa = new FenceAgent();
        assertThat(fa.status(agent("fence_on", 0), options(), "node2", 10_000)).isEqualTo(FenceAgent.Power.ON);
        assertThat(fa.status(agent("fence_off", 2), options(), "node2", 10_000)).isEqualTo(FenceAgent.Power.OFF);
        assertThat(fa.status(agent("fence_err", 1), options(), "node2", 10_000)).isEqualTo(FenceAgent.Power.UNKNOWN);
        FenceAgent.FenceResult off = fa.run(agent("fence_off2", 2), options(), "status", "node2", 10_000);
        assertThat(off.ok()).isTrue();
        assertThat(fa.run(agent("fence_two", 2), options(), "off", "node2", 10_000)
                        .ok())
                .isFalse();
    }

    @Test
    void aHangingAgentIsKilledAndReportedAsTimedOut() throws Exception {
        Path pidFile = dir.resolve("pids");
        Path fence = Scripts.write(
                dir.resolve("fence_hang"), "sleep 60 & echo $$ > %1$s; echo $! >> %1$s; wait".formatted(pidFile));
        FenceAgent.FenceResult r = new FenceAgent().run(fence, options(), "off", "node2", 600);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.ok()).isFalse();
        assertThat(r.exitCode()).isEqualTo(-1);
        for (long pid : Scripts.pids(pidFile))
            assertThat(Processes.awaitExit(pid, 5000)).isTrue();
    }

    @Test
    void aMissingAgentFailsWithoutTimingOut() {
        FenceAgent.FenceResult r = new FenceAgent().run(dir.resolve("fence_none"), options(), "off", "node2", 5000);
        assertThat(r.ok()).isFalse();
        assertThat(r.timedOut()).isFalse();
        assertThat(r.output()).contains("fence_none");
    }

    @Test
    void optionsThatCouldSmuggleInOthersAreRefused() throws IOException {
        Path fence = agent("fence_rec", 0);
        FenceAgent fa = new FenceAgent();
        assertThatThrownBy(() -> fa.run(fence, Map.of("password", "x\naction=on"), "off", "n", 5000))
                .hasMessageContaining("fence option 'password'")
                .hasMessageNotContaining("action=on");
        assertThatThrownBy(() -> fa.run(fence, Map.of("action", "on"), "off", "n", 5000))
                .hasMessageContaining("'action'");
        assertThatThrownBy(() -> fa.run(fence, Map.of("port", "n1"), "off", "n2", 5000))
                .hasMessageContaining("'port'");
        assertThatThrownBy(() -> fa.run(fence, Map.of("bad key", "1"), "off", "n", 5000))
                .hasMessageContaining("'bad key'");
        assertThatThrownBy(() -> fa.run(fence, Map.of(), "off\n", "n", 5000)).hasMessageContaining("fence action");
    }

    @Test
    void passwordsNeverReachTheLogEvenAtDebug() throws IOException {
        Logger log = (Logger) LoggerFactory.getLogger(FenceAgent.class);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        Level before = log.getLevel();
        log.setLevel(Level.ALL);
        log.addAppender(seen);
        try {
            new FenceAgent().run(agent("fence_ok", 0), options(), "off", "node2", 10_000);
            new FenceAgent().run(agent("fence_fail", 5), options(), "reboot", "node3", 10_000);
        } finally {
            log.detachAppender(seen);
            log.setLevel(before);
        }
        assertThat(seen.list)
                .extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.startsWith("fence fence_ok off node2: ok after "))
                .anyMatch(m -> m.startsWith("fence fence_fail reboot node3: failed (exit 5)"))
                .noneMatch(m -> m.contains(PASSWORD));
    }
}
