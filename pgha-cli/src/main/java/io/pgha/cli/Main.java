package io.pgha.cli;

import java.util.Arrays;
import java.util.List;
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
        }
        // the subcommands are in SUBCOMMANDS: added one by one, only the one named when it is named
        )
public final class Main {
    /**
     * The commands under {@code pgha}, in the order help lists them. Building picocli's model of all of
     * them (and their subcommands) costs a CLI call about half a second, so {@link #run} builds only the
     * one its arguments name.
     */
    static final List<Class<?>> SUBCOMMANDS = List.of(
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
            CommandLine.HelpCommand.class);

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
        return commandLine(args.length == 0 ? null : args[0]).execute(args);
    }

    /**
     * The whole command tree, configured as {@link #run} uses it: errors of a command become "error:
     * ..." and an exit status by their kind, and every subcommand reports the build's version (picocli gives a subcommand
     * none of its own otherwise, so {@code pgha list --version} would print nothing).
     */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The command tree with only the subcommand named {@code first} under the root, when {@code first}
     * names one (by name or alias); none for {@code --version}; the whole tree otherwise (no command, an option, help, a typo that
     * picocli then reports with suggestions).
     */
    static CommandLine commandLine(String first) {
        CommandLine cl = new CommandLine(new Main());
        Class<?> only = first == null ? null : named(first);
        // help, completion and man pages describe the whole tree
        if (only == CommandLine.HelpCommand.class || only == CompletionCommand.class || only == ManCommand.class)
            only = null;
        boolean version = "--version".equals(first) || "-V".equals(first);
        List<Class<?>> subs = version ? List.of() : only == null ? SUBCOMMANDS : List.of(only);
        for (Class<?> sub : subs) cl.addSubcommand(sub);
        giveVersion(cl, new Version());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("error: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            if (ex instanceof io.pgha.core.config.ConfigException) return CONFIG_ERROR;
            if (ex instanceof io.pgha.dcs.DcsUnreachableException) return DCS_UNREACHABLE;
            return FAILED;
        });
        return cl;
    }

    /** The subcommand class whose name or alias is {@code name}, or null. */
    static Class<?> named(String name) {
        for (Class<?> sub : SUBCOMMANDS) {
            Command c = sub.getAnnotation(Command.class);
            if (c == null) continue; // picocli's HelpCommand is annotated; every pgha command is
            if (c.name().equals(name) || Arrays.asList(c.aliases()).contains(name)) return sub;
        }
        return null;
    }

    private static void giveVersion(CommandLine cl, Version version) {
        cl.getCommandSpec().versionProvider(version);
        for (CommandLine sub : cl.getSubcommands().values()) giveVersion(sub, version);
    }
}
