package io.pgha.cli;

import io.pgha.core.model.ClusterState;
import io.pgha.core.model.DynamicConfig;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;
import io.pgha.testkit.InMemoryDcs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Clusters in memory for the CLI's unit tests: members, a state, a node config, the DCS commands see. */
final class CliFixtures {
    private CliFixtures() {}

    static Member primary(String name, int port) {
        return member(name, port, Role.PRIMARY, MemberState.RUNNING, 0x3000000L, null);
    }

    static Member standby(String name, int port, long replay, String following) {
        return member(name, port, Role.STANDBY, MemberState.RUNNING, replay, following);
    }

    static Member member(String name, int port, Role role, MemberState state, long position, String following) {
        return new Member(
                name,
                "http://127.0.0.1:" + (port + 1000),
                "127.0.0.1",
                port,
                role,
                state,
                2,
                new Lsn(position),
                new Lsn(position),
                following,
                following != null,
                Tags.NONE,
                "no action: " + name + " is healthy",
                1_800_000_000_000L);
    }

    static ClusterState state(String leader, Member... members) {
        Map<String, Member> m = new LinkedHashMap<>();
        for (Member x : members) m.put(x.name(), x);
        return new ClusterState(
                "7000000000000000001", leader, m, DynamicConfig.DEFAULT, null, new Lsn(0x3000000L), List.of());
    }

    /** A valid node config of cluster {@code main} whose DCS is never contacted (tests use {@link #useDcs}). */
    static Path config(Path dir) throws IOException {
        return Files.writeString(dir.resolve("node.yml"), """
                cluster: main
                name: db1
                data_dir: %s/data
                postgresql:
                  authentication:
                    superuser: {username: admin, password: sup3r-secret-pw}
                dcs: {zookeeper: {connect: "127.0.0.1:1"}}
                """.formatted(dir));
    }

    /** Commands run through {@link Main#run} read {@code c} from an in-memory DCS until closed. */
    static InMemoryDcs.Store useDcs(ClusterState c) {
        InMemoryDcs.Store store = new InMemoryDcs.Store().load(c);
        ClusterOptions.testDcs = cfg -> store.connect();
        return store;
    }

    static void noDcs() {
        ClusterOptions.testDcs = null;
    }

    /** {@code pgha ARGS} in a JVM of the test's class path, its output (both streams) into {@code log}. */
    static Process pgha(Path log, String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m"));
        cmd.addAll(ChildJvm.archiveOptions(false));
        cmd.addAll(List.of("-cp", ChildJvm.classPath(), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }
}
