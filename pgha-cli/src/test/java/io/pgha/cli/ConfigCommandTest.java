package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.agent.ConfigLoader;
import io.pgha.core.config.DcsConfig;
import io.pgha.core.config.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pgha config validate} and {@code generate}: what generate writes, validate accepts. */
class ConfigCommandTest {
    @Test
    void validateSaysValidOrNamesTheKey(@TempDir Path dir) throws Exception {
        Path good = CliFixtures.config(dir);
        ClusterFixture.Run ok = pgha("config", "validate", good.toString());
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.out()).isEqualTo(good + ": valid (cluster main, member db1, DCS ZooKeeper 127.0.0.1:1)\n");

        Path bad = Files.writeString(dir.resolve("bad.yml"), Files.readString(good) + "postgresql_port: 5\n");
        ClusterFixture.Run no = pgha("config", "validate", bad.toString());
        assertThat(no.exitCode()).isEqualTo(1);
        assertThat(no.err()).contains("postgresql_port").contains("unknown key");
        assertThat(no.out()).isEmpty();

        assertThat(pgha("config", "validate", dir.resolve("none.yml").toString())
                        .err())
                .contains("does not exist or is not readable");
        assertThat(pgha("config", "validate").exitCode()).isEqualTo(2);
        assertThat(pgha("config", "validate", "a", "b").exitCode()).isEqualTo(2);
        assertThat(pgha(
                                "config",
                                "validate",
                                Path.of("../docs/examples/node.yml").toString())
                        .out())
                .contains("valid");
    }

    @Test
    void aGeneratedEmbeddedConfigIsValid(@TempDir Path dir) throws Exception {
        ClusterFixture.Run gen = pgha("config", "generate", "--cluster", "prod", "--name", "pg-1");
        assertThat(gen.exitCode()).as(gen.err()).isZero();
        Path f = Files.writeString(dir.resolve("node.yml"), gen.out());
        ClusterFixture.Run v = pgha("config", "validate", f.toString());
        assertThat(v.exitCode()).as(v.err() + "\n" + gen.out()).isZero();
        NodeConfig cfg = ConfigLoader.load(f, java.util.Map.of());
        assertThat(cfg.cluster()).isEqualTo("prod");
        assertThat(cfg.name()).isEqualTo("pg-1");
        assertThat(cfg.dataDir()).isEqualTo("/var/lib/pgha/pg-1/data");
        assertThat(cfg.dcs().kind()).isEqualTo(DcsConfig.Kind.EMBEDDED_ZOOKEEPER);
        assertThat(cfg.dcs().embedded().dataDir()).isEqualTo("/var/lib/pgha/pg-1/zookeeper");
        assertThat(cfg.postgresql().superuser().password()).hasSize(36);
        assertThat(cfg.restapi().auth()).isNotNull();
        io.pgha.postgres.Binaries.detect()
                .ifPresent(bin -> assertThat(cfg.binDir()).isEqualTo(bin.toString()));
        assertThat(gen.out()).contains("# ").contains("pgha config validate");
        // fresh secrets each time
        assertThat(pgha("config", "generate").out())
                .isNotEqualTo(pgha("config", "generate").out());
    }

    @Test
    void externalZooKeeperAndEtcdConfigsAreValidToo(@TempDir Path dir) throws Exception {
        for (List<String> dcs : List.of(
                List.of("--dcs-connect", "10.0.0.21:2181,10.0.0.22:2181"),
                List.of("--etcd", "10.0.0.21:2379,10.0.0.22:2379"))) {
            List<String> args = new java.util.ArrayList<>(List.of("config", "generate", "--address", "10.0.0.11"));
            args.addAll(dcs);
            ClusterFixture.Run gen = pgha(args.toArray(new String[0]));
            Path f = Files.writeString(dir.resolve("node.yml"), gen.out());
            ClusterFixture.Run v = pgha("config", "validate", f.toString());
            assertThat(v.exitCode()).as(v.err() + "\n" + gen.out()).isZero();
            NodeConfig cfg = ConfigLoader.load(f, java.util.Map.of());
            assertThat(cfg.postgresql().connectAddress()).isEqualTo("10.0.0.11");
            assertThat(cfg.dcs().kind())
                    .isEqualTo(dcs.get(0).equals("--etcd") ? DcsConfig.Kind.ETCD : DcsConfig.Kind.ZOOKEEPER);
        }
        ClusterFixture.Run both = pgha("config", "generate", "--dcs-connect", "a:1", "--etcd", "b:2");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).contains("give either --dcs-connect or --etcd, not both");
    }

    @Test
    void nodeNamesComeFromHostNames() {
        assertThat(ConfigCommand.nodeName("DB-7.example.com")).isEqualTo("db-7");
        assertThat(ConfigCommand.nodeName("_weird+host")).isEqualTo("weird-host");
        assertThat(ConfigCommand.nodeName("...")).isEqualTo("node1");
        assertThat(ConfigCommand.yaml("10.0.0.1:2181,10.0.0.2:2181")).isEqualTo("\"10.0.0.1:2181,10.0.0.2:2181\"");
        assertThat(ConfigCommand.yaml("db1")).isEqualTo("db1");
        assertThat(ConfigCommand.yaml("1.5")).isEqualTo("\"1.5\"");
    }
}
