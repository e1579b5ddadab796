package io.pgha.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code pgha resume}: leave maintenance mode. */
@Command(
        mixinStandardHelpOptions = true,
        name = "resume",
        description = "Leave maintenance mode: agents act automatically again.")
final class ResumeCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        return PauseCommand.set(cluster, false);
    }
}
