#!/usr/bin/env bash
# Virtual IP benchmark (issue 12): three members in network namespaces on one bridge, pgha's own ip
# resource following the primary, and four writers (pgJDBC and libpq, each through the VIP and
# through the multi-host string of the node addresses). N times: the primary's node crashes (SIGKILL
# of agent + PostgreSQL, its cable pulled at once), then comes back and rejoins. Prints a Markdown
# report (copy it into BENCHMARKS.md): per client the time from the crash to the first write on the
# new primary and the writes unavailable, the VIP minus the multi-host figure, and when the VIP was
# added on the new primary and the client's ARP entry moved.
#
#   bench/vip.sh [RUNS=5]
#   PGHA_BENCH_EXTRA_YAML=$'timing:\n  ttl: 2500ms' bench/vip.sh    # other timing
#   PGHA_BENCH_KEEP=1 bench/vip.sh                                 # keep the agents' logs
# Needs root (network namespaces), iproute2, iputils-arping; the libpq clients need
# /usr/bin/python3 with psycopg2 (Debian's python3-psycopg2), else only JDBC is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_java io.pgha.cli.bench.VipBench -- "$@"
