package io.pgha.cli;

import picocli.CommandLine.Option;

/** The {@code --format text|json} option of read commands. */
final class FormatOption {
    @Option(
            names = "--format",
            defaultValue = "text",
            paramLabel = "FORMAT",
            description = "text or json (default: ${DEFAULT-VALUE})")
    Format format;

    boolean json() {
        return format == Format.json;
    }
}
