package io.pgha.cli;

import java.io.Console;

/** Asks a yes/no question on a terminal. Without a terminal, only {@code --force} confirms. */
@SuppressWarnings("SystemConsoleNull") // Java 17: null means no terminal
final class Confirm {
    private Confirm() {}

    static boolean ask(String question, boolean force) {
        if (force) return true;
        Console console = System.console();
        if (console == null) {
            throw new IllegalArgumentException("not a terminal, cannot ask for confirmation: pass --force");
        }
        String answer = console.readLine("%s [y/N] ", question);
        return answer != null
                && (answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"));
    }
}
