/** Control of the local PostgreSQL: its binaries, configuration files, processes and SQL state. */
package io.pgha.postgres;
