package io.pgha.agent;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.time.Clock;
import io.pgha.dcs.Dcs;
import io.pgha.dcs.DcsFactory;
import io.pgha.dcs.EmbeddedZooKeeper;
import io.pgha.postgres.Binaries;
import io.pgha.postgres.LocalPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real parts of an agent, built from its config: local PostgreSQL, the embedded ZooKeeper peer
 * (if any) and the DCS client the config names.
 */
final class ProductionParts {
    private static final Logger LOG = LoggerFactory.getLogger(ProductionParts.class);

    private ProductionParts() {}

    /**
     * Builds every part, or none: when one cannot be built, those already built are closed and the
     * local PostgreSQL is stopped, so that a primary is never left running without its agent.
     */
    static Agent.Parts build(NodeConfig cfg) throws Exception {
        LocalPostgres pg = new LocalPostgres(cfg, Binaries.locate(cfg.binDir()));
        AutoCloseable zookeeper = null;
        Dcs dcs = null;
        try {
            if (cfg.dcs().embedded() != null) {
                var e = cfg.dcs().embedded();
                LOG.info(
                        "starting embedded ZooKeeper peer {} of {}",
                        e.myId(),
                        e.peers().size());
                zookeeper = DcsFactory.startEmbedded(cfg.dcs());
            }
            pg.prepare();
            String archiveProblem = pg.checkArchiveCommand();
            if (archiveProblem != null) LOG.error(archiveProblem);
            Watchdog watchdog = new Watchdog(cfg.watchdog());
            LOG.info("watchdog: {}", watchdog.status());
            // The client's first attempt waits (a ttl at most) until the embedded peer serves: while the
            // ensemble elects, every server accepts a client's TLS handshake and then closes the connection.
            if (zookeeper instanceof EmbeddedZooKeeper peer
                    && !peer.awaitServing(cfg.timing().ttlMs()))
                LOG.info(
                        "the embedded ZooKeeper peer does not serve yet after {} ms: the client tries every server",
                        cfg.timing().ttlMs());
            // The client connects in the background (with TLS, the handshake of a cold JVM takes a few hundred
            // ms) while the rest of the agent is built; Agent#run checks the session before its first cycle.
            dcs = DcsFactory.member(cfg.dcs(), cfg.cluster(), cfg.timing().ttlMs());
            return new Agent.Parts(
                    pg, dcs, watchdog, new PeerClient(cfg.restapi().listener()), Clock.SYSTEM, zookeeper);
        } catch (Exception | Error e) {
            if (dcs != null) dcs.close();
            if (zookeeper != null) zookeeper.close();
            pg.stopCleanlyOrAtOnce();
            pg.close();
            throw e;
        }
    }
}
