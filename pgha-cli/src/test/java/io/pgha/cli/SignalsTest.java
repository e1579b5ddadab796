package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SignalsTest {
    @Test
    void aSigIgnMaskIsReadBitByBit() {
        assertThat(Signals.ignored("HUP", "0000000000000001")).isTrue();
        assertThat(Signals.ignored("INT", "0000000000000001")).isFalse();
        assertThat(Signals.ignored("INT", "0000000000000002")).isTrue();
        assertThat(Signals.ignored("TERM", "0000000000004000")).isTrue();
        assertThat(Signals.ignored("HUP", "0000000000004000")).isFalse();
        assertThat(Signals.ignored("HUP", " 0000000001001000\n")).isFalse();
        assertThat(Signals.ignored("HUP", "not hex")).isFalse();
        assertThat(Signals.ignored("HUP", null)).isFalse();
        assertThat(Signals.ignored("USR1", "ffffffffffffffff")).isFalse();
    }

    /** The mask a process inherits from nohup, as /proc shows it to that process (the test's own JVM has none). */
    @Test
    void nohupShowsAsAnIgnoredHangup() throws Exception {
        Process p = new ProcessBuilder("nohup", "grep", "^SigIgn:", "/proc/self/status")
                .redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Signals.ignored("HUP", out.substring("SigIgn:".length()))).isTrue();
    }
}
