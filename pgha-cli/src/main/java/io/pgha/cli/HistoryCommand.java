package io.pgha.cli;

import io.pgha.core.config.ClientConfig;
import io.pgha.core.model.HistoryEntry;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsException;
import io.pgha.dcs.Json;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code pgha history}: the timeline switches of the cluster. */
@Command(
        mixinStandardHelpOptions = true,
        name = "history",
        description = "List timeline switches (failovers, switchovers) with time and reason.")
final class HistoryCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    FormatOption output;

    @Override
    public Integer call() throws Exception {
        ClientConfig cfg = cluster.client();
        if (cluster.printedByLocalAgent(cfg, "history", output.json())) return 0;
        try (Dcs dcs = cluster.connect(cfg)) {
            System.out.print(show(cfg.cluster(), dcs, output.json(), true));
        }
        return 0;
    }

    /** What {@code pgha history} prints for one read of the DCS. */
    static String show(String name, Dcs dcs, boolean json, boolean pretty) throws DcsException {
        List<HistoryEntry> h = dcs.read().history();
        if (json) return (pretty ? Json.pretty(h) : Json.text(h)) + "\n";
        Table t = new Table("TL", "Switch point", "Time", "New primary", "Reason");
        for (HistoryEntry e : h) {
            t.add(
                    e.timeline() + " -> " + (e.timeline() + 1),
                    e.switchpoint(),
                    Instant.ofEpochMilli(e.at()),
                    e.newLeader(),
                    e.reason());
        }
        return h.isEmpty() ? "No timeline switch yet.\n" : t.render();
    }
}
