package io.pgha.cli;

import io.pgha.postgres.Binaries;
import io.pgha.postgres.OsCommand;
import io.pgha.postgres.PostgresException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgha promote -D DIR}: ends recovery of a standby pgha does not manage, such as an
 * archive-only warm standby at a disaster-recovery site ({@code pgha restore --standby}). Members
 * of a pgha cluster are never promoted this way: use {@code pgha failover} or {@code switchover}.
 */
@Command(
        name = "promote",
        description = "Promote an unmanaged standby, e.g. an archive-only warm standby (docs/archive.md).")
final class PromoteCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption help;

    @Option(
            names = {"-D", "--pgdata"},
            required = true,
            paramLabel = "DIR",
            description = "the standby's data directory")
    Path dataDir;

    @Option(
            names = {"-p", "--port"},
            defaultValue = "5432",
            description = "its port, to confirm the promotion (default: ${DEFAULT-VALUE})")
    int port;

    @Option(
            names = {"-h", "--host"},
            defaultValue = "127.0.0.1",
            description = "its host (default: ${DEFAULT-VALUE})")
    String host;

    @Option(
            names = {"-U", "--username"},
            defaultValue = "postgres",
            description = "user (default: ${DEFAULT-VALUE})")
    String user;

    @Option(
            names = "--os-user",
            defaultValue = "postgres",
            description = "OS user PostgreSQL runs as, when run as root (default: ${DEFAULT-VALUE})")
    String osUser;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(dataDir.resolve("PG_VERSION")))
            return ArchiveCommand.fail(ArchiveCommand.USAGE, dataDir + " is not a PostgreSQL data directory");
        if (Files.exists(dataDir.resolve("pgha.conf"))) {
            return ArchiveCommand.fail(
                    ArchiveCommand.USAGE,
                    dataDir + " belongs to a pgha cluster member: use pgha failover or pgha switchover");
        }
        if (!Files.exists(dataDir.resolve("standby.signal")) && !Files.exists(dataDir.resolve("recovery.signal"))) {
            return ArchiveCommand.fail(
                    ArchiveCommand.USAGE, dataDir + " is not a standby (no standby.signal or recovery.signal)");
        }
        Path bin = Binaries.detect().orElse(null);
        if (bin == null) return ArchiveCommand.fail(ArchiveCommand.UNAVAILABLE, "PostgreSQL binaries not found");
        try {
            new OsCommand(osUser)
                    .check(
                            List.of(
                                    bin.resolve("pg_ctl").toString(),
                                    "promote",
                                    "-D",
                                    dataDir.toString(),
                                    "-w",
                                    "-t",
                                    "120"),
                            Map.of(),
                            130_000,
                            l -> System.out.println("pg_ctl: " + l.strip()));
        } catch (PostgresException e) {
            return ArchiveCommand.fail(ArchiveCommand.UNAVAILABLE, "promotion failed: " + e.getMessage());
        }
        io.pgha.archive.PgConnection conn = io.pgha.archive.PgConnection.of(host, port, user, "postgres", null);
        try (Connection c = conn.open();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT pg_is_in_recovery(), (SELECT timeline_id FROM pg_control_checkpoint()), pg_current_wal_lsn()")) {
            rs.next();
            if (rs.getBoolean(1))
                return ArchiveCommand.fail(ArchiveCommand.UNAVAILABLE, conn + " is still in recovery");
            System.out.println(
                    "promoted: " + conn + " is a primary now (WAL " + rs.getString(3) + "); it starts a new timeline");
        } catch (java.sql.SQLException e) {
            return ArchiveCommand.fail(
                    ArchiveCommand.UNAVAILABLE, "promoted, but cannot confirm through " + conn + ": " + e.getMessage());
        }
        return 0;
    }
}
