package io.pgha.cli;

import io.pgha.agent.ClusterControl;
import io.pgha.agent.ControlException;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.FailoverRequest;
import io.pgha.dcs.Dcs;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgha switchover [--to NODE] [--at TIME] [--force]}: a planned change of primary, no data lost. */
@Command(
        mixinStandardHelpOptions = true,
        name = "switchover",
        description = "Hand the primary role to a healthy standby without losing data.")
final class SwitchoverCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(
            names = "--to",
            paramLabel = "NODE",
            description = "the standby to promote (default: the most advanced healthy one)")
    String to;

    @Option(names = "--at", paramLabel = "TIME", description = "when to switch, ISO-8601 (e.g. 2026-12-01T22:00:00Z)")
    String at;

    @Option(names = "--force", description = "do not ask for confirmation")
    boolean force;

    @Option(names = "--no-wait", description = "return once requested instead of waiting for the new primary")
    boolean noWait;

    @Option(names = "--cancel", description = "cancel the switchover scheduled with --at (before it begins)")
    boolean cancel;

    @Override
    public Integer call() throws Exception {
        if (cancel && (to != null || at != null)) throw new IllegalArgumentException("--cancel takes no --to or --at");
        long atMillis = at == null ? 0 : parseTime(at);
        ClientConfig cfg = cluster.client();
        if (cancel) return cancel(cfg);
        try (Dcs dcs = cluster.connect(cfg)) {
            String leader = dcs.read().leader();
            String question = "Switch over from " + leader + " to " + (to == null ? "the best standby" : to)
                    + (at == null ? " now" : " at " + Instant.ofEpochMilli(atMillis)) + "?";
            if (!Confirm.ask(question, force)) {
                System.out.println("Aborted, nothing changed.");
                return 1;
            }
            FailoverRequest fr;
            try {
                fr = new ClusterControl(dcs, System::currentTimeMillis).switchover(null, to, atMillis);
            } catch (ControlException e) {
                System.err.println("error: switchover refused: " + e.getMessage());
                return 1;
            }
            System.out.println("Switchover from " + fr.leader() + " to " + fr.candidate() + " requested"
                    + (atMillis == 0 ? "." : " for " + Instant.ofEpochMilli(atMillis) + "."));
            if (noWait || atMillis > System.currentTimeMillis()) return 0;
            return Handover.await(dcs, fr.candidate(), 60_000);
        }
    }

    private int cancel(ClientConfig cfg) throws Exception {
        try (Dcs dcs = cluster.connect(cfg)) {
            java.util.Optional<FailoverRequest> fr =
                    new ClusterControl(dcs, System::currentTimeMillis).cancelSwitchover();
            if (fr.isEmpty()) {
                System.err.println("error: no switchover is scheduled; nothing to cancel");
                return 1;
            }
            System.out.println("Cancelled the switchover from " + fr.get().leader() + " to "
                    + fr.get().candidate()
                    + (fr.get().scheduledAt() > 0
                            ? " scheduled for " + Instant.ofEpochMilli(fr.get().scheduledAt())
                            : "")
                    + ".");
            return 0;
        } catch (ControlException e) {
            System.err.println("error: cannot cancel: " + e.getMessage());
            return 1;
        }
    }

    static long parseTime(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    "--at: '" + text + "' is not an ISO-8601 time such as 2026-12-01T22:00:00Z");
        }
    }
}
