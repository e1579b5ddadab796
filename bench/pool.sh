#!/usr/bin/env bash
# Pooling benchmark: pgbench through the pgha router's pooled listener (transaction mode) and
# through PgBouncer (transaction mode), same pool size, same SCRAM verifier, on this machine and in
# one run; direct connections for reference. Installs pgbouncer from Debian's packages when missing.
# Prints a Markdown table (copy it into BENCHMARKS.md).
#
#   bench/pool.sh [SECONDS_PER_RUN=15] [SCALE=10] [ROUNDS=3]
#
# Cases: select-only with a new connection per transaction (-C; 16 and 64 clients: the login path,
# SCRAM included), select-only and tpcb-like on kept connections (16 and 64 clients). Clients log in
# to both poolers with SCRAM-SHA-256 against the verifier PostgreSQL stores for the user; both
# poolers reach PostgreSQL over loopback with trust. Each case runs ROUNDS times, the targets
# interleaved; the table shows medians and the spread (min-max) of the rounds.
# It also shows the CPU each pooler process used per transaction (utime + stime from /proc over the
# run, divided by the transactions): a measure of the pooler's own cost that the noise of a shared
# machine moves far less than tps.
# PGHA_BENCH_TRANSPORT names the router's transport (router.transport; default auto), and
# PGHA_BENCH_WARMUP the seconds each case first runs through the router unmeasured (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_args "$@"
base=${PGHA_BENCH_PORT:-27000}
pg=$base; api=$((base + 8)); zk=$((base + 181)); rw=$((base + 500)); pool=$((base + 503)); bouncer=$((base + 600))
dir=/tmp/pgha-bench-pool
bin=/usr/lib/postgresql/15/bin
size=20
# how clients log in to both poolers: scram-sha-256 (default) or trust (PGHA_BENCH_AUTH=trust: the
# issue's connect-per-transaction anchor, where no client PBKDF2 hides the poolers' own cost)
auth=${PGHA_BENCH_AUTH:-scram-sha-256}
# the router's socket transport (router.transport): auto (io_uring where it runs), io_uring, epoll, nio
transport=${PGHA_BENCH_TRANSPORT:-auto}
# seconds each case first runs through the router unmeasured, so that the JIT has compiled its path
# (a new connection per transaction runs code that kept connections never do)
warm=${PGHA_BENCH_WARMUP:-10}

need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
if ! need pgbouncer; then
  echo "installing pgbouncer (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer >&2
fi
(systemctl stop pgbouncer 2>/dev/null || service pgbouncer stop 2>/dev/null || true) >/dev/null 2>&1

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pkill -f "$dir/pgbouncer.ini" 2>/dev/null || true
}
trap cleanup EXIT

rm -rf "$dir"; mkdir -p "$dir"; chmod 755 "$dir"

bench_primary "$dir" "$pg" "$api" "$zk"
"$bin/psql" -h 127.0.0.1 -p "$pg" -U postgres -qc "ALTER ROLE postgres PASSWORD 'bench-secret'" postgres
verifier=$("$bin/psql" -h 127.0.0.1 -p "$pg" -U postgres -Atc "SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'" postgres)
echo "\"postgres\" \"$verifier\"" > "$dir/users.txt"
chmod 600 "$dir/users.txt"
cp "$dir/users.txt" "$dir/bouncer-users.txt"
mkdir -p "$dir/bouncer"; chown postgres "$dir/bouncer" "$dir/bouncer-users.txt" # PgBouncer will not run as root

cat > "$dir/router.yml" <<YAML
cluster: bench
dcs: {zookeeper: {connect: "127.0.0.1:$zk"}}
router:
  name: bench-router
  port: $rw
  pool: {port: $pool, mode: transaction, auth_type: $auth, auth_file: $dir/users.txt, pool_size: $size, max_client_conn: 400}
  transport: $transport
YAML
cat > "$dir/pgbouncer.ini" <<INI
[databases]
postgres = host=127.0.0.1 port=$pg dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer
unix_socket_dir =
auth_type = $auth
auth_file = $dir/bouncer-users.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = $size
logfile = $dir/bouncer/pgbouncer.log
pidfile = $dir/bouncer/pgbouncer.pid
INI
chmod 644 "$dir/pgbouncer.ini"

./pgha router --config "$dir/router.yml" > "$dir/router.log" 2>&1 & pids+=($!)
runuser -u postgres -- /usr/sbin/pgbouncer "$dir/pgbouncer.ini" > /dev/null 2>&1 & pids+=($!)
for p in $pool $bouncer; do
  for _ in $(seq 1 60); do "$bin/pg_isready" -q -h 127.0.0.1 -p "$p" && break; sleep 1; done
done

"$bin/pgbench" -i -q -s "$scale" -h 127.0.0.1 -p "$pg" -U postgres postgres > "$dir/init.log" 2>&1
export PGPASSWORD=bench-secret

# Warm every path once (the router's JIT included), then measure, targets interleaved per case.
for p in $pg $pool $bouncer; do
  "$bin/pgbench" -n -S -c 16 -j 2 -T 5 -h 127.0.0.1 -p "$p" -U postgres postgres > "$dir/warmup-$p.log" 2>&1 \
    || { echo "pgbench through port $p failed:" >&2; tail -5 "$dir/warmup-$p.log" >&2; exit 1; }
done

declare -A tps cpu
router_pid=$(pgrep -f "pgha.jar router --config $dir/router.yml" | head -1)
bouncer_pid=$(pgrep -f "^/usr/sbin/pgbouncer $dir/pgbouncer.ini" | head -1)
declare -A pid=([pgha]=$router_pid [pgbouncer]=$bouncer_pid)
ticks() { [ -n "${1:-}" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
tick_us=$((1000000 / $(getconf CLK_TCK)))
run() { # script clients port extra pooler-pid -> "tps cpu_us_per_transaction"
  local out t0 t1 n
  t0=$(ticks "$5")
  out=$("$bin/pgbench" -n -b "$1" -c "$2" -j 2 -T "$secs" $4 -h 127.0.0.1 -p "$3" -U postgres postgres 2>&1) \
    || { echo "pgbench failed: $out" >&2; echo "0 0"; return; }
  t1=$(ticks "$5")
  n=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' | head -1)
  echo "$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1) $(( (t1 - t0) * tick_us / (n > 0 ? n : 1) ))"
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo=$1} {hi=$1} END {printf "%.0f-%.0f", lo, hi}'; }
targets=(direct pgha pgbouncer)
declare -A port=([direct]=$pg [pgha]=$pool [pgbouncer]=$bouncer)
cases=("select-only 16 -C" "select-only 64 -C" "select-only 16 -" "select-only 64 -" "tpcb-like 16 -" "tpcb-like 64 -")
for cs in "${cases[@]}"; do
  read -r script c extra <<< "$cs"
  [ "$extra" = "-" ] && extra=""
  [ "$warm" -gt 0 ] && "$bin/pgbench" -n -b "$script" -c "$c" -j 2 -T "$warm" $extra -h 127.0.0.1 -p "$pool" -U postgres postgres \
    > "$dir/warmup-case.log" 2>&1 \
    || { echo "warm-up of $cs through the router failed:" >&2; tail -5 "$dir/warmup-case.log" >&2; exit 1; }
done
for round in $(seq 1 "$rounds"); do
  for cs in "${cases[@]}"; do
    read -r script c extra <<< "$cs"
    [ "$extra" = "-" ] && extra=""
    for t in "${targets[@]}"; do
      read -r x u <<< "$(run "$script" "$c" "${port[$t]}" "$extra" "${pid[$t]:-}")"
      tps[$cs,$t]="${tps[$cs,$t]:-} $x"
      cpu[$cs,$t]="${cpu[$cs,$t]:-} $u"
      echo "  round $round $cs $t: $x tps, pooler CPU $u us per transaction" >&2
    done
  done
done

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $(date -u +%Y-%m-%d)"
echo "pgbench $secs s per run, median (min-max) of $rounds rounds, scale $scale, -j 2, simple protocol, pool_size $size, transaction mode, clients log in with $auth, router transport $(sed -n "s/.*(\\(.*\\) transport).*/\\1/p" "$dir/router.log" | head -1), warm-up ${warm} s per case; $("$bin/postgres" --version); $(/usr/sbin/pgbouncer --version | head -1)"
echo
echo "| script | clients | connect per transaction | direct tps | pgha pool tps | PgBouncer tps | pgha/PgBouncer | pooler CPU per transaction, pgha / PgBouncer (µs) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for cs in "${cases[@]}"; do
  read -r script c extra <<< "$cs"
  d=$(median ${tps[$cs,direct]}); r=$(median ${tps[$cs,pgha]}); b=$(median ${tps[$cs,pgbouncer]})
  printf "| %s | %s | %s | %.0f (%s) | %.0f (%s) | %.0f (%s) | %.2f | %s / %s |\n" "$script" "$c" "$([ "$extra" = "-C" ] && echo yes || echo no)" \
    "$d" "$(spread ${tps[$cs,direct]})" "$r" "$(spread ${tps[$cs,pgha]})" "$b" "$(spread ${tps[$cs,pgbouncer]})" \
    "$(echo "$r / $b" | bc -l)" "$(median ${cpu[$cs,pgha]})" "$(median ${cpu[$cs,pgbouncer]})"
done
