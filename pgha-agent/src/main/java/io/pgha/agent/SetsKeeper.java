package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.sets.SetsConfig;
import io.pgha.core.sets.SetsConfig.ReplicationSet;
import io.pgha.dcs.DcsFactory;
import io.pgha.logical.DcsServers;
import io.pgha.logical.SequenceSync;
import io.pgha.logical.SetStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replication sets' housekeeping, done by the agent that holds this cluster's leader lease when
 * its dynamic config has {@code replication_sets} (see docs/sets.md): every {@code
 * sequence_sync_interval} it copies each set's sequences from the origin to the subscribers (not
 * while a move or failover of the set is in progress), and every few seconds it reads every
 * subscriber's status for {@code GET /sets} and the {@code pgha_set_*} metrics. On its own thread:
 * a slow or unreachable node never holds up the agent's loop. Never throws; each distinct problem
 * is logged once.
 */
final class SetsKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SetsKeeper.class);
    static final long STATUS_EVERY_MS = 5000;

    private final NodeConfig cfg;
    private final Supplier<SetsConfig> doc;
    private final BooleanSupplier leading;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pgha-sets");
        t.setDaemon(true);
        return t;
    });
    private volatile List<SetStatus> status = List.of();
    private long lastSync;
    private long lastStatus;
    private Set<String> logged = new HashSet<>();
    /** The connections of the document in force, kept from tick to tick (the DCS sessions of other clusters). */
    private DcsServers servers;

    private SetsConfig serversFor;

    SetsKeeper(NodeConfig cfg, Supplier<SetsConfig> doc, BooleanSupplier leading) {
        this.cfg = cfg;
        this.doc = doc;
        this.leading = leading;
    }

    void start() {
        var unused = thread.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /** Each subscriber's status as last read (empty unless this member leads and sets exist). */
    List<SetStatus> status() {
        return status;
    }

    private void tick() {
        try {
            SetsConfig d = doc.get();
            if (d == null || d.sets().isEmpty() || !leading.getAsBoolean()) {
                status = List.of();
                closeServers();
                return;
            }
            long now = System.currentTimeMillis();
            boolean sync = d.sequenceSyncMs() > 0 && now - lastSync >= d.sequenceSyncMs();
            boolean read = now - lastStatus >= STATUS_EVERY_MS;
            if (!sync && !read) return;
            if (!d.equals(serversFor)) {
                closeServers();
                servers = new DcsServers(
                        d,
                        name -> DcsFactory.observer(
                                cfg.dcs(), name, cfg.timing().ttlMs()));
                serversFor = d;
            }
            Set<String> problems = new HashSet<>();
            if (sync) {
                lastSync = now;
                for (ReplicationSet s : d.sets().values()) {
                    if (d.journal().containsKey(s.name())) continue;
                    try {
                        List<String> moved = SequenceSync.sync(
                                s,
                                servers,
                                s.origin(),
                                new ArrayList<>(s.subscribers().keySet()));
                        for (String line : moved) LOG.debug("set {}: {}", s.name(), line);
                    } catch (Exception e) {
                        problems.add("set " + s.name() + ": cannot copy its sequences: " + e.getMessage());
                    }
                }
            }
            if (read) {
                lastStatus = now;
                status = SetStatus.collect(d, servers, null);
            }
            for (String p : problems) if (!logged.contains(p)) LOG.warn("{}", p);
            logged = problems;
        } catch (RuntimeException e) {
            LOG.warn("replication sets: {}", e.getMessage());
        }
    }

    private void closeServers() {
        if (servers != null) servers.close();
        servers = null;
        serversFor = null;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) LOG.debug("the sets thread did not stop in 5 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeServers();
    }
}
