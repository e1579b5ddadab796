#!/usr/bin/env bash
# Standby cluster benchmark: two 2-node clusters on loopback, the standby cluster streaming from the
# primary cluster. Measures the lag between the sites under a pgbench write load and the time from
# `pgha promote-cluster` to the first write on the promoted cluster. Prints a Markdown report (copy it
# into BENCHMARKS.md).
#
#   bench/standby.sh [ROUNDS=3] [LOAD_SECONDS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_java io.pgha.cli.bench.StandbyBench -- "$@"
