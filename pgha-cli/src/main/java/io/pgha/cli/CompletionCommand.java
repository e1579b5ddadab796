package io.pgha.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pgha completion}: a completion script generated from the command definitions themselves,
 * so that it never lags behind a new command or option.
 */
@Command(
        mixinStandardHelpOptions = true,
        name = "completion",
        description = {
            "Print a shell completion script for pgha's commands, options and their values.",
            "bash: source <(pgha completion bash), or save it as /etc/bash_completion.d/pgha.",
            "zsh: the same script, run through zsh's bash completion: add to ~/.zshrc",
            "  autoload -U +X compinit && compinit",
            "  autoload -U bashcompinit && bashcompinit",
            "  source <(pgha completion zsh)"
        })
final class CompletionCommand implements Callable<Integer> {
    /** Shells the script works in (zsh through bashcompinit). */
    enum Shell {
        bash,
        zsh
    }

    @Parameters(
            index = "0",
            arity = "0..1",
            defaultValue = "bash",
            paramLabel = "SHELL",
            description = "bash or zsh (default: ${DEFAULT-VALUE})")
    Shell shell;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        System.out.print(script(spec.root().commandLine()));
        return 0;
    }

    /** The script for the whole tree under {@code root}; it switches on bashcompinit itself under zsh. */
    static String script(picocli.CommandLine root) {
        return AutoComplete.bash(root.getCommandName(), root);
    }
}
