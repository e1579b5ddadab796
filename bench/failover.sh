#!/usr/bin/env bash
# Failover / switchover benchmark: a 3-node cluster of real processes on loopback, a steady write
# load through the multi-host JDBC URL, N node crashes (SIGKILL of agent + postmaster) and M planned
# switchovers. Prints a Markdown report (copy it into BENCHMARKS.md).
#
#   bench/failover.sh [CRASHES=5] [SWITCHOVERS=5] [POSTMASTER_CRASHES=0]   # the last: SIGKILL of the primary's postmaster only
#   PGHA_BENCH_ROUTER=1 bench/failover.sh 0 7                      # the writer goes through a router
#   PGHA_BENCH_DCS=etcd bench/failover.sh                          # DCS: a 3-member etcd instead of the embedded ZooKeeper
#   PGHA_BENCH_SYNC=on bench/failover.sh                           # synchronous_mode on (or quorum) once the cluster is up
#   (beside the JDBC writer a libpq client, bench/libpq_writer.py, when /usr/bin/python3 has psycopg2)
#   PGHA_BENCH_EXTRA_YAML=$'timing:\n  ttl: 2500ms' bench/failover.sh    # other timing
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_java io.pgha.cli.bench.FailoverBench -- "$@"
