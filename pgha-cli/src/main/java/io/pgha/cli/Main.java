package io.pgha.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code pgha} command. Every command and subcommand answers {@code --help} and
 * {@code --version} (see CommandTreeTest), so that an operator can find their way from the command
 * line alone; the same definitions give the man pages ({@link ManPages}) and shell completion.
 */
@Command(
        name = "pgha",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "PostgreSQL high availability: agent, cluster control and a local demo cluster.",
        footer = {
            "",
            "Exit status: 0 done, 1 refused or failed, 2 bad usage, 3 config file error, 4 DCS unreachable"
                    + " (archive and backup: see pgha archive --help).",
            "Cluster commands find the cluster from a node's config file or a client config (cluster, dcs):"
                    + " -c FILE or $PGHA_CONFIG."
        },
        subcommands = {
            AgentCommand.class,
            DemoCommand.class,
            ListCommand.class,
            StatusCommand.class,
            ResourceCommand.class,
            SetsCommand.class,
            NodeCommand.class,
            TopologyCommand.class,
            HistoryCommand.class,
            SwitchoverCommand.class,
            FailoverCommand.class,
            PauseCommand.class,
            ResumeCommand.class,
            EditConfigCommand.class,
            ZooKeeperCommand.class,
            RouterCommand.class,
            ArchiveCommand.class,
            BackupCommand.class,
            RestoreCommand.class,
            PromoteCommand.class,
            PromoteClusterCommand.class,
            ShowConfigCommand.class,
            RestartCommand.class,
            ReloadCommand.class,
            ReinitCommand.class,
            DsnCommand.class,
            QueryCommand.class,
            ConfigCommand.class,
            CompletionCommand.class,
            ManCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {
    public static void main(String[] args) {
        // Only long-running roles log at INFO; a CLI command prints its result and nothing else.
        boolean daemon = args.length > 0
                && (args[0].equals("agent")
                        || args[0].equals("demo")
                        || args[0].equals("zookeeper")
                        || args[0].equals("router"));
        System.setProperty("pgha.log.level", System.getProperty("pgha.log.level", daemon ? "INFO" : "WARN"));
        System.exit(run(args));
    }

    /** The action failed or the cluster refused it. */
    public static final int FAILED = 1;
    /** Bad usage: an unknown command or option, a missing argument. */
    public static final int USAGE = 2;
    /** The node config file is missing, unreadable or invalid. */
    public static final int CONFIG_ERROR = 3;
    /** The DCS could not be reached. */
    public static final int DCS_UNREACHABLE = 4;

    /**
     * Runs a command line and returns its exit code: 0 ok, {@link #FAILED}, {@link #USAGE}, {@link
     * #CONFIG_ERROR}, {@link #DCS_UNREACHABLE}.
     */
    public static int run(String... args) {
        // how PostgreSQL runs this pgha from archive_command and restore_command (see ArchiveConfig)
        if (System.getProperty("pgha.self") == null) System.setProperty("pgha.self", SelfCommand.pgha());
        if (System.getProperty("pgha.server") == null)
            System.setProperty("pgha.server", SelfCommand.pgha(SelfCommand.SERVER_JVM));
        return commandLine().execute(args);
    }

    /**
     * The whole command tree, configured as {@link #run} uses it: errors of a command become "error:
     * ..." and an exit status by their kind, and every subcommand reports the build's version (picocli gives a subcommand
     * none of its own otherwise, so {@code pgha list --version} would print nothing).
     */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        giveVersion(cl, new Version());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (ex instanceof io.pgha.core.config.ConfigException) return CONFIG_ERROR;
            if (ex instanceof io.pgha.dcs.DcsUnreachableException) return DCS_UNREACHABLE;
            return FAILED;
        });
        return cl;
    }

    private static void giveVersion(CommandLine cl, Version version) {
        cl.getCommandSpec().versionProvider(version);
        for (CommandLine sub : cl.getSubcommands().values()) giveVersion(sub, version);
    }
}
