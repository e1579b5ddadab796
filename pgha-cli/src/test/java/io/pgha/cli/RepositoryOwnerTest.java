package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A command handed to the repository's owner takes its repository settings along, not the config file. */
class RepositoryOwnerTest {
    @TempDir
    Path dir;

    @Test
    void theConfigFileIsReplacedByTheRepositorySettingsItHolds() throws Exception {
        Path cfg = dir.resolve("node.yml");
        Files.writeString(
                cfg,
                String.join(
                        "\n",
                        "cluster: c",
                        "name: n1",
                        "data_dir: " + dir.resolve("data"),
                        "dcs:",
                        "  zookeeper:",
                        "    connect: 127.0.0.1:2181",
                        "archive:",
                        "  repo: /srv/archive",
                        "  compression: lz4",
                        "  parallel: 3",
                        ""));
        ArchiveCommand.RepoOptions o = new ArchiveCommand.RepoOptions();
        o.config = cfg;
        for (List<String> args : List.of(
                List.of("backup", "-c", cfg.toString(), "-D", "/x"),
                List.of("backup", "--config=" + cfg, "-D", "/x"),
                List.of("backup", "-c" + cfg, "-D", "/x"),
                List.of("backup", "--config", cfg.toString(), "-D", "/x"))) {
            assertThat(RepositoryOwner.withoutConfig(args, o))
                    .as("%s", args)
                    .containsExactly("backup", "-D", "/x", "--repo", "/srv/archive", "--compression", "lz4");
        }
        ArchiveCommand.RepoOptions plain = new ArchiveCommand.RepoOptions();
        plain.repo = "/srv/other";
        assertThat(RepositoryOwner.withoutConfig(List.of("backup", "expire", "--repo", "/srv/other"), plain))
                .containsExactly("backup", "expire", "--repo", "/srv/other");
    }
}
