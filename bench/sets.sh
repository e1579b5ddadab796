#!/usr/bin/env bash
# Replication sets benchmark (issue 13): two one-member pgha clusters on loopback. Measures the
# initial copy of pgbench's tables (scale S) by `pgha sets subscribe --copy-schema` against
# `pg_dump | psql` of the same tables, the subscriber's lag under pgbench -N (libpq), and the
# write-blocked window of N moves back and forth (each `pgha sets move` in a JVM of its own) under
# a JDBC and a psycopg2 writer (bench/sets_libpq_writer.py; without python3-psycopg2 the report
# says so). Prints a Markdown report (copy it into BENCHMARKS.md).
#
#   bench/sets.sh [SCALE=10] [SECONDS=30] [MOVES=6]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_java io.pgha.cli.bench.SetsBench -- "$@"
