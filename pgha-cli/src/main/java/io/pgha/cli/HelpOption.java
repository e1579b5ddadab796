package io.pgha.cli;

import picocli.CommandLine.Option;

/**
 * {@code --help} and {@code -V, --version} for the commands that cannot take picocli's standard
 * help options because their {@code -h} already means {@code --host}, as it does for psql and
 * pg_basebackup, whose options they mirror ({@code backup}, {@code archive check}, {@code promote}).
 */
final class HelpOption {
    @Option(names = "--help", usageHelp = true, description = "show this help and exit")
    boolean help;

    @Option(
            names = {"-V", "--version"},
            versionHelp = true,
            description = "print pgha's version and exit")
    boolean version;
}
