package io.pgha.cli;

import static io.pgha.cli.ClusterFixture.pgha;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/**
 * Every command and subcommand answers {@code --help} (exit 0, its usage) and {@code --version},
 * and documents every option and argument: the whole tree is walked, so a new command cannot
 * forget.
 */
class CommandTreeTest {
    /** The words that reach each command, e.g. [archive, push], for the root and everything below it. */
    static List<List<String>> paths() {
        List<List<String>> out = new ArrayList<>();
        walk(Main.commandLine(), new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals(sub.getCommandName())) return; // an alias
            List<String> p = new ArrayList<>(path);
            p.add(name);
            walk(sub, p, out);
        });
    }

    @Test
    void theTreeHasTheNewCommands() {
        assertThat(paths())
                .contains(
                        List.of("list"),
                        List.of("topology"),
                        List.of("dsn"),
                        List.of("query"),
                        List.of("config", "validate"),
                        List.of("config", "generate"),
                        List.of("completion"),
                        List.of("man"),
                        List.of("archive", "push"),
                        List.of("backup", "expire"),
                        List.of("status"),
                        List.of("resource", "agents"),
                        List.of("resource", "describe"),
                        List.of("resource", "cleanup"),
                        List.of("resource", "disable"),
                        List.of("resource", "enable"),
                        List.of("node", "maintenance"),
                        List.of("sets", "apply"),
                        List.of("sets", "move"),
                        List.of("sets", "execute-script"),
                        List.of("sets", "failover"));
    }

    @Test
    void helpWorksOnEveryCommand() {
        List<List<String>> paths = paths();
        assertThat(paths).hasSizeGreaterThan(30);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            ClusterFixture.Run r = pgha(args.toArray(new String[0]));
            String name = String.join(" ", path);
            assertThat(r.exitCode()).as("pgha %s --help: %s", name, r.err()).isZero();
            assertThat(r.out())
                    .as("pgha %s --help", name)
                    .contains("Usage: " + ("pgha " + name).strip() + " [")
                    .contains("--help");
            if (!name.equals("help")) // picocli's help command puts a line of its own first
            assertThat(r.out()).as("pgha %s --help", name).startsWith("Usage: ");
            assertThat(r.err()).as("pgha %s --help", name).isEmpty();
        }
    }

    @Test
    void versionWorksOnEveryCommand() {
        for (List<String> path : paths()) {
            if (path.equals(List.of("help"))) continue; // picocli's help command has no --version
            List<String> args = new ArrayList<>(path);
            args.add("--version");
            ClusterFixture.Run r = pgha(args.toArray(new String[0]));
            assertThat(r.exitCode()).as("pgha %s --version", path).isZero();
            assertThat(r.out()).as("pgha %s --version", path).startsWith("pgha " + Version.current() + "\n");
        }
    }

    @Test
    void everyOptionAndArgumentHasADescription() {
        List<String> undocumented = new ArrayList<>();
        for (var spec : ManPages.commands(Main.commandLine())) {
            List<ArgSpec> args = new ArrayList<>(spec.options());
            args.addAll(spec.positionalParameters());
            for (ArgSpec a : args) {
                if (String.join("", a.description()).isBlank())
                    undocumented.add(spec.qualifiedName() + " " + a.paramLabel()
                            + (a.isOption() ? " (" + ((CommandLine.Model.OptionSpec) a).longestName() + ")" : ""));
            }
            assertThat(String.join("", spec.usageMessage().description()))
                    .as("description of %s", spec.qualifiedName())
                    .isNotBlank();
        }
        assertThat(undocumented).isEmpty();
    }

    @Test
    void theHelpCommandAndHelpOnAnUnknownCommandAreUsageAnswers() {
        assertThat(pgha("help", "list").out()).startsWith("Usage: pgha list");
        assertThat(pgha("list", "--no-such-option").exitCode()).isEqualTo(2);
    }

    @Test
    void aCommandLineNamingOneCommandBuildsThatCommandAloneWithTheSameUsage() {
        CommandLine whole = Main.commandLine();
        for (String name : whole.getSubcommands().keySet()) {
            CommandLine one = Main.commandLine(name);
            Class<?> kind = whole.getSubcommands().get(name).getCommand().getClass();
            if (kind == CommandLine.HelpCommand.class || kind == CompletionCommand.class || kind == ManCommand.class) {
                // they describe the whole tree
                assertThat(one.getSubcommands().keySet())
                        .as(name)
                        .isEqualTo(whole.getSubcommands().keySet());
                continue;
            }
            assertThat(one.getSubcommands().values().stream()
                            .map(CommandLine::getCommandName)
                            .distinct())
                    .as(name)
                    .containsExactly(whole.getSubcommands().get(name).getCommandName());
            assertThat(one.getSubcommands().get(name).getUsageMessage())
                    .as(name)
                    .isEqualTo(whole.getSubcommands().get(name).getUsageMessage());
        }
        assertThat(Main.commandLine("--version").getSubcommands()).isEmpty();
        // no command, an option or a typo: the whole tree, so picocli can list or suggest
        assertThat(Main.commandLine("lst").getSubcommands().keySet())
                .isEqualTo(whole.getSubcommands().keySet());
        assertThat(Main.commandLine("-h").getSubcommands().keySet())
                .isEqualTo(whole.getSubcommands().keySet());
        assertThat(Main.commandLine(null).getSubcommands().keySet())
                .isEqualTo(whole.getSubcommands().keySet());
    }

    @Test
    void aTypoIsStillAnsweredWithSuggestions() {
        var r = pgha("lst");
        assertThat(r.exitCode()).isEqualTo(Main.USAGE);
        assertThat(r.err()).contains("Did you mean").contains("list");
    }
}
