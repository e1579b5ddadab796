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

    @Test
    void aPidfdReportsTheExitOfARealProcess() throws Exception {
        Process p = new ProcessBuilder("sleep", "30").start();
        try {
            Processes.Exit exit = Processes.exitOf(p.pid());
            org.junit.jupiter.api.Assumptions.assumeTrue(exit != null, "no pidfd on this kernel");
            try (exit) {
                assertThat(exit.await(100)).as("still running").isFalse();
                p.destroyForcibly();
                assertThat(exit.await(10_000)).as("ended").isTrue();
            }
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }
}
