/** The WAL archive: repositories, the stored-file format, and the push/get contract of PostgreSQL. */
package io.pgha.archive;
