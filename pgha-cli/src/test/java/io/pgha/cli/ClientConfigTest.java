package io.pgha.cli;

import static io.pgha.cli.CliFixtures.member;
import static io.pgha.cli.CliFixtures.primary;
import static io.pgha.cli.CliFixtures.standby;
import static io.pgha.cli.CliFixtures.state;
import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.config.DcsConfig;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.dcs.ZooKeeperAccess;
import io.pgha.testkit.InMemoryDcs;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client config instead of a node's: the reading commands work with just the cluster and a
 * read-only DCS credential, commands that need more say what, and {@code pgha config} validates,
 * generates and computes the digest for such a credential.
 */
class ClientConfigTest {
    private static final ClusterState CLUSTER =
            state("db1", primary("db1", 5432), standby("db2", 5433, 0x2000000L, "db1"));

    @TempDir
    Path dir;

    @AfterEach
    void realDcsAgain() {
        CliFixtures.noDcs();
    }

    /** A client config: the cluster and its DCS with a reader's credential; no postgresql, no superuser. */
    private Path clientConfig() throws Exception {
        return Files.writeString(dir.resolve("client.yml"), """
                cluster: main
                dcs:
                  zookeeper: {connect: "127.0.0.1:1"}
                  auth: {username: ops, password: ops-password-1}
                """);
    }

    /** The config a command connected with, as the in-memory DCS saw it. */
    private AtomicReference<ClientConfig> useDcs(ClusterState c) {
        InMemoryDcs.Store store = new InMemoryDcs.Store().load(c);
        AtomicReference<ClientConfig> seen = new AtomicReference<>();
        ClusterOptions.testDcs = cfg -> {
            seen.set(cfg);
            return store.connect();
        };
        return seen;
    }

    @Test
    void listWorksWithAClientConfigWithoutPostgresqlOrSuperuser() throws Exception {
        Path client = clientConfig();
        assertThat(Files.readString(client)).doesNotContain("postgresql").doesNotContainPattern("(?m)^name:");
        AtomicReference<ClientConfig> seen = useDcs(CLUSTER);
        ClusterFixture.Run r = pgha("list", "-c", client.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("main").contains("db1").contains("db2").contains("primary");
        assertThat(seen.get().isNodeConfig()).isFalse();
        assertThat(seen.get().dcs().auth().username()).isEqualTo("ops");
        assertThat(seen.get().superuser()).isNull();

        for (String command : List.of("topology", "history")) {
            ClusterFixture.Run other = pgha(command, "-c", client.toString());
            assertThat(other.exitCode()).as(command + ": " + other.err()).isZero();
        }
        ClusterFixture.Run dsn = pgha("dsn", "-c", client.toString());
        assertThat(dsn.exitCode()).as(dsn.err()).isZero();
        assertThat(dsn.out()).contains("user=postgres").contains("target_session_attrs=read-write");
    }

    @Test
    void aNodeConfigStillWorksAsBefore() throws Exception {
        Path node = CliFixtures.config(dir);
        AtomicReference<ClientConfig> seen = useDcs(CLUSTER);
        ClusterFixture.Run r = pgha("list", "-c", node.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(seen.get().isNodeConfig()).isTrue();
        assertThat(seen.get().node().name()).isEqualTo("db1");
        assertThat(pgha("dsn", "-c", node.toString()).out()).contains("user=admin");
    }

    @Test
    void commandsThatNeedMoreSayWhat() throws Exception {
        Path client = clientConfig();
        useDcs(CLUSTER);
        ClusterFixture.Run show = pgha("show-config", "-c", client.toString());
        assertThat(show.exitCode()).isEqualTo(Main.CONFIG_ERROR);
        assertThat(show.err())
                .contains(client + " is a client config (it has no name and data_dir): pgha show-config needs a"
                        + " node's config file");
        ClusterFixture.Run promote = pgha("promote-cluster", "-c", client.toString(), "--force");
        assertThat(promote.exitCode()).isEqualTo(Main.CONFIG_ERROR);
        assertThat(promote.err()).contains("pgha promote-cluster needs a node's config file");
        for (List<String> args : List.of(List.of("reload"), List.of("restart", "--force"), List.of("reinit", "db2"))) {
            String command = args.get(0);
            List<String> line = new java.util.ArrayList<>(args);
            line.addAll(List.of("-c", client.toString()));
            ClusterFixture.Run r = pgha(line.toArray(new String[0]));
            assertThat(r.exitCode()).as(command).isEqualTo(Main.CONFIG_ERROR);
            assertThat(r.err())
                    .contains("restapi: pgha " + command + " calls the agents' REST API, and this client config has"
                            + " no restapi section: give restapi.authentication");
        }
    }

    @Test
    void queryWithoutASuperuserSaysWhereToGiveOne() throws Exception {
        assumeThat(System.getenv("PGPASSWORD")).isNull();
        Path client = clientConfig();
        // nobody listens on port 1: the connection fails as a refused password would
        useDcs(state("db1", member("db1", 1, Role.PRIMARY, MemberState.RUNNING, 0, null)));
        ClusterFixture.Run r = pgha("query", "-c", client.toString(), "--connect-timeout", "2", "select 1");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err())
                .contains("error: cannot connect to member db1 (127.0.0.1:1) as postgres")
                .contains("hint: the client config has no postgresql.authentication.superuser");
    }

    @Test
    void validateAcceptsAClientConfigAndNamesItsMistakes() throws Exception {
        Path client = clientConfig();
        ClusterFixture.Run ok = pgha("config", "validate", client.toString());
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out())
                .isEqualTo(client + ": valid client config (cluster main, DCS ZooKeeper 127.0.0.1:1 as" + " ops)\n");
        Path bad = Files.writeString(dir.resolve("bad.yml"), Files.readString(client) + "timing: {ttl: 3s}\n");
        ClusterFixture.Run no = pgha("config", "validate", bad.toString());
        assertThat(no.exitCode()).isEqualTo(1);
        assertThat(no.err()).contains("timing: not a key of a client config");
        Path readers = Files.writeString(
                dir.resolve("readers.yml"),
                Files.readString(CliFixtures.config(dir))
                        .replace(
                                "dcs: {zookeeper: {connect: \"127.0.0.1:1\"}}",
                                "dcs:\n  zookeeper: {connect: \"127.0.0.1:1\"}\n  auth: {username: pgha, password:"
                                        + " pgha-password-1}\n  readers:\n    - {username: ops, digest: \"x\"}"));
        ClusterFixture.Run digest = pgha("config", "validate", readers.toString());
        assertThat(digest.exitCode()).isEqualTo(1);
        assertThat(digest.err()).contains("dcs.readers[0].digest: 'x' is not a ZooKeeper digest");
    }

    @Test
    void theEnvironmentOverridesAClientConfigsOwnKeysOnly() throws Exception {
        ClientConfig c = ConfigLoader.loadClient(
                clientConfig(),
                Map.of(
                        "PGHA_DCS__AUTH__PASSWORD", "from-the-environment",
                        "PGHA_POSTGRESQL__AUTHENTICATION__SUPERUSER__PASSWORD", "pg-secret",
                        "PGHA_TIMING__TTL", "5s",
                        "PGHA_ARCHIVE__REPO", "/srv/archive"));
        assertThat(c.isNodeConfig()).isFalse();
        assertThat(c.dcs().auth().password()).isEqualTo("from-the-environment");
        assertThat(c.superuser().password()).isEqualTo("pg-secret");
        assertThat(c.superuser().username()).isEqualTo("postgres");
        assertThat(c.timing().ttlMs()).isEqualTo(2500);
    }

    @Test
    void digestPrintsADcsReadersEntryThatTheAgentsAccept() throws Exception {
        ClusterFixture.Run r = withStdin("monitor-password-1\n", () -> pgha("config", "digest", "monitor"));
        assertThat(r.exitCode()).as(r.err()).isZero();
        String expected = ZooKeeperAccess.digest("monitor", "monitor-password-1");
        assertThat(r.out()).isEqualTo("- {username: monitor, digest: \"" + expected + "\"}\n");
        assertThat(r.out() + r.err()).doesNotContain("monitor-password-1");
        // SHA-1, as ZooKeeper computes it by default
        assertThat(expected).isEqualTo("XbplsSBRywAdONR1qsFvEPIKeqM=");

        Path node = Files.writeString(
                dir.resolve("node.yml"),
                Files.readString(CliFixtures.config(dir))
                        .replace(
                                "dcs: {zookeeper: {connect: \"127.0.0.1:1\"}}",
                                "dcs:\n  zookeeper: {connect: \"127.0.0.1:1\"}\n  auth: {username: pgha, password:"
                                        + " pgha-password-1}\n  readers:\n    "
                                        + r.out().strip()));
        DcsConfig d = ConfigLoader.load(node, Map.of()).dcs();
        assertThat(d.readers()).containsExactly(new DcsConfig.Reader("monitor", null, expected));

        assertThat(withStdin("short\n", () -> pgha("config", "digest", "monitor"))
                        .err())
                .contains("shorter than 8 characters");
        assertThat(withStdin("monitor-password-1\n", () -> pgha("config", "digest", "mon:itor"))
                        .exitCode())
                .isEqualTo(Main.USAGE);
    }

    @Test
    void aGeneratedClientConfigIsValidAndTellsTheAgentsDigest() throws Exception {
        ClusterFixture.Run gen = pgha(
                "config", "generate", "--client", "--cluster", "prod", "--dcs-connect", "zk1:2181", "--user", "ops");
        assertThat(gen.exitCode()).as(gen.err()).isZero();
        Path f = Files.writeString(dir.resolve("client.yml"), gen.out());
        ClusterFixture.Run v = pgha("config", "validate", f.toString());
        assertThat(v.exitCode()).as(v.err() + "\n" + gen.out()).isZero();
        ClientConfig c = ConfigLoader.loadClient(f, Map.of());
        assertThat(c.cluster()).isEqualTo("prod");
        assertThat(c.dcs().auth().username()).isEqualTo("ops");
        assertThat(gen.out())
                .contains("digest: \""
                        + ZooKeeperAccess.digest("ops", c.dcs().auth().password()) + "\"");

        ClusterFixture.Run etcd = pgha("config", "generate", "--client", "--etcd", "10.0.0.1:2379");
        Path e = Files.writeString(dir.resolve("etcd.yml"), etcd.out());
        assertThat(pgha("config", "validate", e.toString()).exitCode()).isZero();
        assertThat(etcd.out()).contains("etcdctl role grant-permission --prefix=true pgha-reader read /pgha/");

        assertThat(pgha("config", "generate", "--client").exitCode()).isEqualTo(Main.USAGE);
        assertThat(pgha("config", "generate", "--user", "ops").exitCode()).isEqualTo(Main.USAGE);
    }

    private interface Command {
        ClusterFixture.Run run();
    }

    private static ClusterFixture.Run withStdin(String text, Command c) {
        InputStream old = System.in;
        try {
            System.setIn(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
            return c.run();
        } finally {
            System.setIn(old);
        }
    }
}
