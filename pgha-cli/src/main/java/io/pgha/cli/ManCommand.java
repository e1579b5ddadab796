package io.pgha.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pgha man}: the man pages, written from the command definitions ({@link ManPages}). */
@Command(
        mixinStandardHelpOptions = true,
        name = "man",
        description = {
            "Write the man pages of pgha and every subcommand (pgha.1, pgha-list.1, ...) into a directory,"
                    + " or print one page.",
            "Read one with: pgha man list | man -l -   (or man -l DIR/pgha-list.1)."
        })
final class ManCommand implements Callable<Integer> {
    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "write every page into DIR (created if needed) and print the files written")
    Path dir;

    @Parameters(
            arity = "0..*",
            paramLabel = "COMMAND",
            description = "without --dir: print the page of this command (e.g. 'archive push'; default: pgha)")
    List<String> command;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine root = spec.root().commandLine();
        if (dir != null) {
            if (command != null && !command.isEmpty())
                throw new ParameterException(spec.commandLine(), "give either --dir or COMMAND, not both");
            for (Path p : ManPages.write(root, dir)) System.out.println(p);
            return 0;
        }
        CommandLine target = root;
        for (String word : command == null ? List.<String>of() : command) {
            CommandLine next = target.getSubcommands().get(word);
            if (next == null)
                throw new ParameterException(
                        spec.commandLine(),
                        "no command '" + word + "' under '"
                                + target.getCommandSpec().qualifiedName() + "'");
            target = next;
        }
        System.out.print(ManPages.page(target.getCommandSpec()));
        return 0;
    }
}
