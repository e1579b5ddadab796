package io.pgha.cli;

import io.pgha.dcs.Dcs;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code --watch [SECONDS]} option of {@code pgha list} and {@code pgha status}. */
@SuppressWarnings("SystemConsoleNull") // Java 17: null means no terminal
final class WatchOption {
    @Option(
            names = "--watch",
            arity = "0..1",
            fallbackValue = "2",
            paramLabel = "SECONDS",
            description = "redraw every SECONDS (default 2) until Ctrl-C; with --format json, print one JSON"
                    + " document a line per round instead")
    Double watch;

    @Option(names = "--rounds", hidden = true, paramLabel = "N", description = "stop --watch after N rounds (tests)")
    int rounds;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    /** Whether --watch was given; refuses an interval outside 0.1 s to a day. */
    boolean on() {
        if (watch != null && !(watch >= 0.1 && watch <= 86_400)) {
            throw new ParameterException(
                    spec.commandLine(), "--watch: " + watch + " seconds is not between 0.1 and 86400");
        }
        return watch != null;
    }

    /** Prints {@code show} round after round until Ctrl-C (or --rounds). */
    void run(Dcs dcs, String cluster, boolean json, String command, ListCommand.Show show) throws InterruptedException {
        new ListCommand.Watch(dcs, cluster, json, Math.round(watch * 1000), System.console() != null, command, show)
                .run(System.out, rounds, Thread::sleep);
    }
}
