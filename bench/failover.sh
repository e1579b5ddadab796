#!/usr/bin/env bash
# Failover / switchover benchmark: a 3-node cluster of real processes on loopback, a steady write
# load through the multi-host JDBC URL, N node crashes (SIGKILL of agent + postmaster) and M planned
# switchovers. Prints a Markdown report (copy it into BENCHMARKS.md).
#
#   bench/failover.sh [CRASHES=5] [SWITCHOVERS=5]
#   PGHA_BENCH_EXTRA_YAML=$'timing:\n  ttl: 2500ms' bench/failover.sh    # other timing
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests install
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -q -B -pl pgha-cli dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile"
cp=$(cat "$cpfile")
java -cp "pgha-cli/target/test-classes:pgha-cli/target/classes:$cp" io.pgha.cli.bench.FailoverBench "$@"
