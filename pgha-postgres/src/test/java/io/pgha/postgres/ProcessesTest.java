package io.pgha.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessesTest {
    @Test
    void aRunningProcessIsAliveAndAnExitedChildIsNot() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        try {
            assertThat(Processes.alive(p.pid())).isTrue();
            p.destroyForcibly();
            // Not reaped yet by us: a zombie, which must already count as gone.
            assertThat(Processes.awaitExit(p.pid(), 5000)).isTrue();
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        assertThat(Processes.alive(p.pid())).isFalse();
        assertThat(Processes.alive(ProcessHandle.current().pid())).isTrue();
    }
}
