#!/usr/bin/env bash
# The pooled listener's read/write split and read-your-writes, on a three-member pgha cluster on
# this machine (node1 primary; node2 and node3 streaming standbys, node3 applying WAL 100 ms late).
# Prints Markdown (copy it into BENCHMARKS.md).
#
#   bench/split.sh [SECONDS_PER_RUN=15] [SCALE=10] [ROUNDS=3]
#
# 1. Read scaling: pgbench -S (simple protocol, 16 clients, kept connections) through the pool with
#    everything on the primary, with the split over one standby (node3 weighs 0), and over two.
# 2. The causality checker (bench/causality.py, psycopg2: a libpq client): 8 sessions write a row and
#    read it back at once, 200 times each, through the split with read-your-writes on and off; the
#    stale reads found, and the write-then-read latency (also through the pool without the split).
# 3. pgpool-II (streaming replication mode, load_balance_mode on) over the same three members, with
#    the same three weightings: read scaling, and select-only with a new connection per transaction
#    (-C, 16 and 64 clients) against the pooled listener with the split.
# One proxy at a time (2 cores). Installs python3-psycopg2 and pgpool2 from Debian's packages when
# missing.
#
# PGHA_BENCH_MEMBER_CPU=P caps each member's PostgreSQL at P % of one core (a cgroup each, see
# bench_cap_cpu in bench/lib.sh), as if each ran on a small machine of its own: on a 2-core machine
# shared by three members, the proxy and pgbench, that is what lets a standby add capacity. Only
# the read-scaling table is run then (the rest does not depend on the members' CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args "$@"
base=${PGHA_BENCH_PORT:-27000}
pg=$base; api=$((base + 8)); zk=$((base + 181)); pool=$((base + 503))
dir=/tmp/pgha-bench-split
bin=/usr/lib/postgresql/15/bin

/usr/bin/python3 -c "import psycopg2" 2>/dev/null || {
  echo "installing python3-psycopg2 (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-psycopg2 >&2
}

if ! command -v pgpool >/dev/null 2>&1 && [ ! -x /usr/sbin/pgpool ]; then
  echo "installing pgpool2 (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgpool2 >&2
fi
(systemctl stop pgpool2 2>/dev/null || service pgpool2 stop 2>/dev/null || true) >/dev/null 2>&1

pids=()
router=""
pgpool_pid=""
cleanup() {
  [ -n "$router" ] && kill "$router" 2>/dev/null && wait "$router" 2>/dev/null || true
  [ -n "$pgpool_pid" ] && stop_pgpool
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bench_uncap_all
}
trap cleanup EXIT
rm -rf "$dir"; mkdir -p "$dir"; chmod 755 "$dir"

bench_primary "$dir" "$pg" "$api" "$zk"
for n in 2 3; do
  delay=""; [ "$n" = 3 ] && delay=", recovery_min_apply_delay: 100ms"
  cat > "$dir/node$n.yml" <<YAML
cluster: bench
name: node$n
data_dir: $dir/node$n/data
postgresql:
  listen: 127.0.0.1
  port: $((pg + n - 1))
  authentication: {superuser: {username: postgres}, replication: {username: postgres}}
  pg_hba: ["local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"]
  parameters: {shared_buffers: 128MB, max_connections: '200'$delay}
restapi: {listen: 127.0.0.1, port: $((api + n - 1))}
dcs: {zookeeper: {connect: "127.0.0.1:$zk"}}
YAML
  ./pgha agent --config "$dir/node$n.yml" > "$dir/agent$n.log" 2>&1 & pids+=($!)
done
for _ in $(seq 1 180); do
  n=$("$bin/psql" -h 127.0.0.1 -p "$pg" -U postgres -Atc "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" postgres 2>/dev/null || echo 0)
  [ "$n" = 2 ] && break
  sleep 1
done
[ "$n" = 2 ] || { echo "the standbys did not start streaming; see $dir/agent2.log, agent3.log" >&2; exit 1; }

"$bin/psql" -h 127.0.0.1 -p "$pg" -U postgres -qc "ALTER ROLE postgres PASSWORD 'bench-secret'" postgres
verifier=$("$bin/psql" -h 127.0.0.1 -p "$pg" -U postgres -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'" postgres)
echo "\"postgres\" \"$verifier\"" > "$dir/users.txt"; chmod 600 "$dir/users.txt"
"$bin/pgbench" -i -q -s "$scale" -h 127.0.0.1 -p "$pg" -U postgres postgres > "$dir/init.log" 2>&1
"$bin/psql" -h 127.0.0.1 -p "$pg" -U postgres -qc "CREATE TABLE causality (id bigint PRIMARY KEY)" postgres
sleep 2 # the standbys replay the tables (node3 100 ms late)
cap=${PGHA_BENCH_MEMBER_CPU:-}
if [ -n "$cap" ]; then
  for n in 1 2 3; do bench_cap_cpu "$dir/node$n/data" "$cap" "split-node$n"; done
fi
export PGPASSWORD=bench-secret

start_router() { # NAME POOL_EXTRA_YAML
  cat > "$dir/router-$1.yml" <<YAML
cluster: bench
dcs: {zookeeper: {connect: "127.0.0.1:$zk"}}
router:
  name: bench-$1
  port: $((pool - 3))
  pool: {port: $pool, mode: transaction, auth_file: $dir/users.txt, pool_size: 20, max_client_conn: 400$2}
YAML
  ./pgha router --config "$dir/router-$1.yml" > "$dir/router-$1.log" 2>&1 & router=$!
  for _ in $(seq 1 60); do "$bin/pg_isready" -q -h 127.0.0.1 -p "$pool" && break; sleep 1; done
  # warm the paths (and the JIT)
  "$bin/pgbench" -n -S -c 16 -j 2 -T 5 -h 127.0.0.1 -p "$pool" -U postgres postgres > "$dir/warm-$1.log" 2>&1 \
    || { echo "pgbench through the $1 pool failed:" >&2; tail -5 "$dir/warm-$1.log" >&2; exit 1; }
}
stop_router() { kill "$router"; wait "$router" 2>/dev/null || true; router=""; }
tps() { "$bin/pgbench" -n -S -c 16 -j 2 -T "$secs" -h 127.0.0.1 -p "${2:-$pool}" -U postgres ${1:-} postgres 2>&1 \
  | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1; }

# pgpool-II in front of the three members: WEIGHTS of node1..node3 for load balancing (0: none)
ppool=$((pool + 1))
start_pgpool() { # W1 W2 W3
  cat > "$dir/pgpool.conf" <<CONF
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = $ppool
unix_socket_directories = '$dir'
pcp_listen_addresses = ''
pcp_socket_dir = '$dir'
pid_file_name = '$dir/pgpool.pid'
logdir = '$dir'
backend_hostname0 = '127.0.0.1'
backend_port0 = $pg
backend_weight0 = $1
backend_flag0 = 'DISALLOW_TO_FAILOVER'
backend_hostname1 = '127.0.0.1'
backend_port1 = $((pg + 1))
backend_weight1 = $2
backend_flag1 = 'DISALLOW_TO_FAILOVER'
backend_hostname2 = '127.0.0.1'
backend_port2 = $((pg + 2))
backend_weight2 = $3
backend_flag2 = 'DISALLOW_TO_FAILOVER'
load_balance_mode = on
num_init_children = 80
max_pool = 1
connection_cache = on
enable_pool_hba = on
pool_passwd = '$dir/pool_passwd'
sr_check_period = 0
sr_check_user = 'postgres'
health_check_period = 0
failover_on_backend_error = off
log_min_messages = warning
CONF
  : > "$dir/pcp.conf"
  # clients log in with SCRAM-SHA-256 here too; pgpool-II needs the password itself for that
  echo "host all all 127.0.0.1/32 scram-sha-256" > "$dir/pool_hba.conf"
  echo "postgres:TEXTbench-secret" > "$dir/pool_passwd"; chmod 600 "$dir/pool_passwd"
  pgpool -n -f "$dir/pgpool.conf" -F "$dir/pcp.conf" -a "$dir/pool_hba.conf" > "$dir/pgpool-$1$2$3.log" 2>&1 & pgpool_pid=$!
  for _ in $(seq 1 60); do "$bin/pg_isready" -q -h 127.0.0.1 -p "$ppool" && break; sleep 1; done
  "$bin/pgbench" -n -S -c 16 -j 2 -T 5 -h 127.0.0.1 -p "$ppool" -U postgres postgres > "$dir/warm-pgpool.log" 2>&1 \
    || { echo "pgbench through pgpool-II failed:" >&2; tail -5 "$dir/warm-pgpool.log" >&2; exit 1; }
}
# fast shutdown; a child that ignores it (seen once with the members CPU-capped) is killed after 10 s
stop_pgpool() {
  kill -INT "$pgpool_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pgpool_pid" 2>/dev/null || break; sleep 0.1; done
  pkill -KILL -f "$dir/pgpool.conf" 2>/dev/null || true
  wait "$pgpool_pid" 2>/dev/null || true; pgpool_pid=""; sleep 1
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.0f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo=$1} {hi=$1} END {printf "%.0f-%.0f", lo, hi}'; }

declare -A cfg=(
  [primary]=""
  [one-standby]=", load_balance: true, standby_weights: {node1: 0, node3: 0}"
  [two-standbys]=", load_balance: true"
  [ryw-off]=", load_balance: true, read_your_writes: false"
)
declare -A weights=([primary]="1 0 0" [one-standby]="0 1 0" [two-standbys]="0 1 1")
declare -A res
for round in $(seq 1 "$rounds"); do
  for c in primary one-standby two-standbys; do
    start_router "$c" "${cfg[$c]}"
    x=$(tps); res[$c]="${res[$c]:-} $x"
    echo "  round $round $c: $x tps" >&2
    if [ "$c" = two-standbys ] && [ -z "$cap" ]; then
      for n in 16 64; do
        x=$("$bin/pgbench" -n -S -C -c $n -j 2 -T "$secs" -h 127.0.0.1 -p "$pool" -U postgres postgres 2>&1 \
          | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
        res[C$n]="${res[C$n]:-} $x"; echo "  round $round pgha -C -c $n: $x tps" >&2
      done
    fi
    stop_router
    # shellcheck disable=SC2086
    start_pgpool ${weights[$c]}
    x=$(tps "" "$ppool"); res[pgpool-$c]="${res[pgpool-$c]:-} $x"
    echo "  round $round pgpool-II $c: $x tps" >&2
    if [ "$c" = two-standbys ] && [ -z "$cap" ]; then
      for n in 16 64; do
        x=$("$bin/pgbench" -n -S -C -c $n -j 2 -T "$secs" -h 127.0.0.1 -p "$ppool" -U postgres postgres 2>&1 \
          | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
        res[pgpool-C$n]="${res[pgpool-C$n]:-} $x"; echo "  round $round pgpool-II -C -c $n: $x tps" >&2
      done
    fi
    stop_pgpool
  done
done
declare -A causal
id=1
causal_runs="primary two-standbys ryw-off"; [ -n "$cap" ] && causal_runs=""
for c in $causal_runs; do
  start_router "$c" "${cfg[$c]}"
  causal[$c]=$(/usr/bin/python3 bench/causality.py "host=127.0.0.1 port=$pool user=postgres dbname=postgres" 8 200 $id)
  echo "  causality $c: ${causal[$c]}" >&2
  id=$((id + 100000))
  stop_router
done

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%d)"
echo "pgbench -S -c 16 -j 2 (simple protocol, kept connections) $secs s per run, median (min-max) of $rounds rounds, scale $scale; three PostgreSQL 15 members on the same machine${cap:+, each capped at $cap % of one core}"
echo
echo "| reads go to | pgha pooled listener, tps | pgpool-II 4.3 (load_balance_mode), tps |"
echo "| --- | --- | --- |"
for c in primary one-standby two-standbys; do
  # shellcheck disable=SC2086
  echo "| $c | $(median ${res[$c]}) ($(spread ${res[$c]})) | $(median ${res[pgpool-$c]}) ($(spread ${res[pgpool-$c]})) |"
done
[ -n "$cap" ] && exit 0
echo
echo "pgbench -S -C (a new connection per transaction), reads over both standbys:"
echo
echo "| clients | pgha pooled listener, tps | pgpool-II, tps |"
echo "| --- | --- | --- |"
for n in 16 64; do
  # shellcheck disable=SC2086
  echo "| $n | $(median ${res[C$n]}) ($(spread ${res[C$n]})) | $(median ${res[pgpool-C$n]}) ($(spread ${res[pgpool-C$n]})) |"
done
echo
echo "Causality checker (psycopg2, 8 sessions x 200 write-then-read, node3 applies WAL 100 ms late):"
echo
echo "| pool | stale reads | write-then-read latency |"
echo "| --- | --- | --- |"
for c in primary two-standbys ryw-off; do
  read -r _ stale total _ _ _ _ med _ _ p99 _ <<< "${causal[$c]}"
  echo "| $c | $stale of $total | median $med ms, p99 $p99 ms |"
done
