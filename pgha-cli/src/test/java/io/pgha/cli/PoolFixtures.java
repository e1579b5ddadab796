package io.pgha.cli;

import io.pgha.core.config.PoolConfig;
import io.pgha.core.config.RouterConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.Role;
import io.pgha.dcs.Dcs;
import io.pgha.router.Router;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the pooled listener's tests share: members of a stand-in cluster view (running, at the same
 * position, so every standby is within the lag limit) and a router with a pooled listener that
 * follows a stub DCS.
 */
final class PoolFixtures {
    private PoolFixtures() {}

    /**
     * A new directory of the test's own user (0755) for the files the test writes: the auth file,
     * scripts, certificates. Not PlainPostgres's, which belongs to postgres (as root, nothing is
     * written into a directory another user owns).
     */
    static java.nio.file.Path ownDirectory(String prefix) throws java.io.IOException {
        java.nio.file.Path d = java.nio.file.Files.createTempDirectory(prefix);
        java.nio.file.Files.setPosixFilePermissions(
                d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return d;
    }

    /** A running member on 127.0.0.1:{@code port}. */
    static Member member(String name, int port, Role role) {
        return io.pgha.testkit.Members.running(name, port, role);
    }

    /** The view with {@code members}, {@code leader} holding the lease. */
    static ClusterState view(String leader, Member... members) {
        Map<String, Member> all = new LinkedHashMap<>();
        for (Member m : members) all.put(m.name(), m);
        return new ClusterState("1", leader, all, DynamicConfig.DEFAULT, null, new Lsn(100), List.of());
    }

    /**
     * A started router named {@code name} with the pooled listener {@code pool} (and the router
     * certificate {@code cert}/{@code key}, or none), once it sees {@code leader} holding the lease.
     */
    static Router router(String name, Dcs dcs, PoolConfig pool, String cert, String key, String leader)
            throws Exception {
        Router r = new Router(
                        "pool-it",
                        new RouterConfig(
                                        name,
                                        "127.0.0.1",
                                        0,
                                        0,
                                        1 << 24,
                                        true,
                                        5000,
                                        5000,
                                        RouterConfig.DEFAULT_MAX_MESSAGE_SIZE,
                                        cert,
                                        key,
                                        "127.0.0.1",
                                        0)
                                .withPool(pool),
                        dcs)
                .start();
        try {
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> leader.equals(r.view().leader()));
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }
}
