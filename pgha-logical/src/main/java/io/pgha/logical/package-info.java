/**
 * Replication sets (see docs/sets.md) on PostgreSQL's logical replication: reading what each server
 * has ({@link io.pgha.logical.Catalog}), planning what to change ({@link io.pgha.logical.SetPlanner},
 * a pure function), and carrying it out ({@link io.pgha.logical.SetOperations}).
 */
package io.pgha.logical;
