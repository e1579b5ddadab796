/**
 * Replication sets: Slony-I's sets of tables and sequences, replicated by PostgreSQL's logical
 * replication from an origin to subscribers (see docs/sets.md). This package holds the document as
 * pgha keeps it in the DCS and the pure planning from it; the SQL runs elsewhere.
 */
package io.pgha.core.sets;
