/** The pgha command line: every subcommand, the local demo cluster and the table output. */
package io.pgha.cli;
