package io.pgha.cli;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.model.DynamicConfig;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.Json;
import io.pgha.postgres.ConfigFiles;
import io.pgha.postgres.OsCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code pgha show-config}: the PostgreSQL settings pgha gives this node, and where each comes
 * from: pgha's defaults, the cluster-wide settings in the DCS, this node's file, or pgha itself.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "show-config",
        description = {
            "Show the PostgreSQL parameters and pg_hba lines pgha gives this node, and where each comes from.",
            "Precedence, lowest first: pgha default < cluster-wide (DCS) < node file < managed by pgha."
        })
final class ShowConfigCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    FormatOption output;

    @Override
    public Integer call() throws Exception {
        NodeConfig cfg = cluster.node("show-config", "shows the PostgreSQL settings of the node whose file it is");
        DynamicConfig.Postgres clusterWide;
        try (Dcs dcs = cluster.connect(cfg)) {
            clusterWide = dcs.read().config().postgresql();
        }
        ConfigFiles files = new ConfigFiles(cfg, new OsCommand(cfg.osUser()), Path.of("/nonexistent"));
        files.cluster(clusterWide);
        Map<String, ConfigFiles.Effective> effective = files.effective(null);
        List<Map<String, String>> hba = new ArrayList<>();
        for (String line : cfg.postgresql().pgHba()) hba.add(Map.of("line", line, "source", "node file"));
        for (String line : clusterWide.pgHba()) hba.add(Map.of("line", line, "source", "cluster-wide (DCS)"));
        if (output.json()) {
            Map<String, Object> parameters = new LinkedHashMap<>();
            effective.forEach((k, e) -> parameters.put(
                    k, Map.of("value", e.value(), "source", e.source().label())));
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("member", cfg.name());
            v.put("parameters", parameters);
            v.put("pg_hba", hba);
            System.out.print(Json.pretty(v) + "\n");
            return 0;
        }
        System.out.println("PostgreSQL settings of " + cfg.name() + " (cluster " + cfg.cluster()
                + "); primary_conninfo and primary_slot_name depend on the member's role at run time.");
        Table t = new Table("Parameter", "Value", "Source");
        effective.forEach((k, e) -> t.add(k, e.value(), e.source().label()));
        System.out.print(t.render());
        Table h = new Table("pg_hba line (first match wins)", "Source");
        hba.forEach(l -> h.add(l.get("line"), l.get("source")));
        System.out.print(h.render());
        return 0;
    }
}
