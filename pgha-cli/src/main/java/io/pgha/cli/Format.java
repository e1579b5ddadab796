package io.pgha.cli;

/** Output format of read commands. */
enum Format {
    text,
    json
}
